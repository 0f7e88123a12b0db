"""Billing's public data: enums, frozen DTOs and the permissions it checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission

#: Create, change and retire plans; see every subscription.
PLAN_MANAGE: Final = "billing:plan_manage"
SUBSCRIPTION_VIEW_ANY: Final = "billing:subscription_view_any"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(PLAN_MANAGE, "Create, change and retire subscription plans."),
    Permission(SUBSCRIPTION_VIEW_ANY, "See every subscription."),
)


class PlanType(StrEnum):
    SOLO = "solo_learner"
    ENTERPRISE = "enterprise"


class BillingCycle(StrEnum):
    MONTHLY = "monthly"
    ANNUAL = "annual"
    LIFETIME = "lifetime"


class UnlockKind(StrEnum):
    """What a plan opens: every published course, the courses of some categories, a list of
    courses, or the courses of a track."""

    ALL = "all"
    CATEGORIES = "categories"
    COURSES = "courses"
    TRACK = "track"


class PlanStatus(StrEnum):
    ACTIVE = "active"
    RETIRED = "retired"


class SubscriptionStatus(StrEnum):
    #: Waiting for its first payment on the gateway's hosted page.
    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    #: A renewal failed: in the grace period, with retries on the dunning schedule.
    PAST_DUE = "past_due"
    #: A dispute was opened on one of its payments: no access and no renewals until it closes.
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


class CouponDuration(StrEnum):
    """How many paid periods a promo code discounts: the first, the first N, or every one."""

    ONCE = "once"
    REPEATING = "repeating"
    FOREVER = "forever"


#: The statuses that give access to what the plan unlocks.
ACCESS_STATUSES: Final = frozenset(
    {SubscriptionStatus.TRIALING, SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE}
)


@dataclass(frozen=True, slots=True)
class SubscriptionSummary:
    """A subscription as other contexts may hold it."""

    id: uuid.UUID
    user_id: uuid.UUID
    plan_id: uuid.UUID
    status: SubscriptionStatus
    current_period_end: datetime | None
