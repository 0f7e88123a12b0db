"""What commerce plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.commerce import demo, tasks
from campus.commerce.data import PERMISSIONS
from campus.commerce.endpoints import router
from campus.commerce.settings import CommerceSettings
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="commerce",
    routers=(router,),
    openapi_tags=(
        {
            "name": "cart",
            "description": "The buyer's cart (anonymous by cart token, merged on login)",
        },
        {"name": "checkout", "description": "Turn a cart into an order and start its payment"},
        {"name": "orders", "description": "A buyer's orders and receipts"},
        {"name": "coupons", "description": "Coupons and promo codes (admins, instructors)"},
        {"name": "tax", "description": "Tax rates by country and state"},
        {"name": "payments", "description": "Payments and the sandbox gateway's pages"},
        {"name": "refunds", "description": "Full and partial refunds"},
        {"name": "payment methods", "description": "A buyer's saved payment methods"},
        {"name": "invoices", "description": "Invoices and credit notes"},
        {"name": "payouts", "description": "Instructor earnings, statements and payouts"},
        {"name": "commerce admin", "description": "Orders, payments, revenue and tax reports"},
        {"name": "webhooks", "description": "Payment providers' signed event deliveries"},
    ),
    settings=CommerceSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
)
