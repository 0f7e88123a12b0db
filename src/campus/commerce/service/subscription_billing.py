"""Invoices of subscription charges.

A subscription's charge (first period, renewal, dunning retry, proration) is not a cart
checkout, but the subscriber sees it among their orders and invoices like a purchase: each
paid charge becomes a paid order of one line (the plan, its ``course_id`` being the plan's id,
no instructor: all of it is the platform's) whose idempotency key is the charge's gateway key,
and that order gets its invoice in commerce's numbering, with its tax and its sale posted to
the ledger, in the same transaction. The charged amount is what the subscriber paid, so the
tax is the part of it the buyer's rate holds (tax-inclusive, whatever
``CAMPUS_COMMERCE_PRICES_INCLUDE_TAX`` says for catalog prices). The buyer's billing details
are those of their latest order; a subscriber who never checked out is invoiced by name only.

Issuing twice is harmless: the order's key is unique per buyer, and its invoice is looked up
under the year's sequence lock before one is written. No ``OrderPaid`` is published: there is
nothing to fulfil."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderRecord, OrderStatus
from campus.commerce.exceptions import PaymentUnavailable, UnknownGateway, WebhookInvalid
from campus.commerce.gateways import build_gateway
from campus.commerce.gateways.port import (
    GatewayError,
    GatewayPaymentStatus,
    InvalidWebhook,
    PaymentRequest,
)
from campus.commerce.models import Order, PaymentMethod
from campus.commerce.repository import orders as orders_repo
from campus.commerce.repository import payment_methods as methods_repo
from campus.commerce.service import invoices, orders
from campus.commerce.service.checkout import order_number
from campus.commerce.service.tax import line_tax, rate_for
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id

#: Where a subscriber who never gave billing details is billed (no tax rate matches it).
UNKNOWN_COUNTRY = "ZZ"


async def _billing_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    latest = await session.scalar(
        sa.select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    if latest is None:
        return {
            "billing_name": "",
            "billing_country": UNKNOWN_COUNTRY,
            "billing_state": None,
            "billing_address": {},
        }
    return {
        "billing_name": latest.billing_name,
        "billing_country": latest.billing_country,
        "billing_state": latest.billing_state,
        "billing_address": dict(latest.billing_address or {}),
    }


async def invoice_charge(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    idempotency_key: str,
    product_id: uuid.UUID,
    title: str,
    amount_minor: int,
    currency: str,
    paid_at: datetime,
) -> OrderRecord:
    """The paid order of one subscription charge and its invoice, each made once."""
    existing = await orders_repo.get_by_key(session, user_id, idempotency_key)
    if existing is None:
        billing = await _billing_of(session, user_id)
        country = str(billing["billing_country"])
        state = billing["billing_state"]
        rate = await rate_for(session, country, str(state) if state else None, paid_at)
        rate_bp = rate.rate_bp if rate is not None else 0
        taxed = line_tax(amount_minor, rate_bp, inclusive=True)
        order_id = new_id()
        inserted = await orders_repo.insert_order(
            session,
            {
                "id": order_id,
                "number": order_number(order_id, paid_at.year),
                "user_id": user_id,
                "cart_id": None,
                "status": OrderStatus.PAID.value,
                "currency": currency,
                "subtotal_minor": amount_minor,
                "discount_minor": 0,
                "tax_minor": taxed.tax_minor,
                "total_minor": amount_minor,
                "refunded_minor": 0,
                "coupon_id": None,
                "coupon_code": None,
                "tax_inclusive": True,
                **billing,
                "idempotency_key": idempotency_key,
                "expires_at": None,
                "paid_at": paid_at,
                "fulfilled_at": paid_at,
                "created_at": paid_at,
                "updated_at": paid_at,
            },
        )
        if inserted:
            await orders_repo.insert_lines(
                session,
                [
                    {
                        "id": new_id(),
                        "order_id": order_id,
                        "position": 0,
                        "course_id": product_id,
                        "tier": None,
                        "title": title[:200],
                        "instructor_id": None,
                        "unit_price_minor": amount_minor,
                        "discount_minor": 0,
                        "tax_minor": taxed.tax_minor,
                        "tax_rate_bp": rate_bp,
                        "total_minor": amount_minor,
                    }
                ],
            )
        existing = await orders_repo.get_by_key(session, user_id, idempotency_key)
    assert existing is not None
    order = await orders.load(session, existing.id)
    assert order is not None
    await invoices.issue_invoice(session, settings, order.id)
    return order


# --------------------------------------------------------------------------- hosted checkout
# A subscriber without a saved card pays the first period on the gateway's hosted page, as a
# buyer pays an order (``payments.start_payment``): a payment created with the return URL and
# ``save_payment_method``, so the card the subscriber enters is kept for the renewals.


@dataclass(frozen=True, slots=True)
class HostedCheckout:
    """A hosted payment started: where to send the subscriber, and the gateway's payment."""

    gateway: str
    gateway_payment_id: str
    checkout_url: str | None
    status: str


@dataclass(frozen=True, slots=True)
class HostedOutcome:
    """Where a hosted payment stands: paid (with the saved method renewals are charged to),
    still open, or over without payment."""

    gateway: str
    gateway_payment_id: str
    succeeded: bool
    open: bool
    amount_minor: int
    currency: str
    payment_method_id: uuid.UUID | None
    failure_code: str | None


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
    buyer_email: str,
) -> HostedCheckout:
    gateway = build_gateway(settings, None)
    try:
        view = await gateway.create_payment(
            PaymentRequest(
                order_id=reference,
                amount_minor=amount_minor,
                currency=currency,
                description=description,
                idempotency_key=idempotency_key,
                return_url=return_url,
                cancel_url=cancel_url,
                buyer_email=buyer_email,
                save_payment_method=True,
                metadata={"reference": reference},
            )
        )
    except GatewayError as exc:
        raise PaymentUnavailable(details={"gateway": gateway.name}) from exc
    return HostedCheckout(
        gateway=gateway.name,
        gateway_payment_id=view.gateway_payment_id,
        checkout_url=view.next_action_url,
        status=view.status.value,
    )


OPEN_STATUSES = frozenset(
    {
        GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD,
        GatewayPaymentStatus.REQUIRES_ACTION,
        GatewayPaymentStatus.PROCESSING,
    }
)


async def hosted_payment_outcome(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    gateway_payment_id: str,
    cancel_if_open: bool = False,
) -> HostedOutcome:
    gateway = build_gateway(settings, None)
    try:
        # A capture: PayPal takes an approved payment only when asked; a read elsewhere.
        view = await gateway.capture_payment(gateway_payment_id)
        if cancel_if_open and view.status in OPEN_STATUSES:
            # The page expired: nobody may pay it any more (a payment completed meanwhile
            # comes back succeeded and is kept).
            view = await gateway.cancel_payment(gateway_payment_id)
    except GatewayError as exc:
        raise PaymentUnavailable(details={"gateway": gateway.name}) from exc
    succeeded = view.status == GatewayPaymentStatus.SUCCEEDED
    method_id: uuid.UUID | None = None
    if succeeded and view.payment_method is not None:
        card = view.payment_method
        await methods_repo.save(
            session,
            user_id=user_id,
            gateway=gateway.name,
            token=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            now=utcnow(),
        )
        method_id = await session.scalar(
            sa.select(PaymentMethod.id).where(
                PaymentMethod.user_id == user_id, PaymentMethod.token == card.token
            )
        )
    return HostedOutcome(
        gateway=gateway.name,
        gateway_payment_id=view.gateway_payment_id,
        succeeded=succeeded,
        open=view.status in OPEN_STATUSES,
        amount_minor=view.amount_minor,
        currency=view.currency,
        payment_method_id=method_id,
        failure_code=view.failure_code,
    )


# --------------------------------------------------------------------------- webhooks
# The gateway's events about a subscription's charges and cards, for billing's webhook
# endpoint: verified with the gateway's own check (signature, timestamp tolerance), then read
# for what commerce's payment events do not carry. Stripe-shaped bodies (the sandbox, Stripe):
# ``charge.dispute.created`` / ``charge.dispute.closed`` (the disputed ``payment_intent`` and,
# once closed, ``won`` or ``lost``) and ``payment_method.updated`` /
# ``payment_method.automatically_updated`` (a card's new expiry or number from the network,
# applied to the saved methods of that token here). Anything else is ``ignored``.

DISPUTE_OPENED = "dispute_opened"
DISPUTE_CLOSED = "dispute_closed"
METHOD_UPDATED = "payment_method_updated"
IGNORED = "ignored"

_KINDS = {
    "charge.dispute.created": DISPUTE_OPENED,
    "charge.dispute.closed": DISPUTE_CLOSED,
    "payment_method.updated": METHOD_UPDATED,
    "payment_method.automatically_updated": METHOD_UPDATED,
}


@dataclass(frozen=True, slots=True)
class SubscriptionWebhook:
    """A verified gateway event as billing reads it."""

    gateway: str
    event_id: str
    provider_type: str
    kind: str
    gateway_payment_id: str | None = None
    dispute_status: str | None = None
    updated_method_ids: tuple[uuid.UUID, ...] = ()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 255 else None


async def verify_subscription_webhook(
    session: AsyncSession,
    settings: Settings,
    gateway_name: str,
    raw_body: bytes,
    headers: Mapping[str, str],
) -> SubscriptionWebhook:
    gateway = build_gateway(settings, None)
    if gateway_name != gateway.name:
        raise UnknownGateway(details={"gateway": gateway_name[:20]})
    try:
        verified = await gateway.verify_webhook(
            raw_body, {k.lower(): v for k, v in headers.items()}
        )
    except InvalidWebhook as exc:
        raise WebhookInvalid(details={"reason": str(exc)[:200]}) from exc
    base = SubscriptionWebhook(
        gateway=verified.gateway,
        event_id=verified.event_id,
        provider_type=verified.provider_type,
        kind=IGNORED,
    )
    kind = _KINDS.get(verified.provider_type)
    if kind is None or gateway.name == "paypal":
        return base
    try:
        body = json.loads(raw_body)
        obj = body["data"]["object"]
    except (ValueError, KeyError, TypeError):
        return base
    if not isinstance(obj, dict):
        return base
    if kind in (DISPUTE_OPENED, DISPUTE_CLOSED):
        return replace(
            base,
            kind=kind,
            gateway_payment_id=_text(obj.get("payment_intent")),
            dispute_status=_text(obj.get("status")),
        )
    token, card = _text(obj.get("id")), obj.get("card")
    if token is None or not isinstance(card, dict):
        return base
    try:
        values = {
            "brand": str(card["brand"])[:30],
            "last4": str(card["last4"])[-4:],
            "exp_month": int(card["exp_month"]),
            "exp_year": int(card["exp_year"]),
        }
    except (KeyError, TypeError, ValueError):
        return base
    result = await session.execute(
        sa.update(PaymentMethod)
        .where(PaymentMethod.gateway == gateway.name, PaymentMethod.token == token)
        .values(**values)
        .returning(PaymentMethod.id)
    )
    return replace(base, kind=kind, updated_method_ids=tuple(row[0] for row in result.all()))
