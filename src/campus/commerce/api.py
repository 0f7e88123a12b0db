"""Commerce's doorway for other contexts. Reads return frozen DTOs from ``commerce.data``;
none of these check permissions."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import (
    ChargeResult,
    OrderRecord,
    RefundResult,
    SavedMethodSummary,
    SubscriptionCoupon,
)
from campus.commerce.exceptions import CouponExhausted, PaymentUnavailable
from campus.commerce.gateways import build_gateway
from campus.commerce.gateways.port import (
    GatewayError,
    GatewayPaymentStatus,
    GatewayRefundStatus,
    PaymentRequest,
)
from campus.commerce.gateways.sandbox import SandboxGateway
from campus.commerce.repository import coupons as coupons_repo
from campus.commerce.repository import payment_methods as methods_repo
from campus.commerce.service import coupons, orders
from campus.kernel.clock import utcnow

if TYPE_CHECKING:
    from campus.config import Settings

__all__ = [
    "charge_saved_method",
    "default_payment_method",
    "find_coupon",
    "get_order",
    "get_payment_method",
    "hosted_payment_outcome",
    "invoice_subscription_charge",
    "redeem_subscription_coupon",
    "refund_charge",
    "start_hosted_payment",
    "verify_subscription_webhook",
]


async def get_order(session: AsyncSession, order_id: uuid.UUID) -> OrderRecord | None:
    """The order with its lines, or None."""
    return await orders.load(session, order_id)


# --------------------------------------------------------------------------- recurring charges
# Billing charges subscriptions through the deployment's gateway: a saved method, a stable
# idempotency key per period (asking twice returns the same payment: a crash between the
# charge and its record is reconciled, never charged twice), and refunds by payment id.


def _saved_summary(row: Any) -> SavedMethodSummary:
    return SavedMethodSummary(
        id=row.id,
        user_id=row.user_id,
        gateway=row.gateway,
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        is_default=row.is_default,
    )


async def get_payment_method(
    session: AsyncSession, user_id: uuid.UUID, method_id: uuid.UUID
) -> SavedMethodSummary | None:
    """The buyer's saved method (another buyer's is None)."""
    row = await methods_repo.get_for(session, user_id, method_id)
    return None if row is None else _saved_summary(row)


async def default_payment_method(
    session: AsyncSession, user_id: uuid.UUID
) -> SavedMethodSummary | None:
    """The buyer's default saved method, or their newest one, or None."""
    rows, _ = await methods_repo.list_for(session, user_id, offset=0, limit=1)
    return _saved_summary(rows[0]) if rows else None


async def charge_saved_method(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    method_id: uuid.UUID | None,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    description: str,
    reference: str,
    buyer_email: str = "",
) -> ChargeResult:
    """Charge the buyer's saved method off-session through the deployment's gateway with
    ``idempotency_key`` (the same key returns the same payment, whatever its outcome). No
    method, or one of another buyer, is a decline ``no_payment_method``. Raises
    ``PaymentUnavailable`` (503) when the gateway cannot be reached."""
    gateway = build_gateway(settings, None)
    method = None
    if method_id is not None:
        method = await methods_repo.get_for(session, user_id, method_id)
    if method is None:
        return ChargeResult(gateway.name, None, False, amount_minor, currency, "no_payment_method")
    base = settings.base_url.rstrip("/")
    try:
        payment = await gateway.create_payment(
            PaymentRequest(
                order_id=reference,
                amount_minor=amount_minor,
                currency=currency,
                description=description,
                idempotency_key=idempotency_key,
                return_url=base,
                cancel_url=base,
                buyer_email=buyer_email,
                payment_method_token=method.token,
                metadata={"reference": reference},
            )
        )
        if payment.status == GatewayPaymentStatus.REQUIRES_ACTION and isinstance(
            gateway, SandboxGateway
        ):
            # The sandbox confirms a saved card on its page; a merchant-initiated charge is
            # that confirmation without the buyer (the card's test rule decides).
            await gateway.confirm_saved(payment.gateway_payment_id)
            payment = await gateway.get_payment(payment.gateway_payment_id)
    except GatewayError as exc:
        if exc.retryable:
            raise PaymentUnavailable() from exc
        return ChargeResult(gateway.name, None, False, amount_minor, currency, "gateway_refused")
    succeeded = payment.status == GatewayPaymentStatus.SUCCEEDED
    return ChargeResult(
        gateway=gateway.name,
        gateway_payment_id=payment.gateway_payment_id,
        succeeded=succeeded,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        failure_code=None if succeeded else (payment.failure_code or payment.status.value),
        failure_message=None if succeeded else payment.failure_message,
    )


async def refund_charge(
    settings: Settings,
    *,
    gateway_payment_id: str,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    reason: str | None = None,
) -> RefundResult:
    """Refund part of a charge made by ``charge_saved_method`` (the same key returns the same
    refund). Raises ``PaymentUnavailable`` when the gateway cannot be reached."""

    gateway = build_gateway(settings, None)
    try:
        refund = await gateway.refund(
            gateway_payment_id,
            amount_minor=amount_minor,
            currency=currency,
            idempotency_key=idempotency_key,
            reason=reason,
        )
    except GatewayError as exc:
        if exc.retryable:
            raise PaymentUnavailable() from exc
        return RefundResult(gateway.name, None, False, amount_minor, currency, "gateway_refused")
    return RefundResult(
        gateway=refund.gateway,
        gateway_refund_id=refund.gateway_refund_id,
        succeeded=refund.status != GatewayRefundStatus.FAILED,
        amount_minor=refund.amount_minor,
        currency=refund.currency,
        failure_code=refund.failure_code,
    )


async def redeem_subscription_coupon(
    session: AsyncSession, *, code: str, user_id: uuid.UUID, currency: str
) -> SubscriptionCoupon:
    """Take one use of a coupon for a subscription (in the caller's transaction): the same
    window, global and per-user limits as at checkout; a coupon restricted to courses,
    categories or instructors, or fixed in another currency, does not apply. 404
    ``coupon_not_found``; 409 ``coupon_invalid`` (``details.reason``) or ``coupon_exhausted``."""
    now = utcnow()
    coupon = await coupons.find_usable(session, code.upper(), user_id, now)
    if coupon.course_ids or coupon.category_ids or coupon.instructor_ids or coupon.owner_id:
        raise coupons.invalid("not_applicable")
    if coupon.currency is not None and coupon.currency != currency:
        raise coupons.invalid("currency_mismatch", couponCurrency=coupon.currency)
    if not await coupons_repo.take_use(session, coupon.id, now):
        raise CouponExhausted()
    if not await coupons_repo.take_user_use(session, coupon.id, user_id, coupon.per_user_limit):
        raise coupons.invalid("per_user_limit_reached")
    return SubscriptionCoupon(
        coupon_id=coupon.id,
        code=coupon.code,
        percent_bp=coupon.percent_bp,
        amount_off_minor=coupon.amount_off_minor,
        currency=coupon.currency,
    )


# --------------------------------------------------------------------------- subscription invoices


async def invoice_subscription_charge(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    idempotency_key: str,
    product_id: uuid.UUID,
    title: str,
    amount_minor: int,
    currency: str,
) -> OrderRecord:
    """The paid order and the invoice (commerce's numbering, tax and ledger) of one paid
    subscription charge, made once per ``idempotency_key`` (the charge's gateway key): asked
    again, the same order is returned and nothing is issued twice. The order's one line is the
    plan (``product_id``); the subscriber sees it in their orders and invoices."""
    from campus.commerce.service import subscription_billing

    return await subscription_billing.invoice_charge(
        session,
        settings,
        user_id=user_id,
        idempotency_key=idempotency_key,
        product_id=product_id,
        title=title,
        amount_minor=amount_minor,
        currency=currency,
        paid_at=utcnow(),
    )


async def find_coupon(session: AsyncSession, code: str) -> SubscriptionCoupon | None:
    """The coupon of ``code`` (any case), whatever its window and limits, or None: for the
    terms billing keeps per coupon. Takes no use."""
    coupon = await coupons_repo.get_by_code(session, code.upper())
    if coupon is None:
        return None
    return SubscriptionCoupon(
        coupon_id=coupon.id,
        code=coupon.code,
        percent_bp=coupon.percent_bp,
        amount_off_minor=coupon.amount_off_minor,
        currency=coupon.currency,
    )


# --------------------------------------------------------------------------- hosted checkout

if TYPE_CHECKING:
    from campus.commerce.service.subscription_billing import HostedCheckout, HostedOutcome


async def start_hosted_payment(
    settings: Settings,
    *,
    amount_minor: int,
    currency: str,
    idempotency_key: str,
    description: str,
    reference: str,
    return_url: str,
    cancel_url: str,
    buyer_email: str = "",
) -> HostedCheckout:
    """Start a payment on the gateway's hosted page (the sandbox's page, Stripe's, PayPal's)
    that saves the card the payer enters; the same key returns the same payment. Raises
    ``PaymentUnavailable`` (503) when the gateway cannot be reached."""
    from campus.commerce.service import subscription_billing

    return await subscription_billing.start_hosted_payment(
        settings,
        amount_minor=amount_minor,
        currency=currency,
        idempotency_key=idempotency_key,
        description=description,
        reference=reference,
        return_url=return_url,
        cancel_url=cancel_url,
        buyer_email=buyer_email,
    )


async def hosted_payment_outcome(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    gateway_payment_id: str,
    cancel_if_open: bool = False,
) -> HostedOutcome:
    """Where a hosted payment of ``start_hosted_payment`` stands, as the gateway says (for
    PayPal, the approved payment is captured here). A paid one's card is saved as ``user_id``'s
    payment method. With ``cancel_if_open`` a payment nobody completed is cancelled at the
    gateway. Raises ``PaymentUnavailable`` when the gateway cannot be reached."""
    from campus.commerce.service import subscription_billing

    return await subscription_billing.hosted_payment_outcome(
        session,
        settings,
        user_id=user_id,
        gateway_payment_id=gateway_payment_id,
        cancel_if_open=cancel_if_open,
    )


# --------------------------------------------------------------------------- subscription webhooks

if TYPE_CHECKING:
    from collections.abc import Mapping

    from campus.commerce.service.subscription_billing import SubscriptionWebhook


async def verify_subscription_webhook(
    session: AsyncSession,
    settings: Settings,
    gateway_name: str,
    raw_body: bytes,
    headers: Mapping[str, str],
) -> SubscriptionWebhook:
    """Verify a gateway's event delivered to billing's webhook endpoint (the gateway's own
    signature and timestamp check) and read what billing acts on: a dispute opened or closed
    on a payment, or a card the network updated (applied to the saved methods of that token in
    the caller's transaction). Raises ``WebhookInvalid`` (400) when it does not verify and
    ``UnknownGateway`` (404) for a gateway this deployment does not use."""
    from campus.commerce.service import subscription_billing

    return await subscription_billing.verify_subscription_webhook(
        session, settings, gateway_name, raw_body, headers
    )
