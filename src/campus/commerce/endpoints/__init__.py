"""The commerce context's HTTP routes (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.commerce.endpoints import (
    cart,
    payment_methods,
    payments,
    refunds,
    sandbox_pages,
    webhooks,
)
from campus.kernel.http import api_router

router = api_router()
# Orders: cart, checkout, orders, coupons, tax rates, admin orders.
router.include_router(cart.router)
# Payments: the return URL, refunds, saved methods, webhooks and the sandbox's pages.
for _payments_router in (
    payments.router,
    refunds.router,
    payment_methods.router,
    webhooks.router,
    sandbox_pages.router,
):
    router.include_router(_payments_router)
