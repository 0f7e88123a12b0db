"""Commerce ORM models. Ids of other contexts (users, courses, instructors, categories) are
plain UUID columns, never foreign keys (ARCHITECTURE.md §3 rule 1). Money is always an integer
amount of minor units (``*_minor``, BigInteger) beside a ``currency``; percentages and tax
rates are integer basis points (``*_bp``, 2000 = 20 %). No floats anywhere. Relationships:
none; every read is an explicit query in ``repository``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONType, TimestampMixin

Minor = sa.BigInteger
Currency = sa.String(3)

# --------------------------------------------------------------------------- cart


class Cart(IdMixin, TimestampMixin, Base):
    """A buyer's cart: a signed-in user's (``user_id``) or an anonymous one reached by a cart
    token (only its SHA-256 is stored). At most one open cart per user."""

    __tablename__ = "commerce_carts"
    __table_args__ = (
        sa.Index(
            "uq_commerce_carts_open_user",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status = 'open'"),
            sqlite_where=sa.text("status = 'open'"),
        ),
        sa.CheckConstraint("status IN ('open', 'converted', 'merged')", name="status"),
    )

    user_id: Mapped[uuid.UUID | None] = mapped_column()
    token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(12), default="open")
    currency: Mapped[str | None] = mapped_column(Currency)


class CartItem(IdMixin, Base):
    __tablename__ = "commerce_cart_items"
    __table_args__ = (sa.UniqueConstraint("cart_id", "course_id"),)

    cart_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_carts.id", ondelete="CASCADE")
    )
    course_id: Mapped[uuid.UUID] = mapped_column()
    tier: Mapped[str | None] = mapped_column(sa.String(20))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- coupons


class Coupon(IdMixin, TimestampMixin, Base):
    """A promo code: ``percent`` (``percent_bp``) or ``fixed`` (``amount_off_minor`` in one
    ``currency``). Empty restriction lists mean no restriction. ``owner_id`` is the instructor
    whose coupon it is (it then applies to their courses only)."""

    __tablename__ = "commerce_coupons"
    __table_args__ = (
        sa.Index("ix_commerce_coupons_owner", "owner_id"),
        sa.CheckConstraint("kind IN ('percent', 'fixed')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'percent' AND percent_bp > 0 AND percent_bp <= 10000) OR "
            "(kind = 'fixed' AND amount_off_minor > 0 AND currency IS NOT NULL)",
            name="amount",
        ),
        sa.CheckConstraint(
            "used_count >= 0 AND (usage_limit IS NULL OR used_count <= usage_limit)",
            name="usage_within_limit",
        ),
    )

    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[str] = mapped_column(sa.String(10))
    percent_bp: Mapped[int | None] = mapped_column()
    amount_off_minor: Mapped[int | None] = mapped_column(Minor)
    currency: Mapped[str | None] = mapped_column(Currency)
    min_order_minor: Mapped[int | None] = mapped_column(Minor)
    starts_at: Mapped[datetime] = mapped_column(default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column()
    usage_limit: Mapped[int | None] = mapped_column()
    used_count: Mapped[int] = mapped_column(default=0)
    per_user_limit: Mapped[int | None] = mapped_column(default=1)
    course_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    category_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    instructor_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    first_purchase_only: Mapped[bool] = mapped_column(default=False)
    stackable: Mapped[bool] = mapped_column(default=False)
    owner_id: Mapped[uuid.UUID | None] = mapped_column()
    active: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[uuid.UUID] = mapped_column()


class CouponRedemption(IdMixin, Base):
    """A coupon held by an order: ``reserved`` at checkout, ``redeemed`` when paid,
    ``released`` when the order fails, expires or is cancelled (its use is given back)."""

    __tablename__ = "commerce_coupon_redemptions"
    __table_args__ = (
        sa.Index("ix_commerce_coupon_redemptions_coupon_user", "coupon_id", "user_id"),
        sa.CheckConstraint("status IN ('reserved', 'redeemed', 'released')", name="status"),
    )

    coupon_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_coupons.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    order_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="reserved")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CouponUserCount(Base):
    """How many live (reserved or redeemed) uses of a coupon one user holds: the per-user limit
    is a guarded upsert on this row, never a count followed by an insert."""

    __tablename__ = "commerce_coupon_user_counts"
    __table_args__ = (sa.CheckConstraint("used >= 0", name="used_not_negative"),)

    coupon_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_coupons.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    used: Mapped[int] = mapped_column(default=0)


# --------------------------------------------------------------------------- orders


class Order(IdMixin, TimestampMixin, Base):
    """What a buyer bought, priced by the server at checkout. Totals: ``total = subtotal -
    discount + tax`` when prices exclude tax, ``total = subtotal - discount`` when they
    include it (``tax_inclusive``); each equals the sum of its lines."""

    __tablename__ = "commerce_orders"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "idempotency_key"),
        sa.Index("ix_commerce_orders_user_created", "user_id", "created_at"),
        sa.Index("ix_commerce_orders_status_expires", "status", "expires_at"),
        sa.Index("ix_commerce_orders_created", "created_at"),
        sa.CheckConstraint(
            "status IN ('pending', 'paid', 'partially_refunded', 'refunded', 'failed', "
            "'cancelled', 'expired')",
            name="status",
        ),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND discount_minor >= 0 AND tax_minor >= 0 AND total_minor >= 0"
            " AND refunded_minor >= 0 AND refunded_minor <= total_minor",
            name="amounts",
        ),
    )

    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    cart_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    currency: Mapped[str] = mapped_column(Currency)
    subtotal_minor: Mapped[int] = mapped_column(Minor)
    discount_minor: Mapped[int] = mapped_column(Minor, default=0)
    tax_minor: Mapped[int] = mapped_column(Minor, default=0)
    total_minor: Mapped[int] = mapped_column(Minor)
    refunded_minor: Mapped[int] = mapped_column(Minor, default=0)
    coupon_id: Mapped[uuid.UUID | None] = mapped_column()
    coupon_code: Mapped[str | None] = mapped_column(sa.String(40))
    tax_inclusive: Mapped[bool] = mapped_column(default=False)
    billing_name: Mapped[str] = mapped_column(sa.String(200))
    billing_country: Mapped[str] = mapped_column(sa.String(2))
    billing_state: Mapped[str | None] = mapped_column(sa.String(10))
    billing_address: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    expires_at: Mapped[datetime | None] = mapped_column()
    paid_at: Mapped[datetime | None] = mapped_column()
    fulfilled_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()


class OrderLine(IdMixin, Base):
    """One course of an order. ``total_minor = unit_price_minor - discount_minor + tax_minor``
    for tax-exclusive orders, ``unit_price_minor - discount_minor`` for inclusive ones."""

    __tablename__ = "commerce_order_lines"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "course_id"),
        sa.Index("ix_commerce_order_lines_course", "course_id"),
        sa.CheckConstraint(
            "unit_price_minor >= 0 AND discount_minor >= 0 AND tax_minor >= 0 AND total_minor >= 0"
            " AND refunded_minor >= 0 AND tax_rate_bp >= 0",
            name="amounts",
        ),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_orders.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(default=0)
    course_id: Mapped[uuid.UUID] = mapped_column()
    tier: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(200))
    instructor_id: Mapped[uuid.UUID | None] = mapped_column()
    unit_price_minor: Mapped[int] = mapped_column(Minor)
    discount_minor: Mapped[int] = mapped_column(Minor, default=0)
    tax_minor: Mapped[int] = mapped_column(Minor, default=0)
    tax_rate_bp: Mapped[int] = mapped_column(default=0)
    total_minor: Mapped[int] = mapped_column(Minor)
    refunded_minor: Mapped[int] = mapped_column(Minor, default=0)


# --------------------------------------------------------------------------- payments


class Payment(IdMixin, TimestampMixin, Base):
    """One attempt to take an order's total through a gateway. ``status`` holds the port's
    ``GatewayPaymentStatus`` values plus ``failed``."""

    __tablename__ = "commerce_payments"
    __table_args__ = (
        sa.UniqueConstraint("gateway", "gateway_payment_id"),
        sa.Index("ix_commerce_payments_order", "order_id"),
        sa.Index("ix_commerce_payments_status_created", "status", "created_at"),
        sa.CheckConstraint(
            "amount_minor >= 0 AND captured_minor >= 0 AND refunded_minor >= 0"
            " AND refunded_minor <= captured_minor",
            name="amounts",
        ),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_orders.id", ondelete="CASCADE")
    )
    gateway: Mapped[str] = mapped_column(sa.String(20))
    gateway_payment_id: Mapped[str | None] = mapped_column(sa.String(255))
    status: Mapped[str] = mapped_column(sa.String(30))
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(Currency)
    captured_minor: Mapped[int] = mapped_column(Minor, default=0)
    refunded_minor: Mapped[int] = mapped_column(Minor, default=0)
    failure_code: Mapped[str | None] = mapped_column(sa.String(100))
    failure_message: Mapped[str | None] = mapped_column(sa.Text)
    next_action_url: Mapped[str | None] = mapped_column(sa.String(2048))
    payment_method_id: Mapped[uuid.UUID | None] = mapped_column()


class Refund(IdMixin, Base):
    __tablename__ = "commerce_refunds"
    __table_args__ = (
        sa.Index(
            "uq_commerce_refunds_gateway_refund_id",
            "gateway_refund_id",
            unique=True,
            postgresql_where=sa.text("gateway_refund_id IS NOT NULL"),
            sqlite_where=sa.text("gateway_refund_id IS NOT NULL"),
        ),
        sa.Index("ix_commerce_refunds_order", "order_id"),
        sa.Index("ix_commerce_refunds_payment", "payment_id"),
        # The reconciler's look for refunds whose provider answer was lost.
        sa.Index(
            "ix_commerce_refunds_pending",
            "created_at",
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        ),
        sa.CheckConstraint("status IN ('pending', 'succeeded', 'failed')", name="status"),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_orders.id", ondelete="CASCADE")
    )
    payment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_payments.id", ondelete="CASCADE")
    )
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(Currency)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    reason: Mapped[str | None] = mapped_column(sa.Text)
    gateway_refund_id: Mapped[str | None] = mapped_column(sa.String(255))
    failure_code: Mapped[str | None] = mapped_column(sa.String(100))
    requested_by: Mapped[uuid.UUID | None] = mapped_column()
    idempotency_key: Mapped[str] = mapped_column(sa.String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()


class WebhookEventRecord(IdMixin, Base):
    """Every verified provider event received, once (deduplicated by the provider's id)."""

    __tablename__ = "commerce_webhook_events"
    __table_args__ = (
        sa.UniqueConstraint("gateway", "event_id"),
        sa.Index("ix_commerce_webhook_events_received", "received_at"),
    )

    gateway: Mapped[str] = mapped_column(sa.String(20))
    event_id: Mapped[str] = mapped_column(sa.String(255))
    provider_type: Mapped[str] = mapped_column(sa.String(100))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()
    #: applied | ignored | mismatch | unknown_payment
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    detail: Mapped[str | None] = mapped_column(sa.Text)


class PaymentMethod(IdMixin, Base):
    """A saved payment method: the gateway's token and display data, never a card number."""

    __tablename__ = "commerce_payment_methods"
    __table_args__ = (
        sa.Index("ix_commerce_payment_methods_user", "user_id"),
        sa.Index(
            "uq_commerce_payment_methods_default",
            "user_id",
            unique=True,
            postgresql_where=sa.text("is_default"),
            sqlite_where=sa.text("is_default"),
        ),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    gateway: Mapped[str] = mapped_column(sa.String(20))
    token: Mapped[str] = mapped_column(sa.String(255), unique=True)
    brand: Mapped[str] = mapped_column(sa.String(30))
    last4: Mapped[str] = mapped_column(sa.String(4))
    exp_month: Mapped[int] = mapped_column()
    exp_year: Mapped[int] = mapped_column()
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- tax


class TaxRate(IdMixin, Base):
    """A tax rate of a country (and optionally one of its states), valid from ``valid_from``
    until ``valid_to`` (exclusive; open-ended when empty)."""

    __tablename__ = "commerce_tax_rates"
    __table_args__ = (
        sa.Index("ix_commerce_tax_rates_country_state", "country", "state", "valid_from"),
        sa.CheckConstraint("type IN ('vat', 'gst', 'sales_tax')", name="type"),
        sa.CheckConstraint("rate_bp >= 0 AND rate_bp <= 10000", name="rate_range"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="validity"),
    )

    country: Mapped[str] = mapped_column(sa.String(2))
    state: Mapped[str | None] = mapped_column(sa.String(10))
    name: Mapped[str] = mapped_column(sa.String(100))
    type: Mapped[str] = mapped_column(sa.String(10))
    rate_bp: Mapped[int] = mapped_column()
    valid_from: Mapped[datetime] = mapped_column()
    valid_to: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --------------------------------------------------------------------------- sandbox gateway


class SandboxPayment(Base):
    """The embedded sandbox gateway's own record of a payment intent, as the provider would
    keep it (``pi_...``): Campus's payments refer to it only by its id."""

    __tablename__ = "commerce_sandbox_payments"
    __table_args__ = (
        # Every charge of a saved card finds the payment that saved it by its token.
        sa.Index(
            "ix_commerce_sandbox_payments_card_token",
            "card_token",
            postgresql_where=sa.text("card_token IS NOT NULL"),
            sqlite_where=sa.text("card_token IS NOT NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(Currency)
    status: Mapped[str] = mapped_column(sa.String(30))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    return_url: Mapped[str] = mapped_column(sa.String(2048))
    cancel_url: Mapped[str] = mapped_column(sa.String(2048))
    buyer_email: Mapped[str] = mapped_column(sa.String(320))
    customer_ref: Mapped[str | None] = mapped_column(sa.String(100))
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONType, default=dict)
    failure_code: Mapped[str | None] = mapped_column(sa.String(100))
    failure_message: Mapped[str | None] = mapped_column(sa.Text)
    card_brand: Mapped[str | None] = mapped_column(sa.String(30))
    card_last4: Mapped[str | None] = mapped_column(sa.String(4))
    card_token: Mapped[str | None] = mapped_column(sa.String(255))
    card_exp_month: Mapped[int | None] = mapped_column()
    card_exp_year: Mapped[int | None] = mapped_column()
    #: While ``requires_action``: ``challenge`` (3-D Secure) or ``confirm`` (a saved card).
    next_action: Mapped[str | None] = mapped_column(sa.String(20))
    save_card: Mapped[bool] = mapped_column(default=False)
    refunded_minor: Mapped[int] = mapped_column(Minor, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SandboxRefund(Base):
    __tablename__ = "commerce_sandbox_refunds"
    __table_args__ = (sa.Index("ix_commerce_sandbox_refunds_payment", "payment_id"),)

    id: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    payment_id: Mapped[str] = mapped_column(
        sa.ForeignKey("commerce_sandbox_payments.id", ondelete="CASCADE")
    )
    amount_minor: Mapped[int] = mapped_column(Minor)
    currency: Mapped[str] = mapped_column(Currency)
    status: Mapped[str] = mapped_column(sa.String(10))
    idempotency_key: Mapped[str] = mapped_column(sa.String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# Invoices, ledger and payouts


class InvoiceSequence(Base):
    """The next number of a year's invoices (``kind='invoice'``) or credit notes
    (``kind='credit_note'``). Taken under the row's lock inside the issuing transaction, so
    numbers are unique and gap-free: a rolled-back issue gives its number back."""

    __tablename__ = "commerce_invoice_sequences"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        sa.CheckConstraint("next_number >= 1", name="next_number_positive"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)
    next_number: Mapped[int] = mapped_column(sa.BigInteger, default=1)


class Invoice(IdMixin, Base):
    """An invoice of a paid order (one per order) or a credit note of one of its refunds (one
    per refund, ``credited_invoice_id`` naming the invoice). Seller and buyer details are a
    snapshot taken when it was issued. Amounts are positive on both kinds."""

    __tablename__ = "commerce_invoices"
    __table_args__ = (
        sa.Index(
            "uq_commerce_invoices_order_invoice",
            "order_id",
            unique=True,
            postgresql_where=sa.text("kind = 'invoice'"),
            sqlite_where=sa.text("kind = 'invoice'"),
        ),
        sa.UniqueConstraint("refund_id"),
        sa.UniqueConstraint("kind", "year", "sequence"),
        sa.Index("ix_commerce_invoices_user_issued", "user_id", "issued_at"),
        sa.Index("ix_commerce_invoices_issued", "issued_at"),
        sa.CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'invoice' AND refund_id IS NULL AND credited_invoice_id IS NULL) OR "
            "(kind = 'credit_note' AND refund_id IS NOT NULL AND credited_invoice_id IS NOT NULL)",
            name="credit_note_refers",
        ),
        sa.CheckConstraint(
            "subtotal_minor >= 0 AND discount_minor >= 0 AND net_minor >= 0 AND tax_minor >= 0"
            " AND total_minor >= 0",
            name="amounts",
        ),
    )

    number: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    year: Mapped[int] = mapped_column()
    sequence: Mapped[int] = mapped_column(sa.BigInteger)
    order_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_orders.id", ondelete="CASCADE")
    )
    order_number: Mapped[str] = mapped_column(sa.String(32))
    refund_id: Mapped[uuid.UUID | None] = mapped_column()
    credited_invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("commerce_invoices.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    seller_name: Mapped[str] = mapped_column(sa.String(200))
    seller_address: Mapped[str] = mapped_column(sa.Text, default="")
    seller_tax_id: Mapped[str] = mapped_column(sa.String(64), default="")
    buyer_name: Mapped[str] = mapped_column(sa.String(200))
    buyer_country: Mapped[str] = mapped_column(sa.String(2))
    buyer_state: Mapped[str | None] = mapped_column(sa.String(10))
    buyer_address: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    currency: Mapped[str] = mapped_column(Currency)
    tax_inclusive: Mapped[bool] = mapped_column(default=False)
    subtotal_minor: Mapped[int] = mapped_column(Minor)
    discount_minor: Mapped[int] = mapped_column(Minor)
    net_minor: Mapped[int] = mapped_column(Minor)
    tax_minor: Mapped[int] = mapped_column(Minor)
    total_minor: Mapped[int] = mapped_column(Minor)
    issued_at: Mapped[datetime] = mapped_column()


class InvoiceLine(IdMixin, Base):
    """One course on an invoice or credit note: ``total = net + tax``."""

    __tablename__ = "commerce_invoice_lines"
    __table_args__ = (
        sa.Index("ix_commerce_invoice_lines_invoice", "invoice_id", "position"),
        sa.Index("ix_commerce_invoice_lines_course", "course_id"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_invoices.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column()
    order_line_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    instructor_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    unit_price_minor: Mapped[int] = mapped_column(Minor)
    discount_minor: Mapped[int] = mapped_column(Minor)
    net_minor: Mapped[int] = mapped_column(Minor)
    tax_rate_bp: Mapped[int] = mapped_column()
    tax_minor: Mapped[int] = mapped_column(Minor)
    total_minor: Mapped[int] = mapped_column(Minor)


class InvoiceTaxLine(IdMixin, Base):
    """The tax of an invoice at one rate: what it was charged on and how much."""

    __tablename__ = "commerce_invoice_tax_lines"
    __table_args__ = (sa.UniqueConstraint("invoice_id", "rate_bp"),)

    invoice_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_invoices.id", ondelete="CASCADE")
    )
    rate_bp: Mapped[int] = mapped_column()
    taxable_minor: Mapped[int] = mapped_column(Minor)
    tax_minor: Mapped[int] = mapped_column(Minor)


class RevenueShare(IdMixin, TimestampMixin, Base):
    """The platform's share (basis points of a line's amount net of tax) for one course or
    one instructor, overriding ``CAMPUS_COMMERCE_PLATFORM_SHARE_PERCENT``. A course's share
    wins over its instructor's."""

    __tablename__ = "commerce_revenue_shares"
    __table_args__ = (
        sa.UniqueConstraint("scope", "subject_id"),
        sa.CheckConstraint("scope IN ('course', 'instructor')", name="scope"),
        sa.CheckConstraint(
            "platform_share_bp >= 0 AND platform_share_bp <= 10000", name="share_range"
        ),
    )

    scope: Mapped[str] = mapped_column(sa.String(10))
    subject_id: Mapped[uuid.UUID] = mapped_column()
    platform_share_bp: Mapped[int] = mapped_column()


class LedgerEntry(IdMixin, Base):
    """One side of a double-entry posting. Every posting (``posting_id``: an order's sale, a
    refund's reversal, a payout, a failed payout's return) sums to zero: debits equal
    credits. Accounts: ``gateway_clearing`` (money the gateway holds for Campus), ``tax``,
    ``platform``, ``instructor:<id>``, ``payouts`` (money sent to instructors)."""

    __tablename__ = "commerce_ledger_entries"
    __table_args__ = (
        sa.Index("ix_commerce_ledger_entries_account", "account", "currency", "created_at"),
        sa.Index("ix_commerce_ledger_entries_order", "order_id"),
        sa.Index("ix_commerce_ledger_entries_posting", "posting_id"),
        sa.Index("ix_commerce_ledger_entries_created", "created_at"),
        sa.CheckConstraint("kind IN ('sale', 'refund', 'payout', 'payout_return')", name="kind"),
        sa.CheckConstraint(
            "debit_minor >= 0 AND credit_minor >= 0 AND (debit_minor = 0 OR credit_minor = 0)",
            name="one_side",
        ),
    )

    posting_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(16))
    order_id: Mapped[uuid.UUID | None] = mapped_column()
    refund_id: Mapped[uuid.UUID | None] = mapped_column()
    payout_id: Mapped[uuid.UUID | None] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column()
    instructor_id: Mapped[uuid.UUID | None] = mapped_column()
    account: Mapped[str] = mapped_column(sa.String(60))
    debit_minor: Mapped[int] = mapped_column(Minor, default=0)
    credit_minor: Mapped[int] = mapped_column(Minor, default=0)
    currency: Mapped[str] = mapped_column(Currency)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PayoutPeriod(IdMixin, Base):
    """A month of instructor earnings (``starts_at`` inclusive, ``ends_at`` exclusive)."""

    __tablename__ = "commerce_payout_periods"
    __table_args__ = (
        sa.UniqueConstraint("starts_at"),
        sa.CheckConstraint("ends_at > starts_at", name="span"),
    )

    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    computed_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Payout(IdMixin, Base):
    """What one instructor is paid for one period in one currency: ``pending`` until the
    payout provider answers, then ``completed`` (with its ``reference``) or ``failed``."""

    __tablename__ = "commerce_payouts"
    __table_args__ = (
        sa.UniqueConstraint("period_id", "instructor_id", "currency"),
        sa.Index("ix_commerce_payouts_instructor", "instructor_id", "created_at"),
        sa.CheckConstraint("status IN ('pending', 'completed', 'failed')", name="status"),
        sa.CheckConstraint(
            "method IN ('bank_transfer', 'paypal', 'stripe_connect')", name="method"
        ),
        sa.CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    period_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("commerce_payout_periods.id", ondelete="CASCADE")
    )
    instructor_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(Currency)
    amount_minor: Mapped[int] = mapped_column(Minor)
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    method: Mapped[str] = mapped_column(sa.String(20))
    reference: Mapped[str | None] = mapped_column(sa.String(255))
    failure: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    executed_at: Mapped[datetime | None] = mapped_column()
