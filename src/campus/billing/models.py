"""Billing ORM models. Ids of other contexts (users, organizations, courses, categories,
commerce's payment methods) are plain UUID columns, never foreign keys. Money is an integer
amount of minor units (``*_minor``) beside a ``currency``; no floats anywhere."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONType, TimestampMixin

Minor = sa.BigInteger
#: One live solo subscription per user and plan.
LIVE_SOLO = "organization_id IS NULL AND status IN ('incomplete', 'trialing', 'active', 'past_due')"


class Plan(IdMixin, TimestampMixin, Base):
    """A subscription plan: its prices per cycle (per seat for enterprise plans) and what it
    unlocks. A plan in use is retired, never deleted."""

    __tablename__ = "billing_plans"
    __table_args__ = (
        sa.CheckConstraint("plan_type IN ('solo_learner', 'enterprise')", name="plan_type"),
        sa.CheckConstraint("status IN ('active', 'retired')", name="status"),
        sa.CheckConstraint(
            "unlock_kind IN ('all', 'categories', 'courses', 'track')", name="unlock_kind"
        ),
        sa.CheckConstraint("trial_days >= 0", name="trial_days"),
    )

    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str | None] = mapped_column(sa.Text)
    plan_type: Mapped[str] = mapped_column(sa.String(20))
    currency: Mapped[str] = mapped_column(sa.String(3))
    monthly_minor: Mapped[int | None] = mapped_column(Minor)
    annual_minor: Mapped[int | None] = mapped_column(Minor)
    lifetime_minor: Mapped[int | None] = mapped_column(Minor)
    trial_days: Mapped[int] = mapped_column(default=0)
    features: Mapped[list[str]] = mapped_column(JSONType, default=list)
    unlock_kind: Mapped[str] = mapped_column(sa.String(12))
    unlock_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    unlock_track: Mapped[str | None] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(10), default="active")
    retired_at: Mapped[datetime | None] = mapped_column()


class Subscription(IdMixin, TimestampMixin, Base):
    """One subscriber's (or one organization's) subscription to a plan.

    ``period`` counts the paid periods (0 while trialing); a renewal claims period ``n + 1``
    with a conditional UPDATE on ``period = n``, so it happens once whoever runs it."""

    __tablename__ = "billing_subscriptions"
    __table_args__ = (
        sa.Index("ix_billing_subscriptions_user", "user_id"),
        sa.Index("ix_billing_subscriptions_org", "organization_id"),
        sa.Index("ix_billing_subscriptions_due", "status", "current_period_end"),
        sa.Index(
            "uq_billing_subscriptions_live",
            "user_id",
            "plan_id",
            unique=True,
            postgresql_where=sa.text(LIVE_SOLO),
            sqlite_where=sa.text(LIVE_SOLO),
        ),
        sa.CheckConstraint(
            "status IN ('incomplete', 'trialing', 'active', 'past_due', 'suspended', "
            "'cancelled', 'expired')",
            name="status",
        ),
        sa.CheckConstraint("cycle IN ('monthly', 'annual', 'lifetime')", name="cycle"),
        sa.CheckConstraint("quantity >= 1", name="quantity"),
        sa.CheckConstraint("seats_assigned >= 0 AND seats_assigned <= quantity", name="seats"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    organization_id: Mapped[uuid.UUID | None] = mapped_column()
    plan_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("billing_plans.id"))
    cycle: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(10))
    quantity: Mapped[int] = mapped_column(default=1)
    seats_assigned: Mapped[int] = mapped_column(default=0)
    unit_price_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(sa.String(3))
    payment_method_id: Mapped[uuid.UUID | None] = mapped_column()
    period: Mapped[int] = mapped_column(default=0)
    current_period_start: Mapped[datetime] = mapped_column()
    current_period_end: Mapped[datetime | None] = mapped_column()
    #: Where the paid periods count from (the first charge, or the end of the trial).
    anchor_at: Mapped[datetime | None] = mapped_column()
    trial_ends_at: Mapped[datetime | None] = mapped_column()
    trial_reminded: Mapped[bool] = mapped_column(default=False)
    auto_renew: Mapped[bool] = mapped_column(default=True)
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    pending_plan_id: Mapped[uuid.UUID | None] = mapped_column()
    pending_quantity: Mapped[int | None] = mapped_column()
    grace_ends_at: Mapped[datetime | None] = mapped_column()
    retry_count: Mapped[int] = mapped_column(default=0)
    next_retry_at: Mapped[datetime | None] = mapped_column()
    #: A promo code from commerce: percent (basis points) or fixed off each discounted period,
    #: for ``discount_periods_left`` more paid periods (None: for ever).
    coupon_code: Mapped[str | None] = mapped_column(sa.String(40))
    discount_percent_bp: Mapped[int | None] = mapped_column()
    discount_amount_minor: Mapped[int | None] = mapped_column(Minor)
    discount_periods_left: Mapped[int | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(60))
    cancel_feedback: Mapped[str | None] = mapped_column(sa.Text)
    cancel_mid_cycle: Mapped[bool | None] = mapped_column()
    ended_at: Mapped[datetime | None] = mapped_column()
    #: An ``incomplete`` subscription's first payment on the gateway's hosted page: the
    #: gateway's payment, the page, and when the subscription expires unpaid.
    checkout_payment_id: Mapped[str | None] = mapped_column(sa.String(255))
    checkout_url: Mapped[str | None] = mapped_column(sa.String(2048))
    checkout_expires_at: Mapped[datetime | None] = mapped_column()


class Trial(Base):
    """A trial taken: one per user per plan (the primary key decides, not a read)."""

    __tablename__ = "billing_trials"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    plan_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("billing_plans.id"), primary_key=True)
    subscription_id: Mapped[uuid.UUID] = mapped_column()
    started_at: Mapped[datetime] = mapped_column(default=utcnow)


class Charge(IdMixin, Base):
    """One attempt to charge a subscription (first period, renewal, retry, proration) or a
    refund, with its outcome: the renewal attempts dunning records."""

    __tablename__ = "billing_charges"
    __table_args__ = (
        sa.Index("ix_billing_charges_subscription", "subscription_id", "created_at"),
        sa.CheckConstraint(
            "kind IN ('initial', 'renewal', 'retry', 'proration', 'seats', 'refund')", name="kind"
        ),
        sa.CheckConstraint("status IN ('succeeded', 'failed')", name="status"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("billing_subscriptions.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(10))
    period: Mapped[int] = mapped_column()
    attempt: Mapped[int] = mapped_column(default=1)
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(10))
    failure_code: Mapped[str | None] = mapped_column(sa.String(80))
    gateway: Mapped[str] = mapped_column(sa.String(20))
    gateway_payment_id: Mapped[str | None] = mapped_column(sa.String(255))
    idempotency_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Grant(Base):
    """A course a subscription opened for a user (the entitlement learning holds has the
    subscription id as its reference); what is revoked when the access ends."""

    __tablename__ = "billing_grants"
    __table_args__ = (sa.Index("ix_billing_grants_user", "user_id"),)

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("billing_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Seat(IdMixin, Base):
    """A seat of an enterprise subscription assigned to a member of its organization."""

    __tablename__ = "billing_seats"
    __table_args__ = (
        sa.UniqueConstraint("subscription_id", "user_id"),
        sa.Index("ix_billing_seats_user", "user_id"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("billing_subscriptions.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    assigned_by: Mapped[uuid.UUID] = mapped_column()
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)


class CouponTerms(Base):
    """How many paid periods one of commerce's coupons discounts on a subscription: the first
    (``once``), the first ``periods`` (``repeating``) or every one (``forever``). A coupon
    without terms discounts ``CAMPUS_BILLING_COUPON_PERIODS`` periods."""

    __tablename__ = "billing_coupon_terms"
    __table_args__ = (
        sa.CheckConstraint("duration IN ('once', 'repeating', 'forever')", name="duration"),
        sa.CheckConstraint(
            "(duration = 'repeating' AND periods >= 1) OR "
            "(duration <> 'repeating' AND periods IS NULL)",
            name="periods",
        ),
    )

    #: Commerce's coupon id (no foreign key across contexts).
    coupon_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40))
    duration: Mapped[str] = mapped_column(sa.String(10))
    periods: Mapped[int | None] = mapped_column()
    updated_by: Mapped[uuid.UUID] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookEvent(Base):
    """A gateway event billing received, once per (gateway, event id): a redelivery finds the
    row and changes nothing."""

    __tablename__ = "billing_webhook_events"

    gateway: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    provider_type: Mapped[str] = mapped_column(sa.String(120))
    outcome: Mapped[str | None] = mapped_column(sa.String(30))
    subscription_id: Mapped[uuid.UUID | None] = mapped_column()
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
