"""What billing's services return: frozen records built from rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from campus.billing.data import (
    BillingCycle,
    PlanStatus,
    PlanType,
    SubscriptionStatus,
    UnlockKind,
)
from campus.billing.models import Charge, Plan, Seat, Subscription
from campus.billing.service.periods import discounted


@dataclass(frozen=True, slots=True)
class PlanRecord:
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    plan_type: PlanType
    currency: str
    monthly_minor: int | None
    annual_minor: int | None
    lifetime_minor: int | None
    trial_days: int
    features: tuple[str, ...]
    unlock_kind: UnlockKind
    unlock_ids: tuple[uuid.UUID, ...]
    unlock_track: str | None
    status: PlanStatus
    created_at: datetime
    retired_at: datetime | None

    def price_of(self, cycle: BillingCycle) -> int | None:
        return {
            BillingCycle.MONTHLY: self.monthly_minor,
            BillingCycle.ANNUAL: self.annual_minor,
            BillingCycle.LIFETIME: self.lifetime_minor,
        }[cycle]


def plan_record(row: Plan) -> PlanRecord:
    return PlanRecord(
        id=row.id,
        code=row.code,
        name=row.name,
        description=row.description,
        plan_type=PlanType(row.plan_type),
        currency=row.currency,
        monthly_minor=row.monthly_minor,
        annual_minor=row.annual_minor,
        lifetime_minor=row.lifetime_minor,
        trial_days=row.trial_days,
        features=tuple(row.features or ()),
        unlock_kind=UnlockKind(row.unlock_kind),
        unlock_ids=tuple(uuid.UUID(str(value)) for value in row.unlock_ids or ()),
        unlock_track=row.unlock_track,
        status=PlanStatus(row.status),
        created_at=row.created_at,
        retired_at=row.retired_at,
    )


@dataclass(frozen=True, slots=True)
class SubscriptionRecord:
    id: uuid.UUID
    user_id: uuid.UUID
    organization_id: uuid.UUID | None
    plan: PlanRecord
    cycle: BillingCycle
    status: SubscriptionStatus
    quantity: int
    seats_assigned: int
    unit_price_minor: int
    currency: str
    payment_method_id: uuid.UUID | None
    period: int
    current_period_start: datetime
    current_period_end: datetime | None
    trial_ends_at: datetime | None
    auto_renew: bool
    cancel_at_period_end: bool
    pending_plan_id: uuid.UUID | None
    pending_quantity: int | None
    coupon_code: str | None
    discount_percent_bp: int | None
    discount_amount_minor: int | None
    discount_periods_left: int | None
    grace_ends_at: datetime | None
    next_retry_at: datetime | None
    retry_count: int
    cancelled_at: datetime | None
    cancel_reason: str | None
    ended_at: datetime | None
    created_at: datetime
    checkout_url: str | None = None
    checkout_expires_at: datetime | None = None

    @property
    def amount_minor(self) -> int:
        """What one period costs (every seat)."""
        return self.unit_price_minor * self.quantity

    @property
    def next_charge_minor(self) -> int:
        """What the next period will be charged, with the promo code while it lasts."""
        left = self.discount_periods_left
        if self.coupon_code is None or (left is not None and left <= 0):
            return self.amount_minor
        return discounted(self.amount_minor, self.discount_percent_bp, self.discount_amount_minor)

    @property
    def next_billing_at(self) -> datetime | None:
        live = self.status in {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING}
        if not live or not self.auto_renew or self.cancel_at_period_end:
            return None
        return self.current_period_end


def subscription_record(row: Subscription, plan: PlanRecord) -> SubscriptionRecord:
    return SubscriptionRecord(
        id=row.id,
        user_id=row.user_id,
        organization_id=row.organization_id,
        plan=plan,
        cycle=BillingCycle(row.cycle),
        status=SubscriptionStatus(row.status),
        quantity=row.quantity,
        seats_assigned=row.seats_assigned,
        unit_price_minor=row.unit_price_minor,
        currency=row.currency,
        payment_method_id=row.payment_method_id,
        period=row.period,
        current_period_start=row.current_period_start,
        current_period_end=row.current_period_end,
        trial_ends_at=row.trial_ends_at,
        auto_renew=row.auto_renew,
        cancel_at_period_end=row.cancel_at_period_end,
        pending_plan_id=row.pending_plan_id,
        pending_quantity=row.pending_quantity,
        coupon_code=row.coupon_code,
        discount_percent_bp=row.discount_percent_bp,
        discount_amount_minor=row.discount_amount_minor,
        discount_periods_left=row.discount_periods_left,
        grace_ends_at=row.grace_ends_at,
        next_retry_at=row.next_retry_at,
        retry_count=row.retry_count,
        cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason,
        ended_at=row.ended_at,
        created_at=row.created_at,
        checkout_url=row.checkout_url,
        checkout_expires_at=row.checkout_expires_at,
    )


@dataclass(frozen=True, slots=True)
class ChargeRecord:
    id: uuid.UUID
    subscription_id: uuid.UUID
    kind: str
    period: int
    attempt: int
    amount_minor: int
    currency: str
    status: str
    failure_code: str | None
    gateway: str
    gateway_payment_id: str | None
    created_at: datetime


def charge_record(row: Charge) -> ChargeRecord:
    return ChargeRecord(
        id=row.id,
        subscription_id=row.subscription_id,
        kind=row.kind,
        period=row.period,
        attempt=row.attempt,
        amount_minor=row.amount_minor,
        currency=row.currency,
        status=row.status,
        failure_code=row.failure_code,
        gateway=row.gateway,
        gateway_payment_id=row.gateway_payment_id,
        created_at=row.created_at,
    )


@dataclass(frozen=True, slots=True)
class SeatRecord:
    id: uuid.UUID
    subscription_id: uuid.UUID
    user_id: uuid.UUID
    assigned_by: uuid.UUID
    assigned_at: datetime


def seat_record(row: Seat) -> SeatRecord:
    return SeatRecord(
        id=row.id,
        subscription_id=row.subscription_id,
        user_id=row.user_id,
        assigned_by=row.assigned_by,
        assigned_at=row.assigned_at,
    )
