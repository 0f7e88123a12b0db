"""The sandbox gateway: a payment provider that lives inside Campus and behaves like Stripe's
PaymentIntents, so a deployment sells courses with no account anywhere (ADR 0029).

* **Intents** ``pi_...`` move ``requires_payment_method → requires_action → processing →
  succeeded / canceled``; a decline leaves the intent at ``requires_payment_method`` with a
  ``failure_code`` and the buyer may try another card on the same page.
* **Test cards** (``TEST_CARDS``): 4242 4242 4242 4242 succeeds; 4000 0000 0000 0002 is declined
  (``card_declined`` / ``generic_decline``); 4000 0000 0000 9995 is declined
  (``insufficient_funds``); 4000 0025 0000 3155 asks for a 3-D Secure challenge; 4000 0000 0000
  0077 goes to ``processing`` and a job settles it a few seconds later. Any future expiry, any
  three-digit CVC; another number is declined as "not a test card".
* **Its own state**, as a provider's: the ``commerce_sandbox_*`` tables, written in the
  gateway's own transactions, never in the caller's. On PostgreSQL they live in Campus's
  database; on SQLite, which allows one writer at a time and whose caller holds its transaction
  while it asks the gateway, they live in a database file of their own beside Campus's.
* **Webhooks** shaped like Stripe events, signed like Stripe (``Stripe-Signature: t=<unix>,
  v1=<hex>``: HMAC-SHA256 over ``"{t}.{raw body}"`` with
  ``CAMPUS_COMMERCE_SANDBOX_WEBHOOK_SECRET``), delivered over real HTTP with httpx to
  ``{CAMPUS_BASE_URL}/api/v1/commerce/webhooks/sandbox`` by an outbox job, retried with the
  job backoff up to ``CAMPUS_COMMERCE_SANDBOX_WEBHOOK_MAX_ATTEMPTS`` deliveries.
* **Pages**: the hosted payment page and the 3-D Secure page (``endpoints/sandbox_pages.py``)
  call ``confirm_card`` / ``complete_challenge`` here.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final, cast

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.gateways.port import (
    CardDetails,
    GatewayError,
    GatewayPayment,
    GatewayPaymentStatus,
    GatewayRefund,
    GatewayRefundStatus,
    InvalidWebhook,
    PaymentRequest,
    WebhookEvent,
    WebhookEventType,
)
from campus.commerce.models import SandboxPayment, SandboxRefund
from campus.commerce.settings import CommerceSettings, sandbox_webhook_secret_of
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Base, Database, dialect_insert, rowcount
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job

log = get_logger("campus.commerce.sandbox")

NAME = "sandbox"
SIGNATURE_HEADER = "Stripe-Signature"
#: The path of Campus's own webhook endpoint for this gateway, under ``CAMPUS_BASE_URL``.
WEBHOOK_PATH = "/api/v1/commerce/webhooks/sandbox"
#: Where the hosted pages live, under ``CAMPUS_BASE_URL``.
PAY_PATH = "/api/v1/commerce/sandbox/pay/{payment_id}"
CHALLENGE_PATH = "/api/v1/commerce/sandbox/3ds/{payment_id}"
#: How long a ``processing`` payment (card 4000 0000 0000 0077) waits before it succeeds.
SETTLE_AFTER = timedelta(seconds=3)
#: Largest webhook body the verifier reads (Stripe's events are a few kilobytes).
MAX_EVENT_BYTES = 256 * 1024

# --------------------------------------------------------------------------- test cards


class CardOutcome(StrEnum):
    SUCCEED = "succeed"
    DECLINE = "decline"
    CHALLENGE = "challenge"
    ASYNC = "async"


@dataclass(frozen=True, slots=True)
class CardRule:
    outcome: CardOutcome
    failure_code: str | None = None
    decline_code: str | None = None
    message: str | None = None


TEST_CARDS: Mapping[str, CardRule] = {
    "4242424242424242": CardRule(CardOutcome.SUCCEED),
    "5555555555554444": CardRule(CardOutcome.SUCCEED),
    "4000000000000002": CardRule(
        CardOutcome.DECLINE, "card_declined", "generic_decline", "Your card was declined."
    ),
    "4000000000009995": CardRule(
        CardOutcome.DECLINE,
        "insufficient_funds",
        "insufficient_funds",
        "Your card has insufficient funds.",
    ),
    "4000002500003155": CardRule(CardOutcome.CHALLENGE),
    "4000000000000077": CardRule(CardOutcome.ASYNC),
}

AUTHENTICATION_FAILED = "payment_intent_authentication_failure"


@dataclass(frozen=True, slots=True)
class CardCheck:
    """What the sandbox makes of a card typed on its page: the rule to apply, or the field
    error to show (``error_code``/``error_message``), and the display data it may keep."""

    rule: CardRule | None
    brand: str
    last4: str
    error_code: str | None = None
    error_message: str | None = None


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or (
        number[:4].isdigit() and (2221 <= int(number[:4]) <= 2720)
    ):
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def check_card(number: str, exp_month: int, exp_year: int, cvc: str, today: date) -> CardCheck:
    """Apply the sandbox's card rules to what the buyer typed (spaces in the number allowed)."""
    digits = "".join(number.split())
    brand = card_brand(digits) if digits.isdigit() else "unknown"
    last4 = digits[-4:] if len(digits) >= 4 and digits.isdigit() else ""
    if not luhn_valid(digits):
        return CardCheck(None, brand, last4, "incorrect_number", "The card number is incorrect.")
    if not 1 <= exp_month <= 12 or exp_year < 1000:
        return CardCheck(None, brand, last4, "invalid_expiry", "The expiry date is invalid.")
    if (exp_year, exp_month) < (today.year, today.month):
        return CardCheck(None, brand, last4, "expired_card", "The card has expired.")
    if not (cvc.isdigit() and len(cvc) == 3):
        return CardCheck(None, brand, last4, "incorrect_cvc", "The CVC must be three digits.")
    rule = TEST_CARDS.get(digits)
    if rule is None:
        rule = CardRule(
            CardOutcome.DECLINE,
            "card_declined",
            "test_mode_live_card",
            "The sandbox takes test cards only (for example 4242 4242 4242 4242).",
        )
    return CardCheck(rule, brand, last4)


# --------------------------------------------------------------------------- signatures


def sign(secret: str, body: bytes, timestamp: int) -> str:
    """The ``v1`` signature: lower-case hex HMAC-SHA256 over ``"{t}.{raw body}"``."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int) -> str:
    return f"t={timestamp},v1={sign(secret, body, timestamp)}"


def verify_signature(
    secret: str, body: bytes, header: str | None, *, now: int, tolerance_seconds: int
) -> int:
    """Check a ``Stripe-Signature`` header against the raw body; return its timestamp.

    Every ``v1`` is compared in constant time (a sender rotating secrets signs with each), all
    of them without stopping at the first match; the timestamp must be within
    ``tolerance_seconds`` of ``now`` either way. Raises ``InvalidWebhook``."""
    if not secret:
        raise InvalidWebhook("no webhook secret is configured")
    if not header:
        raise InvalidWebhook("the signature header is missing")
    if len(header) > 4096:
        raise InvalidWebhook("the signature header is too long")
    timestamp: int | None = None
    candidates: list[str] = []
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if not sep:
            continue
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                raise InvalidWebhook("the signature timestamp is malformed")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None:
        raise InvalidWebhook("the signature header has no timestamp")
    if not candidates:
        raise InvalidWebhook("the signature header has no v1 signature")
    expected = sign(secret, body, timestamp)
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise InvalidWebhook("no signature matches the body")
    if abs(now - timestamp) > tolerance_seconds:
        raise InvalidWebhook("the signature timestamp is outside the tolerance")
    return timestamp


def form_token(secret: str, payment_id: str, purpose: str) -> str:
    """The per-payment token the hosted pages put in their forms and check on submission."""
    message = f"sandbox-form:{purpose}:{payment_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def check_form_token(secret: str, payment_id: str, purpose: str, given: str) -> bool:
    return hmac.compare_digest(form_token(secret, payment_id, purpose), given)


def new_payment_id() -> str:
    return "pi_" + secrets.token_hex(12)


def new_refund_id() -> str:
    return "re_" + secrets.token_hex(12)


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


def new_method_token() -> str:
    return "pm_" + secrets.token_hex(12)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class IntentView:
    """The sandbox's own view of one payment intent (its store row, detached)."""

    id: str
    amount_minor: int
    currency: str
    status: GatewayPaymentStatus
    description: str
    return_url: str
    cancel_url: str
    metadata: Mapping[str, str]
    failure_code: str | None = None
    failure_message: str | None = None
    decline_code: str | None = None
    card_brand: str | None = None
    card_last4: str | None = None
    card_token: str | None = None
    card_exp_month: int | None = None
    card_exp_year: int | None = None
    save_card: bool = False
    refunded_minor: int = 0
    customer_ref: str | None = None
    #: While ``requires_action``: ``challenge`` (3-D Secure) or ``confirm`` (a saved card).
    next_action: str | None = None
    buyer_email: str = ""


_EVENT_TYPE_OF_STATUS: Mapping[GatewayPaymentStatus, str] = {
    GatewayPaymentStatus.SUCCEEDED: "payment_intent.succeeded",
    GatewayPaymentStatus.PROCESSING: "payment_intent.processing",
    GatewayPaymentStatus.CANCELED: "payment_intent.canceled",
    GatewayPaymentStatus.REQUIRES_ACTION: "payment_intent.requires_action",
}


def event_type_for(intent: IntentView) -> str:
    if intent.status == GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD:
        return "payment_intent.payment_failed" if intent.failure_code else "payment_intent.created"
    return _EVENT_TYPE_OF_STATUS[intent.status]


def intent_object(intent: IntentView) -> dict[str, Any]:
    """The intent as Stripe shapes a PaymentIntent (currency in lower case)."""
    error = None
    if intent.failure_code:
        error = {
            "type": "card_error",
            "code": intent.failure_code,
            "decline_code": intent.decline_code,
            "message": intent.failure_message,
        }
    method: dict[str, Any] | None = None
    if intent.card_token and intent.save_card:
        method = {
            "id": intent.card_token,
            "object": "payment_method",
            "type": "card",
            "card": {
                "brand": intent.card_brand,
                "last4": intent.card_last4,
                "exp_month": intent.card_exp_month,
                "exp_year": intent.card_exp_year,
            },
        }
    return {
        "id": intent.id,
        "object": "payment_intent",
        "amount": intent.amount_minor,
        "amount_received": intent.amount_minor
        if intent.status == GatewayPaymentStatus.SUCCEEDED
        else 0,
        "currency": intent.currency.lower(),
        "status": intent.status.value,
        "description": intent.description,
        "customer": intent.customer_ref,
        "metadata": dict(intent.metadata),
        "last_payment_error": error,
        "payment_method": method,
        "livemode": False,
    }


def refund_object(
    refund_id: str, payment_id: str, amount_minor: int, currency: str, status: str
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount_minor,
        "currency": currency.lower(),
        "payment_intent": payment_id,
        "status": status,
    }


def build_event(event_type: str, obj: Mapping[str, Any], created: datetime) -> dict[str, Any]:
    """A Stripe-shaped event envelope around ``obj``."""
    return {
        "id": new_event_id(),
        "object": "event",
        "api_version": "2024-06-20",
        "type": event_type,
        "created": int(created.timestamp()),
        "livemode": False,
        "data": {"object": dict(obj)},
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


_PAYMENT_EVENTS: Mapping[str, WebhookEventType] = {
    "payment_intent.succeeded": WebhookEventType.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": WebhookEventType.PAYMENT_FAILED,
    "payment_intent.canceled": WebhookEventType.PAYMENT_CANCELED,
    "payment_intent.processing": WebhookEventType.PAYMENT_PROCESSING,
}
_REFUND_EVENTS: Mapping[str, WebhookEventType] = {
    "refund.updated": WebhookEventType.IGNORED,
    "refund.created": WebhookEventType.IGNORED,
}


def _card_of(obj: Mapping[str, Any]) -> CardDetails | None:
    method = obj.get("payment_method")
    if not isinstance(method, Mapping):
        return None
    card = method.get("card")
    token = method.get("id")
    if not isinstance(card, Mapping) or not isinstance(token, str):
        return None
    try:
        return CardDetails(
            token=token,
            brand=str(card["brand"]),
            last4=str(card["last4"]),
            exp_month=int(card["exp_month"]),
            exp_year=int(card["exp_year"]),
        )
    except (KeyError, TypeError, ValueError):
        return None


def parse_event(body: bytes) -> WebhookEvent:
    """The port's event from a verified body (Stripe's shape). Raises ``InvalidWebhook`` for a
    body that is not an event at all."""
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise InvalidWebhook("the body is not JSON") from exc
    if not isinstance(event, dict):
        raise InvalidWebhook("the body is not an event object")
    event_id = event.get("id")
    provider_type = event.get("type")
    created = event.get("created")
    data = event.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if (
        not isinstance(event_id, str)
        or not 1 <= len(event_id) <= 255
        or not isinstance(provider_type, str)
        or not 1 <= len(provider_type) <= 120
        or not isinstance(created, int)
        or isinstance(created, bool)
        or not isinstance(obj, dict)
    ):
        raise InvalidWebhook("the body is not an event")
    created_at = datetime.fromtimestamp(created, tz=utcnow().tzinfo)
    if provider_type in _PAYMENT_EVENTS:
        error = obj.get("last_payment_error")
        failure = error.get("code") if isinstance(error, dict) else None
        return WebhookEvent(
            gateway=NAME,
            event_id=event_id,
            type=_PAYMENT_EVENTS[provider_type],
            provider_type=provider_type,
            created_at=created_at,
            gateway_payment_id=_str_or_none(obj.get("id")),
            amount_minor=_int_or_none(obj.get("amount")),
            currency=_currency_or_none(obj.get("currency")),
            failure_code=failure if isinstance(failure, str) else None,
            payment_method=_card_of(obj),
        )
    if provider_type in _REFUND_EVENTS:
        status = obj.get("status")
        kind = {
            "succeeded": WebhookEventType.REFUND_SUCCEEDED,
            "failed": WebhookEventType.REFUND_FAILED,
        }.get(status if isinstance(status, str) else "", WebhookEventType.IGNORED)
        return WebhookEvent(
            gateway=NAME,
            event_id=event_id,
            type=kind,
            provider_type=provider_type,
            created_at=created_at,
            gateway_payment_id=_str_or_none(obj.get("payment_intent")),
            gateway_refund_id=_str_or_none(obj.get("id")),
            amount_minor=_int_or_none(obj.get("amount")),
            currency=_currency_or_none(obj.get("currency")),
        )
    return WebhookEvent(
        gateway=NAME,
        event_id=event_id,
        type=WebhookEventType.IGNORED,
        provider_type=provider_type,
        created_at=created_at,
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 255 else None


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _currency_or_none(value: object) -> str | None:
    if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isalpha():
        return value.upper()
    return None


NEXT_CHALLENGE = "challenge"
NEXT_CONFIRM = "confirm"


def payment_of(intent: IntentView, base_url: str) -> GatewayPayment:
    """The port's view of an intent: what commerce records."""
    base = base_url.rstrip("/")
    next_action: str | None = None
    if intent.status == GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD or (
        intent.status == GatewayPaymentStatus.REQUIRES_ACTION and intent.next_action == NEXT_CONFIRM
    ):
        next_action = base + PAY_PATH.format(payment_id=intent.id)
    elif intent.status == GatewayPaymentStatus.REQUIRES_ACTION:
        next_action = base + CHALLENGE_PATH.format(payment_id=intent.id)
    card = None
    if intent.save_card and intent.card_token and intent.status == GatewayPaymentStatus.SUCCEEDED:
        card = CardDetails(
            token=intent.card_token,
            brand=intent.card_brand or "unknown",
            last4=intent.card_last4 or "",
            exp_month=intent.card_exp_month or 0,
            exp_year=intent.card_exp_year or 0,
        )
    return GatewayPayment(
        gateway=NAME,
        gateway_payment_id=intent.id,
        status=intent.status,
        amount_minor=intent.amount_minor,
        currency=intent.currency,
        next_action_url=next_action,
        failure_code=intent.failure_code,
        failure_message=intent.failure_message,
        payment_method=card,
        customer_ref=intent.customer_ref,
    )


# --------------------------------------------------------------------------- the gateway

#: Job: move a ``processing`` intent (card ...0077) to ``succeeded`` {paymentId}.
SETTLE_JOB: Final = "commerce.sandbox_settle_payment"
#: Job: deliver one signed event to Campus's webhook endpoint over HTTP {event}.
DELIVER_JOB: Final = "commerce.sandbox_deliver_webhook"

_DECLINE_CODES: Mapping[str, str] = {
    "card_declined": "generic_decline",
    "insufficient_funds": "insufficient_funds",
}
_STORES: dict[str, Database] = {}


def store_url(settings: Settings) -> str:
    """Where the sandbox keeps its records: Campus's own PostgreSQL database, or on SQLite a
    database file of its own beside Campus's (see the module docstring)."""
    url = settings.resolved_database_url
    if not url.startswith("sqlite"):
        return url
    parsed = make_url(url)
    database = parsed.database
    if not database or database == ":memory:":
        path = Path(settings.data_dir) / "sandbox-gateway.db"
    else:
        path = Path(database).with_name(Path(database).name + "-sandbox-gateway.db")
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


async def store_for(settings: Settings) -> Database:
    """The sandbox's store for this deployment (one per process and database)."""
    url = store_url(settings)
    store = _STORES.get(url)
    if store is None:
        store = Database(url, pool_size=4)
        if store.is_sqlite:
            async with store.engine.begin() as conn:
                await conn.run_sync(
                    lambda sync: Base.metadata.create_all(
                        sync,
                        tables=[
                            cast(sa.Table, SandboxPayment.__table__),
                            cast(sa.Table, SandboxRefund.__table__),
                        ],
                    )
                )
        _STORES[url] = store
    return store


def _view(row: SandboxPayment) -> IntentView:
    return IntentView(
        id=row.id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        status=GatewayPaymentStatus(row.status),
        description=row.description,
        return_url=row.return_url,
        cancel_url=row.cancel_url,
        metadata={str(k): str(v) for k, v in (row.metadata_ or {}).items()},
        failure_code=row.failure_code,
        failure_message=row.failure_message,
        decline_code=_DECLINE_CODES.get(row.failure_code or ""),
        card_brand=row.card_brand,
        card_last4=row.card_last4,
        card_token=row.card_token,
        card_exp_month=row.card_exp_month,
        card_exp_year=row.card_exp_year,
        save_card=row.save_card,
        refunded_minor=row.refunded_minor,
        customer_ref=row.customer_ref,
        next_action=row.next_action,
        buyer_email=row.buyer_email,
    )


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What a submission on a hosted page did: the intent after it, the webhook event it
    caused (``None`` when nothing changed) and the field error to show, if any."""

    intent: IntentView
    event: dict[str, Any] | None = None
    error_code: str | None = None
    error_message: str | None = None


class SandboxGateway:
    """The embedded gateway (module docstring). ``db`` is Campus's database, where the
    hosted pages enqueue webhook deliveries; ``None`` in job handlers, which enqueue in the
    session the relay gives them."""

    def __init__(self, settings: Settings, db: Database | None = None) -> None:
        self.settings = settings
        self.db = db
        self.secret = sandbox_webhook_secret_of(settings)
        self.base_url = settings.base_url.rstrip("/")
        self.tolerance_seconds = CommerceSettings.of(settings).webhook_tolerance_seconds

    @property
    def name(self) -> str:
        return NAME

    async def _store(self) -> Database:
        return await store_for(self.settings)

    async def _load(self, session: AsyncSession, payment_id: str) -> SandboxPayment | None:
        return await session.get(SandboxPayment, payment_id, populate_existing=True)

    async def intent(self, payment_id: str) -> IntentView | None:
        """The sandbox's own view of an intent (the hosted pages read it)."""
        if not payment_id.startswith("pi_") or len(payment_id) > 40:
            return None
        store = await self._store()
        async with store.read_session() as session:
            row = await self._load(session, payment_id)
            return None if row is None else _view(row)

    async def _require(self, payment_id: str) -> IntentView:
        found = await self.intent(payment_id)
        if found is None:
            raise GatewayError(f"no such payment intent: {payment_id[:40]}", retryable=False)
        return found

    # ------------------------------------------------------------------ the port

    async def create_payment(self, request: PaymentRequest) -> GatewayPayment:
        store = await self._store()
        async with store.session() as session:
            view = await self._create(session, request)
        return self._created(view)

    def shares_database(self) -> bool:
        """Whether the sandbox's records live in Campus's own database (PostgreSQL), so a
        caller's unit of work can create an intent in its own transaction."""
        return store_url(self.settings) == self.settings.resolved_database_url

    async def create_payment_in(
        self, session: AsyncSession, request: PaymentRequest
    ) -> GatewayPayment | None:
        """``create_payment`` in the caller's transaction, when the sandbox shares Campus's
        database (``None`` otherwise: the caller asks ``create_payment``). One statement
        instead of a second transaction on a connection of the sandbox's own pool; should
        the caller roll back, the intent goes with it, as if never asked for (ADR 0042)."""
        if not self.shares_database():
            return None
        return self._created(await self._create(session, request))

    def _created(self, view: IntentView) -> GatewayPayment:
        log.info(
            "sandbox_payment_created",
            gateway_payment_id=view.id,
            amount_minor=view.amount_minor,
            currency=view.currency,
            status=view.status.value,
        )
        return payment_of(view, self.base_url)

    async def _create(self, session: AsyncSession, request: PaymentRequest) -> IntentView:
        saved: SandboxPayment | None = None
        if request.payment_method_token:
            saved = await session.scalar(
                sa.select(SandboxPayment)
                .where(
                    SandboxPayment.card_token == request.payment_method_token,
                    SandboxPayment.save_card.is_(True),
                )
                .limit(1)
            )
            if saved is None:
                raise GatewayError("the saved payment method is unknown", retryable=False)
        now = utcnow()
        values: dict[str, Any] = {
            "id": new_payment_id(),
            "idempotency_key": request.idempotency_key,
            "amount_minor": request.amount_minor,
            "currency": request.currency.upper(),
            "status": GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD.value,
            "description": request.description,
            "return_url": request.return_url,
            "cancel_url": request.cancel_url,
            "buyer_email": request.buyer_email,
            "customer_ref": request.customer_ref,
            "metadata_": {**request.metadata, "order_id": request.order_id},
            "save_card": request.save_payment_method,
            "refunded_minor": 0,
            "created_at": now,
            "updated_at": now,
        }
        if saved is not None:
            # A saved card: the buyer confirms it on the hosted page (on-session).
            values.update(
                status=GatewayPaymentStatus.REQUIRES_ACTION.value,
                next_action=NEXT_CONFIRM,
                card_brand=saved.card_brand,
                card_last4=saved.card_last4,
                card_token=saved.card_token,
                card_exp_month=saved.card_exp_month,
                card_exp_year=saved.card_exp_year,
                save_card=False,
            )
        table = cast(sa.Table, SandboxPayment.__table__)
        insert = dialect_insert(session, table).values(
            **{("metadata" if k == "metadata_" else k): v for k, v in values.items()}
        )
        inserted = rowcount(
            await session.execute(insert.on_conflict_do_nothing(index_elements=["idempotency_key"]))
        )
        if inserted == 1:
            # Written as given: no read back (a transient object, never added to the session).
            row = SandboxPayment(**values)
        else:
            # The key was asked for before: its intent, if it is for the same amount.
            found = await session.scalar(
                sa.select(SandboxPayment)
                .where(SandboxPayment.idempotency_key == request.idempotency_key)
                .execution_options(populate_existing=True)
            )
            assert found is not None
            row = found
        if (row.amount_minor, row.currency) != (request.amount_minor, request.currency.upper()):
            raise GatewayError("the idempotency key was used for another amount", retryable=False)
        return _view(row)

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment:
        return payment_of(await self._require(gateway_payment_id), self.base_url)

    async def capture_payment(self, gateway_payment_id: str) -> GatewayPayment:
        return await self.get_payment(gateway_payment_id)

    async def cancel_payment(self, gateway_payment_id: str) -> GatewayPayment:
        store = await self._store()
        async with store.session() as session:
            await session.execute(
                sa.update(SandboxPayment)
                .where(
                    SandboxPayment.id == gateway_payment_id,
                    SandboxPayment.status.in_(
                        [
                            GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD.value,
                            GatewayPaymentStatus.REQUIRES_ACTION.value,
                        ]
                    ),
                )
                .values(
                    status=GatewayPaymentStatus.CANCELED.value,
                    next_action=None,
                    updated_at=utcnow(),
                )
            )
        return await self.get_payment(gateway_payment_id)

    async def refund(
        self,
        gateway_payment_id: str,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        reason: str | None = None,
    ) -> GatewayRefund:
        del reason
        store = await self._store()
        async with store.session() as session:
            existing = await session.scalar(
                sa.select(SandboxRefund).where(SandboxRefund.idempotency_key == idempotency_key)
            )
            if existing is None:
                # The provider's own guard: never more back than it took.
                moved = await session.execute(
                    sa.update(SandboxPayment)
                    .where(
                        SandboxPayment.id == gateway_payment_id,
                        SandboxPayment.status == GatewayPaymentStatus.SUCCEEDED.value,
                        SandboxPayment.currency == currency.upper(),
                        SandboxPayment.refunded_minor + amount_minor <= SandboxPayment.amount_minor,
                    )
                    .values(refunded_minor=SandboxPayment.refunded_minor + amount_minor)
                )
                status = (
                    GatewayRefundStatus.SUCCEEDED if rowcount(moved) else GatewayRefundStatus.FAILED
                )
                insert = dialect_insert(session, SandboxRefund).values(
                    id=new_refund_id(),
                    payment_id=gateway_payment_id,
                    amount_minor=amount_minor,
                    currency=currency.upper(),
                    status=status.value,
                    idempotency_key=idempotency_key,
                    created_at=utcnow(),
                )
                await session.execute(
                    insert.on_conflict_do_nothing(index_elements=["idempotency_key"])
                )
                existing = await session.scalar(
                    sa.select(SandboxRefund).where(SandboxRefund.idempotency_key == idempotency_key)
                )
            assert existing is not None
            refund = GatewayRefund(
                gateway=NAME,
                gateway_refund_id=existing.id,
                gateway_payment_id=existing.payment_id,
                status=GatewayRefundStatus(existing.status),
                amount_minor=existing.amount_minor,
                currency=existing.currency,
                failure_code=None
                if existing.status == GatewayRefundStatus.SUCCEEDED.value
                else "amount_too_large",
            )
        log.info(
            "sandbox_refund",
            gateway_payment_id=gateway_payment_id,
            gateway_refund_id=refund.gateway_refund_id,
            amount_minor=refund.amount_minor,
            status=refund.status.value,
        )
        return refund

    async def detach_payment_method(self, token: str) -> None:
        store = await self._store()
        async with store.session() as session:
            await session.execute(
                sa.update(SandboxPayment)
                .where(SandboxPayment.card_token == token, SandboxPayment.save_card.is_(True))
                .values(save_card=False)
            )

    async def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if len(raw_body) > MAX_EVENT_BYTES:
            raise InvalidWebhook("the body is too large")
        verify_signature(
            self.secret,
            raw_body,
            headers.get(SIGNATURE_HEADER.lower()),
            now=int(utcnow().timestamp()),
            tolerance_seconds=self.tolerance_seconds,
        )
        return parse_event(raw_body)

    # ------------------------------------------------------------------ the provider's side

    async def _move(
        self, payment_id: str, expected: tuple[str, str | None], values: dict[str, Any]
    ) -> IntentView | None:
        """Move an intent from ``expected`` (status, next action) with a conditional UPDATE;
        the intent after the move, or None when another submission moved it first."""
        store = await self._store()
        async with store.session() as session:
            status, action = expected
            where = [SandboxPayment.id == payment_id, SandboxPayment.status == status]
            where.append(
                SandboxPayment.next_action.is_(None)
                if action is None
                else SandboxPayment.next_action == action
            )
            result = await session.execute(
                sa.update(SandboxPayment).where(*where).values(**values, updated_at=utcnow())
            )
            if not rowcount(result):
                return None
            row = await self._load(session, payment_id)
            assert row is not None
            return _view(row)

    def _outcome_values(self, rule: CardRule, save_card: bool) -> dict[str, Any]:
        if rule.outcome == CardOutcome.SUCCEED:
            values: dict[str, Any] = {
                "status": GatewayPaymentStatus.SUCCEEDED.value,
                "next_action": None,
                "failure_code": None,
                "failure_message": None,
            }
            if save_card:
                values["card_token"] = new_method_token()
            return values
        if rule.outcome == CardOutcome.DECLINE:
            return {
                "status": GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD.value,
                "next_action": None,
                "failure_code": rule.failure_code,
                "failure_message": rule.message,
            }
        if rule.outcome == CardOutcome.CHALLENGE:
            return {
                "status": GatewayPaymentStatus.REQUIRES_ACTION.value,
                "next_action": NEXT_CHALLENGE,
                "failure_code": None,
                "failure_message": None,
            }
        return {
            "status": GatewayPaymentStatus.PROCESSING.value,
            "next_action": None,
            "failure_code": None,
            "failure_message": None,
        }

    async def confirm_card(
        self, payment_id: str, *, number: str, exp_month: int, exp_year: int, cvc: str
    ) -> Confirmation:
        """The hosted page's submission of a card."""
        intent = await self._require(payment_id)
        if intent.status != GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD:
            return Confirmation(intent)
        check = check_card(number, exp_month, exp_year, cvc, utcnow().date())
        if check.rule is None:
            return Confirmation(intent, None, check.error_code, check.error_message)
        values = self._outcome_values(check.rule, intent.save_card)
        values.update(
            card_brand=check.brand,
            card_last4=check.last4,
            card_exp_month=exp_month,
            card_exp_year=exp_year,
        )
        if values.get("card_token") is None and "card_token" not in values:
            values["card_token"] = None
        return await self._confirmed(intent, values, check.rule)

    async def confirm_saved(self, payment_id: str) -> Confirmation:
        """The hosted page's confirmation of a saved card (the rule of the card it was)."""
        intent = await self._require(payment_id)
        if not (
            intent.status == GatewayPaymentStatus.REQUIRES_ACTION
            and intent.next_action == NEXT_CONFIRM
        ):
            return Confirmation(intent)
        rule = next(
            (r for n, r in TEST_CARDS.items() if n.endswith(intent.card_last4 or "-")),
            TEST_CARDS["4242424242424242"],
        )
        values = self._outcome_values(rule, save_card=False)
        values.pop("card_token", None)
        return await self._confirmed(intent, values, rule)

    async def _confirmed(
        self, intent: IntentView, values: dict[str, Any], rule: CardRule
    ) -> Confirmation:
        moved = await self._move(intent.id, (intent.status.value, intent.next_action), values)
        if moved is None:  # another submission got there first
            return Confirmation(await self._require(intent.id))
        log.info(
            "sandbox_payment_confirmed",
            gateway_payment_id=moved.id,
            status=moved.status.value,
            failure_code=moved.failure_code,
        )
        event = build_event(event_type_for(moved), intent_object(moved), utcnow())
        if self.db is not None:
            async with self.db.session() as session:
                await enqueue_job(session, DELIVER_JOB, {"event": event})
                if rule.outcome == CardOutcome.ASYNC:
                    await enqueue_job(
                        session,
                        SETTLE_JOB,
                        {"paymentId": moved.id},
                        run_at=utcnow() + SETTLE_AFTER,
                    )
        error = (moved.failure_code, moved.failure_message) if moved.failure_code else (None, None)
        return Confirmation(moved, event, error[0], error[1])

    async def complete_challenge(self, payment_id: str, *, succeed: bool) -> Confirmation:
        """The 3-D Secure page's answer: authenticated, or failed."""
        intent = await self._require(payment_id)
        if not (
            intent.status == GatewayPaymentStatus.REQUIRES_ACTION
            and intent.next_action == NEXT_CHALLENGE
        ):
            return Confirmation(intent)
        if succeed:
            rule = CardRule(CardOutcome.SUCCEED)
        else:
            rule = CardRule(
                CardOutcome.DECLINE,
                AUTHENTICATION_FAILED,
                None,
                "The card's 3-D Secure authentication failed.",
            )
        values = self._outcome_values(rule, intent.save_card)
        return await self._confirmed(intent, values, rule)

    async def settle(self, session: AsyncSession, payment_id: str) -> IntentView | None:
        """The settle job: ``processing → succeeded`` once; the webhook delivery is enqueued
        in ``session`` (the job's). None when there was nothing to settle."""
        intent = await self.intent(payment_id)
        if intent is None or intent.status != GatewayPaymentStatus.PROCESSING:
            return None
        values = self._outcome_values(CardRule(CardOutcome.SUCCEED), intent.save_card)
        moved = await self._move(payment_id, (intent.status.value, None), values)
        if moved is None:
            return None
        log.info("sandbox_payment_settled", gateway_payment_id=moved.id)
        event = build_event(event_type_for(moved), intent_object(moved), utcnow())
        await enqueue_job(session, DELIVER_JOB, {"event": event})
        return moved

    def webhook_url(self) -> str:
        return f"{self.base_url}{WEBHOOK_PATH}"

    async def deliver(self, event: Mapping[str, Any], *, timeout_seconds: float = 10.0) -> int:
        """POST one event to Campus's webhook endpoint, signed now; the HTTP status."""
        body = encode_event(event)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature_header(self.secret, body, int(utcnow().timestamp())),
            "User-Agent": "Campus-Sandbox-Gateway/1.0",
        }
        async with httpx.AsyncClient(timeout=timeout_seconds) as client:
            response = await client.post(self.webhook_url(), content=body, headers=headers)
        return int(response.status_code)
