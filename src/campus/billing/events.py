"""The events billing publishes, and its job names."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Final

from campus.kernel.events import Event

#: Periodic: charge the renewals that fell due, run dunning retries, end lapsed subscriptions.
RUN_RENEWALS_JOB: Final = "billing.run_renewals"
#: A follow-up batch of ``RUN_RENEWALS_JOB`` when one batch was full.
RENEWALS_BATCH_JOB: Final = "billing.renewals_batch"
#: Issue the commerce invoice of one paid charge (payload: the charge's idempotency key).
INVOICE_CHARGE_JOB: Final = "billing.invoice_charge"


class SubscriptionStarted(Event):
    name: ClassVar[str] = "billing.subscription_started"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    plan_id: uuid.UUID
    plan_code: str
    status: str
    cycle: str
    trial_ends_at: datetime | None
    current_period_end: datetime | None
    started_at: datetime


class SubscriptionRenewed(Event):
    name: ClassVar[str] = "billing.subscription_renewed"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    period: int
    amount_minor: int
    currency: str
    current_period_end: datetime
    renewed_at: datetime


class PaymentFailed(Event):
    name: ClassVar[str] = "billing.payment_failed"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    period: int
    attempt: int
    amount_minor: int
    currency: str
    failure_code: str
    next_retry_at: datetime | None
    failed_at: datetime


class GraceStarted(Event):
    name: ClassVar[str] = "billing.grace_started"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    grace_ends_at: datetime
    started_at: datetime


class SubscriptionCancelled(Event):
    name: ClassVar[str] = "billing.subscription_cancelled"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    at_period_end: bool
    reason: str | None
    refund_minor: int
    currency: str
    ends_at: datetime
    cancelled_at: datetime


class SubscriptionExpired(Event):
    name: ClassVar[str] = "billing.subscription_expired"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    #: ``payment_failed`` (grace ran out), ``cancelled`` (the period of a cancelled one ended),
    #: ``dispute_lost``.
    reason: str
    expired_at: datetime


class SubscriptionSuspended(Event):
    """A dispute was opened on one of the subscription's payments: access and renewals stop
    until the dispute closes (won: ``active`` again; lost: ``expired``)."""

    name: ClassVar[str] = "billing.subscription_suspended"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    gateway_payment_id: str
    suspended_at: datetime


class SeatAssigned(Event):
    name: ClassVar[str] = "billing.seat_assigned"

    subscription_id: uuid.UUID
    organization_id: uuid.UUID
    user_id: uuid.UUID
    assigned_by: uuid.UUID
    assigned_at: datetime


class TrialEnding(Event):
    """The trial ends in ``CAMPUS_BILLING_TRIAL_REMINDER_DAYS`` days (announced once)."""

    name: ClassVar[str] = "billing.trial_ending"

    subscription_id: uuid.UUID
    user_id: uuid.UUID
    trial_ends_at: datetime
