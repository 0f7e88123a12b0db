"""The commerce context's HTTP routes (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.commerce.endpoints import (
    admin_orders,
    cart,
    coupons,
    invoices,
    orders,
    payment_methods,
    payments,
    payouts,
    refunds,
    reports,
    sandbox_pages,
    tax,
    webhooks,
)
from campus.kernel.http import api_router

router = api_router()
# Orders: cart, checkout, orders, coupons, tax rates, admin orders.
router.include_router(cart.router)
router.include_router(orders.checkout_router)
router.include_router(orders.router)
router.include_router(coupons.router)
router.include_router(tax.router)
router.include_router(admin_orders.router)
# Payments: the return URL, refunds, saved methods, webhooks and the sandbox's pages.
for _payments_router in (
    payments.router,
    refunds.router,
    payment_methods.router,
    webhooks.router,
    sandbox_pages.router,
):
    router.include_router(_payments_router)
# Invoices, payouts and reports.
for _invoices_router in (
    invoices.order_router,
    invoices.router,
    invoices.admin_router,
    payouts.me_router,
    payouts.admin_router,
    reports.router,
):
    router.include_router(_invoices_router)
