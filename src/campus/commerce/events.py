"""Events the commerce context publishes (through the outbox, in the changing transaction).

Money is an integer amount of minor units (``*Minor``) with its ``currency``.

``commerce.order_paid`` - an order was paid (exactly once per order; a free order when it is
placed)::

    {"orderId", "userId", "currency", "subtotalMinor", "discountMinor", "taxMinor",
     "totalMinor", "courseIds": [...], "paidAt"}

``commerce.order_refunded`` - a refund of an order succeeded (``full``: nothing is left paid)::

    {"orderId", "refundId", "userId", "amountMinor", "currency", "full": bool, "courseIds"}

``commerce.payment_failed`` - a payment of an order failed for good::

    {"orderId", "paymentId", "userId", "failureCode": str | None}
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Final

from campus.kernel.events import Event


class OrderPaid(Event):
    """An order was paid (once per order)."""

    name: ClassVar[str] = "commerce.order_paid"

    order_id: uuid.UUID
    user_id: uuid.UUID
    currency: str
    subtotal_minor: int
    discount_minor: int
    tax_minor: int
    total_minor: int
    course_ids: list[uuid.UUID]
    paid_at: datetime


class OrderRefunded(Event):
    """A refund of an order succeeded."""

    name: ClassVar[str] = "commerce.order_refunded"

    order_id: uuid.UUID
    refund_id: uuid.UUID
    user_id: uuid.UUID
    amount_minor: int
    currency: str
    full: bool
    course_ids: list[uuid.UUID]


class PaymentFailed(Event):
    """A payment of an order failed for good."""

    name: ClassVar[str] = "commerce.payment_failed"

    order_id: uuid.UUID
    payment_id: uuid.UUID
    user_id: uuid.UUID
    failure_code: str | None


#: Periodic job: expire unpaid orders past their ``expires_at`` (their coupon uses come back).
EXPIRE_ORDERS_JOB: Final = "commerce.expire_orders"
#: Periodic job: delete idempotency keys past their time.
SWEEP_IDEMPOTENCY_JOB: Final = "commerce.sweep_idempotency_keys"
#: Periodic job: delete anonymous carts untouched for ``ANONYMOUS_CART_DAYS`` days.
SWEEP_CARTS_JOB: Final = "commerce.sweep_anonymous_carts"


class PayoutCompleted(Event):
    """An instructor's payout for a period was sent by the payout provider (once per payout).

    ``{"payoutId", "instructorId", "periodStart", "periodEnd", "amountMinor", "currency",
    "method", "reference", "completedAt"}``"""

    name: ClassVar[str] = "commerce.payout_completed"

    payout_id: uuid.UUID
    instructor_id: uuid.UUID
    period_start: datetime
    period_end: datetime
    amount_minor: int
    currency: str
    method: str
    reference: str
    completed_at: datetime


#: Periodic job: compute the payouts of the month that ended (idempotent per instructor).
RUN_PAYOUTS_JOB: Final = "commerce.run_payouts"
#: Job: send one pending payout through the payout provider (payload ``{"payoutId"}``).
EXECUTE_PAYOUT_JOB: Final = "commerce.execute_payout"
