"""Subscription wire models. The request names a plan, a cycle and a saved payment method;
prices and statuses come from the server (a body naming them is a 422)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import Field

from campus.billing.data import BillingCycle, SubscriptionStatus
from campus.billing.service.records import ChargeRecord, SeatRecord, SubscriptionRecord
from campus.billing.service.reports import MemberLearningRow
from campus.kernel.money import MoneyOut
from campus.kernel.schemas import ApiModel, InputModel
from campus.learning.data import EnrollmentSummary


class SubscribeRequest(InputModel):
    plan_id: uuid.UUID
    cycle: BillingCycle = BillingCycle.MONTHLY
    payment_method_id: uuid.UUID | None = Field(
        default=None,
        description="A saved payment method of yours (commerce's); required unless the plan "
        "starts with a trial (renewals are charged to it).",
    )
    trial: bool = Field(default=True, description="Start with the plan's trial when it has one.")
    seats: int = Field(default=1, ge=1, le=100_000, description="Enterprise plans: seats bought.")
    organization_id: uuid.UUID | None = Field(
        default=None, description="Enterprise plans: the organization you administer."
    )
    coupon_code: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$",
        description="A promo code (commerce's coupons without course restrictions).",
    )
    checkout: bool = Field(
        default=False,
        description="Pay the first period on the payment gateway's hosted page instead of a "
        "saved method (no trial): the subscription is `incomplete` until paid; send the "
        "subscriber to `checkoutUrl`. The card entered there is saved for the renewals.",
    )


class CancelRequest(InputModel):
    immediately: bool = Field(
        default=False,
        description="End access now (with a prorated refund when the deployment refunds); by "
        "default the subscription ends at the end of the paid period.",
    )
    reason: str | None = Field(default=None, max_length=60)
    feedback: str | None = Field(default=None, max_length=2000)


class SubscriptionUpdate(InputModel):
    auto_renew: bool | None = None
    payment_method_id: uuid.UUID | None = None


class PlanChangeRequest(InputModel):
    plan_id: uuid.UUID


class SeatsChangeRequest(InputModel):
    seats: int = Field(ge=1, le=100_000)


class SeatAssignRequest(InputModel):
    user_id: uuid.UUID


class SubscriptionOut(ApiModel):
    id: uuid.UUID
    plan_id: uuid.UUID
    plan_code: str
    plan_name: str
    organization_id: uuid.UUID | None
    cycle: BillingCycle
    status: SubscriptionStatus
    seats: int
    seats_assigned: int
    amount: MoneyOut = Field(description="What one period costs (every seat).")
    next_charge: MoneyOut = Field(description="What the next period is charged (promo code).")
    coupon_code: str | None
    discounted_periods_left: int | None = Field(
        description="Paid periods the promo code still discounts after the current one was "
        "paid (null: every one while it lasts, or no promo code)."
    )
    payment_method_id: uuid.UUID | None
    current_period_start: datetime
    current_period_end: datetime | None
    next_billing_at: datetime | None
    trial_ends_at: datetime | None
    auto_renew: bool
    cancel_at_period_end: bool
    pending_plan_id: uuid.UUID | None
    pending_seats: int | None
    grace_ends_at: datetime | None
    next_retry_at: datetime | None
    cancelled_at: datetime | None
    ended_at: datetime | None
    created_at: datetime
    checkout_url: str | None = Field(
        description="`incomplete` only: the gateway's hosted page where the first period is paid."
    )
    checkout_expires_at: datetime | None = Field(
        description="`incomplete` only: when the subscription expires unpaid."
    )

    @classmethod
    def of(cls, record: SubscriptionRecord) -> Self:
        return cls(
            id=record.id,
            plan_id=record.plan.id,
            plan_code=record.plan.code,
            plan_name=record.plan.name,
            organization_id=record.organization_id,
            cycle=record.cycle,
            status=record.status,
            seats=record.quantity,
            seats_assigned=record.seats_assigned,
            amount=MoneyOut.from_parts(record.amount_minor, record.currency),
            next_charge=MoneyOut.from_parts(record.next_charge_minor, record.currency),
            coupon_code=record.coupon_code,
            discounted_periods_left=record.discount_periods_left
            if record.coupon_code is not None
            else None,
            payment_method_id=record.payment_method_id,
            current_period_start=record.current_period_start,
            current_period_end=record.current_period_end,
            next_billing_at=record.next_billing_at,
            trial_ends_at=record.trial_ends_at,
            auto_renew=record.auto_renew,
            cancel_at_period_end=record.cancel_at_period_end,
            pending_plan_id=record.pending_plan_id,
            pending_seats=record.pending_quantity,
            grace_ends_at=record.grace_ends_at,
            next_retry_at=record.next_retry_at,
            cancelled_at=record.cancelled_at,
            ended_at=record.ended_at,
            created_at=record.created_at,
            checkout_url=record.checkout_url,
            checkout_expires_at=record.checkout_expires_at,
        )


class MySubscriptionOut(ApiModel):
    """The caller's current subscription (null when they never had one)."""

    subscription: SubscriptionOut | None


class SubscriptionChargeOut(ApiModel):
    """One charge attempt or refund of a subscription (the renewal attempts dunning made)."""

    id: uuid.UUID
    kind: str
    period: int
    attempt: int
    amount: MoneyOut
    status: str
    failure_code: str | None
    gateway: str
    created_at: datetime

    @classmethod
    def of(cls, record: ChargeRecord) -> Self:
        return cls(
            id=record.id,
            kind=record.kind,
            period=record.period,
            attempt=record.attempt,
            amount=MoneyOut.from_parts(record.amount_minor, record.currency),
            status=record.status,
            failure_code=record.failure_code,
            gateway=record.gateway,
            created_at=record.created_at,
        )


class SeatOut(ApiModel):
    id: uuid.UUID
    subscription_id: uuid.UUID
    user_id: uuid.UUID
    assigned_by: uuid.UUID
    assigned_at: datetime

    @classmethod
    def of(cls, record: SeatRecord) -> Self:
        return cls(
            id=record.id,
            subscription_id=record.subscription_id,
            user_id=record.user_id,
            assigned_by=record.assigned_by,
            assigned_at=record.assigned_at,
        )


class SubscriptionEnrollmentOut(ApiModel):
    """The enrollment a subscription opened."""

    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    status: str

    @classmethod
    def of(cls, enrollment: EnrollmentSummary) -> Self:
        return cls(
            enrollment_id=enrollment.id,
            course_id=enrollment.course_id,
            status=enrollment.status.value,
        )


class MemberLearningOut(ApiModel):
    """One member's enrollment in one course the organization's subscriptions opened."""

    user_id: uuid.UUID
    display_name: str
    email: str
    course_id: uuid.UUID
    course_title: str
    status: str = Field(description="The enrollment's status, or `not_enrolled`.")
    progress_percent: int
    enrolled_at: datetime | None
    completed_at: datetime | None

    @classmethod
    def of(cls, row: MemberLearningRow) -> Self:
        return cls(
            user_id=row.user_id,
            display_name=row.display_name,
            email=row.email,
            course_id=row.course_id,
            course_title=row.course_title,
            status=row.status,
            progress_percent=row.progress_percent,
            enrolled_at=row.enrolled_at,
            completed_at=row.completed_at,
        )


class BillingWebhookReceiptOut(ApiModel):
    """A gateway event billing received (or had received before: ``duplicate``)."""

    received: bool
    event_id: str
    duplicate: bool
    outcome: str | None = Field(
        description="What it did: suspended, reinstated, expired, retry_scheduled, "
        "unknown_payment, unchanged, ignored… (null for a duplicate)."
    )
