"""What billing plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.billing import demo, tasks
from campus.billing.data import PERMISSIONS
from campus.billing.endpoints import router
from campus.billing.settings import BillingSettings
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="billing",
    routers=(router,),
    openapi_tags=(
        {"name": "subscription plans", "description": "Plans: prices, trials, what they unlock"},
        {
            "name": "organization subscriptions",
            "description": "Enterprise seats and the members' learning report, for org admins",
        },
        {
            "name": "subscriptions",
            "description": "Subscribe, renewals, cancel and resume, plan changes, my subscription",
        },
    ),
    settings=BillingSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
)
