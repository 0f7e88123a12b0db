"""Commerce's public data: enums, frozen DTOs and permissions other contexts may import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from campus.identity.data import INSTRUCTOR
from campus.kernel.module import Permission

# --------------------------------------------------------------------------- permissions

#: See every order, payment and refund; export orders.
ORDER_VIEW_ANY: Final = "order:view_any"
#: Refund any order.
ORDER_REFUND: Final = "order:refund"
#: Manage every coupon (instructors hold ``coupon:manage_own`` for their courses).
COUPON_MANAGE_ANY: Final = "coupon:manage_any"
COUPON_MANAGE_OWN: Final = "coupon:manage_own"
#: Manage tax rates.
TAX_MANAGE: Final = "tax:manage"
#: Run payouts and read revenue and tax reports.
PAYOUT_MANAGE: Final = "payout:manage"
REVENUE_VIEW: Final = "revenue:view"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(ORDER_VIEW_ANY, "See every order, payment and refund, and export orders."),
    Permission(ORDER_REFUND, "Refund any order."),
    Permission(COUPON_MANAGE_ANY, "Create and change any coupon."),
    Permission(
        COUPON_MANAGE_OWN,
        "Create and change coupons for one's own courses.",
        frozenset({INSTRUCTOR}),
    ),
    Permission(TAX_MANAGE, "Manage tax rates."),
    Permission(PAYOUT_MANAGE, "Run instructor payouts."),
    Permission(REVENUE_VIEW, "Read revenue and tax reports."),
)


class CartStatus(StrEnum):
    OPEN = "open"
    CONVERTED = "converted"
    MERGED = "merged"


class CouponKind(StrEnum):
    PERCENT = "percent"
    FIXED = "fixed"


class RedemptionStatus(StrEnum):
    RESERVED = "reserved"
    REDEEMED = "redeemed"
    RELEASED = "released"


class OrderStatus(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"


#: Orders whose buyer has paid (and may hold what they bought, unless fully refunded).
PAID_STATUSES: Final = frozenset(
    {OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED, OrderStatus.REFUNDED}
)
#: Orders that will never be paid.
CLOSED_UNPAID_STATUSES: Final = frozenset(
    {OrderStatus.FAILED, OrderStatus.CANCELLED, OrderStatus.EXPIRED}
)


class PaymentStatus(StrEnum):
    """The port's ``GatewayPaymentStatus`` values, plus ``failed`` (given up for good)."""

    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"
    FAILED = "failed"


class RefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookOutcome(StrEnum):
    APPLIED = "applied"
    IGNORED = "ignored"
    MISMATCH = "mismatch"
    UNKNOWN_PAYMENT = "unknown_payment"


class TaxType(StrEnum):
    VAT = "vat"
    GST = "gst"
    SALES_TAX = "sales_tax"


class GatewayName(StrEnum):
    SANDBOX = "sandbox"
    STRIPE = "stripe"
    PAYPAL = "paypal"


# --------------------------------------------------------------------------- DTOs


@dataclass(frozen=True, slots=True)
class OrderLineRecord:
    id: uuid.UUID
    course_id: uuid.UUID
    tier: str | None
    title: str
    instructor_id: uuid.UUID | None
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    tax_rate_bp: int
    total_minor: int
    refunded_minor: int


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order with its lines (amounts in minor units of ``currency``)."""

    id: uuid.UUID
    number: str
    user_id: uuid.UUID
    status: OrderStatus
    currency: str
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    refunded_minor: int
    coupon_code: str | None
    tax_inclusive: bool
    billing_name: str
    billing_country: str
    billing_state: str | None
    billing_address: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    lines: tuple[OrderLineRecord, ...]

    @property
    def course_ids(self) -> list[uuid.UUID]:
        return [line.course_id for line in self.lines]


@dataclass(frozen=True, slots=True)
class PaymentRecord:
    """One payment of an order as Campus sees it (``next_action_url``: where the buyer goes
    to pay, authenticate or approve)."""

    id: uuid.UUID
    order_id: uuid.UUID
    gateway: str
    gateway_payment_id: str | None
    status: PaymentStatus
    amount_minor: int
    currency: str
    next_action_url: str | None
    failure_code: str | None
    failure_message: str | None


# --------------------------------------------------------------------------- recurring charges


@dataclass(frozen=True, slots=True)
class SavedMethodSummary:
    """A buyer's saved payment method as other contexts may show it (never its token)."""

    id: uuid.UUID
    user_id: uuid.UUID
    gateway: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool


@dataclass(frozen=True, slots=True)
class ChargeResult:
    """What the gateway made of a merchant-initiated charge of a saved method (a renewal).
    ``succeeded`` False with ``failure_code`` is a decline; ``gateway_payment_id`` is the
    provider's payment, the reference for a later refund."""

    gateway: str
    gateway_payment_id: str | None
    succeeded: bool
    amount_minor: int
    currency: str
    failure_code: str | None = None
    failure_message: str | None = None


@dataclass(frozen=True, slots=True)
class RefundResult:
    gateway: str
    gateway_refund_id: str | None
    succeeded: bool
    amount_minor: int
    currency: str
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionCoupon:
    """A coupon redeemed for a subscription: percent (basis points) or a fixed amount off a
    period's price, in ``currency`` when fixed."""

    coupon_id: uuid.UUID
    code: str
    percent_bp: int | None
    amount_off_minor: int | None
    currency: str | None
