"""Billing's HTTP routes (mounted under ``/api/v1``)."""

from __future__ import annotations

from campus.billing.endpoints import (
    coupon_terms,
    organizations,
    plans,
    subscriptions,
    webhooks,
)
from campus.kernel.http import api_router

router = api_router()
router.include_router(plans.router)
router.include_router(coupon_terms.router)
router.include_router(subscriptions.router)
router.include_router(subscriptions.me_router)
router.include_router(subscriptions.courses_router)
router.include_router(organizations.router)
router.include_router(webhooks.router)
