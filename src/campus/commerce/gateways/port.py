"""The payment gateway port: what commerce asks of a payment provider.

One deployment chooses one gateway (``CAMPUS_COMMERCE_GATEWAY``: ``sandbox``, ``stripe``,
``paypal``); every payment records the gateway that took it. Adapters translate the
provider's vocabulary into these types and nothing else: commerce never sees a provider's
objects. Amounts are integer minor units of an upper-case ISO 4217 currency.

Statuses follow Stripe's PaymentIntent life cycle, the richest of the three providers:
``requires_payment_method → requires_action → processing → succeeded / canceled``, with a
decline leaving the intent at ``requires_payment_method`` and a ``failure_code``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession


class GatewayPaymentStatus(StrEnum):
    REQUIRES_PAYMENT_METHOD = "requires_payment_method"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    CANCELED = "canceled"


class GatewayRefundStatus(StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class WebhookEventType(StrEnum):
    """The provider events commerce acts on; adapters map everything else to ``IGNORED``."""

    PAYMENT_SUCCEEDED = "payment_succeeded"
    PAYMENT_FAILED = "payment_failed"
    PAYMENT_CANCELED = "payment_canceled"
    PAYMENT_PROCESSING = "payment_processing"
    REFUND_SUCCEEDED = "refund_succeeded"
    REFUND_FAILED = "refund_failed"
    IGNORED = "ignored"


class GatewayError(Exception):
    """The provider could not be reached or refused the request for a reason that is not the
    buyer's (bad credentials, 5xx, timeout). ``retryable`` says whether trying again may help."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class InvalidWebhook(Exception):
    """A webhook delivery whose signature, timestamp or shape does not verify. Nothing may be
    read from its body; the endpoint answers 400."""


@dataclass(frozen=True, slots=True)
class CardDetails:
    """What Campus may store about a payment method: the gateway's token and display data,
    never a card number."""

    token: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """Ask the gateway to take ``amount_minor`` for an order.

    ``idempotency_key`` is stable per order attempt (the gateway must return the same intent
    when asked twice with it); ``return_url`` is where the buyer lands after the hosted page,
    a 3-D Secure challenge or a PayPal approval; ``payment_method_token`` pays with a saved
    method; ``customer_ref`` is the gateway's customer for saving methods."""

    order_id: str
    amount_minor: int
    currency: str
    description: str
    idempotency_key: str
    return_url: str
    cancel_url: str
    buyer_email: str
    customer_ref: str | None = None
    payment_method_token: str | None = None
    save_payment_method: bool = False
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GatewayPayment:
    """The gateway's view of one payment. ``next_action_url`` is the page the buyer must visit
    (hosted payment page, 3-D Secure challenge, PayPal approval) while the status is
    ``requires_payment_method`` or ``requires_action``."""

    gateway: str
    gateway_payment_id: str
    status: GatewayPaymentStatus
    amount_minor: int
    currency: str
    next_action_url: str | None = None
    failure_code: str | None = None
    failure_message: str | None = None
    payment_method: CardDetails | None = None
    customer_ref: str | None = None


@dataclass(frozen=True, slots=True)
class GatewayRefund:
    gateway: str
    gateway_refund_id: str
    gateway_payment_id: str
    status: GatewayRefundStatus
    amount_minor: int
    currency: str
    failure_code: str | None = None


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    """A verified provider event. ``event_id`` is the provider's id (deduplication key);
    ``gateway_payment_id`` / ``gateway_refund_id`` say what it is about; the amount and currency
    are the provider's, for commerce to check against the order."""

    gateway: str
    event_id: str
    type: WebhookEventType
    provider_type: str
    created_at: datetime
    gateway_payment_id: str | None = None
    gateway_refund_id: str | None = None
    amount_minor: int | None = None
    currency: str | None = None
    failure_code: str | None = None
    payment_method: CardDetails | None = None


class PaymentGateway(Protocol):
    """One payment provider. Every method may raise ``GatewayError``."""

    @property
    def name(self) -> str:
        """``sandbox``, ``stripe`` or ``paypal``: recorded on every payment."""
        ...

    async def create_payment(self, request: PaymentRequest) -> GatewayPayment:
        """Create (or, for a known idempotency key, return) the payment for an order. With a
        saved ``payment_method_token`` the gateway may confirm at once (``succeeded``,
        ``requires_action`` for 3-D Secure, or a decline)."""
        ...

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """The payment as the gateway sees it now (the redirect's and the reconciler's truth)."""
        ...

    async def capture_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Capture an approved payment (PayPal's capture after approval); a no-op returning the
        payment for gateways that capture on confirmation."""
        ...

    async def cancel_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Cancel a payment that has not succeeded (an expired or cancelled order)."""
        ...

    async def refund(
        self,
        gateway_payment_id: str,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        reason: str | None = None,
    ) -> GatewayRefund:
        """Refund part or all of a succeeded payment; the same key returns the same refund."""
        ...

    async def detach_payment_method(self, token: str) -> None:
        """Forget a saved payment method at the gateway (the buyer removed it)."""
        ...

    async def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify a delivery on its raw body before parsing it (signature, and a timestamp
        within ``CAMPUS_COMMERCE_WEBHOOK_TOLERANCE_SECONDS``, 300 by default); raise
        ``InvalidWebhook`` otherwise. ``headers`` keys are lower-case."""
        ...


@runtime_checkable
class EmbeddedGateway(Protocol):
    """A gateway whose records may live in Campus's own database (the sandbox): it can create
    a payment in the caller's transaction instead of one of its own."""

    async def create_payment_in(
        self, session: AsyncSession, request: PaymentRequest
    ) -> GatewayPayment | None:
        """``create_payment`` in ``session``'s transaction; ``None`` when this deployment keeps
        the gateway's records elsewhere (the caller then asks ``create_payment``)."""
        ...
