"""Who may do what in commerce.

* Buyers (any signed-in user) see and cancel only their own orders; another buyer's order is
  a 404. Holders of ``order:view_any`` (admins) see every order and export them.
* Coupons: holders of ``coupon:manage_any`` (admins) manage every coupon; instructors
  (``coupon:manage_own``) manage the coupons they own, restricted to courses they teach.
* Tax rates: holders of ``tax:manage`` (admins).
"""

from __future__ import annotations

import uuid

from campus.commerce.data import (
    COUPON_MANAGE_ANY,
    COUPON_MANAGE_OWN,
    ORDER_VIEW_ANY,
    TAX_MANAGE,
)
from campus.kernel.auth import Principal

__all__ = [
    "COUPON_MANAGE_ANY",
    "COUPON_MANAGE_OWN",
    "ORDER_VIEW_ANY",
    "TAX_MANAGE",
    "may_manage_coupon",
    "may_manage_coupons",
    "may_view_any_order",
]


def may_view_any_order(principal: Principal) -> bool:
    return principal.has(ORDER_VIEW_ANY)


def may_manage_coupons(principal: Principal) -> bool:
    return principal.has(COUPON_MANAGE_ANY) or principal.has(COUPON_MANAGE_OWN)


def may_manage_coupon(principal: Principal, owner_id: uuid.UUID | None) -> bool:
    """Admins manage every coupon; an instructor only the coupons they own."""
    if principal.has(COUPON_MANAGE_ANY):
        return True
    return principal.has(COUPON_MANAGE_OWN) and owner_id == principal.user_id
