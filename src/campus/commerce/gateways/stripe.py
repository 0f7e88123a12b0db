"""The Stripe adapter: PaymentIntents, refunds, customers and saved card payment methods
through the official ``stripe`` library (its async client over httpx), and Stripe webhooks
verified with the library's own signature check.

Only this module speaks Stripe: it translates PaymentIntents, Refunds, PaymentMethods and
Events into the port's types. Stripe's lower-case currencies become upper-case ISO codes.
Amounts are Stripe's smallest currency unit, which is Campus's minor unit for every currency
but ISK (zero-decimal in ISO 4217, sent to Stripe as a two-decimal amount ending in ``00``).

Saved cards are charged off-session (``off_session=true, confirm=true``) and saved for that
(``setup_future_usage=off_session``); a charge the bank wants authenticated
(``authentication_required``) is confirmed again on-session, on the same PaymentIntent, and
the buyer is sent to its 3-D Secure page.

Errors: a card decline is not an error for Campus but a payment left at
``requires_payment_method`` with the decline code; bad credentials, refused requests,
connection failures, timeouts, rate limits and Stripe's 5xx raise ``GatewayError`` with
``retryable`` saying whether trying again may help.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import stripe

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

if TYPE_CHECKING:
    from stripe.params import PaymentIntentCreateParams

    from campus.commerce.settings import CommerceSettings

NAME = "stripe"

#: The error code of an off-session charge the card's bank wants the buyer to authenticate.
AUTHENTICATION_REQUIRED = "authentication_required"

#: Currencies Campus counts in whole units that Stripe still wants as two-decimal amounts.
_STRIPE_HUNDREDFOLD = frozenset({"ISK"})

#: Refund reasons Stripe accepts as ``reason``; any other reason travels in the metadata.
_STRIPE_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})

_INTENT_STATUSES: dict[str, GatewayPaymentStatus] = {
    "requires_payment_method": GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD,
    # Campus confirms on creation; an unconfirmed intent still waits for the buyer.
    "requires_confirmation": GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD,
    "requires_action": GatewayPaymentStatus.REQUIRES_ACTION,
    "processing": GatewayPaymentStatus.PROCESSING,
    # Campus never asks for a separate capture; should one appear, the money is not yet taken.
    "requires_capture": GatewayPaymentStatus.PROCESSING,
    "succeeded": GatewayPaymentStatus.SUCCEEDED,
    "canceled": GatewayPaymentStatus.CANCELED,
}

_REFUND_STATUSES: dict[str, GatewayRefundStatus] = {
    "pending": GatewayRefundStatus.PENDING,
    "requires_action": GatewayRefundStatus.PENDING,
    "succeeded": GatewayRefundStatus.SUCCEEDED,
    "failed": GatewayRefundStatus.FAILED,
    "canceled": GatewayRefundStatus.FAILED,
}

_PAYMENT_EVENTS: dict[str, WebhookEventType] = {
    "payment_intent.succeeded": WebhookEventType.PAYMENT_SUCCEEDED,
    "payment_intent.payment_failed": WebhookEventType.PAYMENT_FAILED,
    "payment_intent.canceled": WebhookEventType.PAYMENT_CANCELED,
    "payment_intent.processing": WebhookEventType.PAYMENT_PROCESSING,
}

_SESSION_EVENTS: dict[str, WebhookEventType] = {
    "checkout.session.async_payment_succeeded": WebhookEventType.PAYMENT_SUCCEEDED,
    "checkout.session.async_payment_failed": WebhookEventType.PAYMENT_FAILED,
    "checkout.session.expired": WebhookEventType.PAYMENT_CANCELED,
}

#: Metadata key marking the PaymentIntent of a hosted page (a Checkout Session): Campus knows
#: that payment by the session's id, so the intent's own events are ignored.
HOSTED_MARK = "campus_hosted_page"

_REFUND_EVENTS = frozenset(
    {"refund.created", "refund.updated", "refund.failed", "charge.refund.updated"}
)


# --------------------------------------------------------------------------- money


def to_stripe_amount(amount_minor: int, currency: str) -> int:
    """Campus minor units → Stripe's amount for ``currency``."""
    if currency.upper() in _STRIPE_HUNDREDFOLD:
        return amount_minor * 100
    return amount_minor


def from_stripe_amount(amount: int, currency: str) -> int:
    """Stripe's amount → Campus minor units (exact: Stripe's ISK amounts end in ``00``)."""
    if currency.upper() in _STRIPE_HUNDREDFOLD:
        whole, rest = divmod(amount, 100)
        if rest:
            raise GatewayError(f"Stripe sent {amount} {currency}: not whole", retryable=False)
        return whole
    return amount


# --------------------------------------------------------------------------- mapping


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _id_of(value: Any) -> str | None:
    """An expandable field: an id, or the expanded object carrying one."""
    if isinstance(value, Mapping):
        return _str(value.get("id"))
    return _str(value)


def card_details(method: Mapping[str, Any]) -> CardDetails | None:
    """A PaymentMethod's display data (brand, last 4 digits, expiry) and its token."""
    card = method.get("card")
    token = _str(method.get("id"))
    if not isinstance(card, Mapping) or token is None:
        return None
    return CardDetails(
        token=token,
        brand=str(card.get("brand") or "unknown"),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )


def failure_code_of(code: str | None, decline_code: str | None) -> str | None:
    """The code Campus records for a failed payment: the issuer's decline code when it says more
    than a generic decline (``insufficient_funds``, ``expired_card``...), otherwise Stripe's
    error code (``card_declined``), as the sandbox gateway reports them."""
    if decline_code and decline_code != "generic_decline":
        return decline_code
    return code or decline_code


def _failure(error: Any) -> tuple[str | None, str | None]:
    """A ``last_payment_error``'s failure code and message."""
    if not isinstance(error, Mapping):
        return None, None
    code = failure_code_of(_str(error.get("code")), _str(error.get("decline_code")))
    return code, _str(error.get("message"))


def _next_action_url(intent: Mapping[str, Any]) -> str | None:
    action = intent.get("next_action")
    if not isinstance(action, Mapping):
        return None
    redirect = action.get("redirect_to_url")
    if isinstance(redirect, Mapping):
        return _str(redirect.get("url"))
    return None


def payment_of(intent: Mapping[str, Any]) -> GatewayPayment:
    """A PaymentIntent (as a plain mapping) in the port's words."""
    currency = str(intent["currency"]).upper()
    status = _INTENT_STATUSES.get(str(intent.get("status")))
    if status is None:
        raise GatewayError(f"unknown PaymentIntent status {intent.get('status')!r}")
    failure_code, failure_message = _failure(intent.get("last_payment_error"))
    method = intent.get("payment_method")
    return GatewayPayment(
        gateway=NAME,
        gateway_payment_id=str(intent["id"]),
        status=status,
        amount_minor=from_stripe_amount(int(intent["amount"]), currency),
        currency=currency,
        next_action_url=_next_action_url(intent),
        failure_code=failure_code,
        failure_message=failure_message,
        payment_method=card_details(method) if isinstance(method, Mapping) else None,
        customer_ref=_id_of(intent.get("customer")),
    )


def session_payment_of(session: Mapping[str, Any]) -> GatewayPayment:
    """A Checkout Session (a hosted payment page) in the port's words: ``open`` awaits the
    buyer on its ``url``; ``expired`` is cancelled; once ``complete``, its PaymentIntent (when
    expanded) says how the payment stands, else its ``payment_status``."""
    currency = str(session["currency"]).upper()
    amount_minor = from_stripe_amount(int(session["amount_total"]), currency)
    status_text = str(session.get("status"))
    intent = session.get("payment_intent")
    base = GatewayPayment(
        gateway=NAME,
        gateway_payment_id=str(session["id"]),
        status=GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD,
        amount_minor=amount_minor,
        currency=currency,
        customer_ref=_id_of(session.get("customer")),
    )
    if status_text == "open":
        return replace(base, next_action_url=_str(session.get("url")))
    if status_text == "expired":
        return replace(base, status=GatewayPaymentStatus.CANCELED)
    if status_text != "complete":
        raise GatewayError(f"unknown Checkout Session status {status_text!r}")
    if isinstance(intent, Mapping):
        paid = payment_of(intent)
        return replace(
            base,
            status=paid.status,
            failure_code=paid.failure_code,
            failure_message=paid.failure_message,
            payment_method=paid.payment_method,
            customer_ref=base.customer_ref or paid.customer_ref,
        )
    paid_now = session.get("payment_status") in {"paid", "no_payment_required"}
    return replace(
        base,
        status=GatewayPaymentStatus.SUCCEEDED if paid_now else GatewayPaymentStatus.PROCESSING,
    )


def refund_of(refund: Mapping[str, Any]) -> GatewayRefund:
    currency = str(refund["currency"]).upper()
    status = _REFUND_STATUSES.get(str(refund.get("status")), GatewayRefundStatus.PENDING)
    return GatewayRefund(
        gateway=NAME,
        gateway_refund_id=str(refund["id"]),
        gateway_payment_id=_id_of(refund.get("payment_intent")) or "",
        status=status,
        amount_minor=from_stripe_amount(int(refund["amount"]), currency),
        currency=currency,
        failure_code=_str(refund.get("failure_reason")),
    )


def event_of(event: Mapping[str, Any]) -> WebhookEvent:
    """A verified Stripe Event in the port's words; kinds Campus does not act on are
    ``IGNORED`` (still carrying the event id, for deduplication and the log)."""
    try:
        event_id = str(event["id"])
        provider_type = str(event["type"])
        created_at = datetime.fromtimestamp(int(event["created"]), UTC)
        obj = event["data"]["object"]
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidWebhook("not a Stripe event") from exc
    if not isinstance(obj, Mapping):
        raise InvalidWebhook("not a Stripe event")
    base: dict[str, Any] = {
        "gateway": NAME,
        "event_id": event_id,
        "provider_type": provider_type,
        "created_at": created_at,
    }
    try:
        if provider_type in _PAYMENT_EVENTS and _hosted(obj):
            return WebhookEvent(type=WebhookEventType.IGNORED, **base)
        if provider_type == "checkout.session.completed" or provider_type in _SESSION_EVENTS:
            return _session_event(obj, base)
        if provider_type in _PAYMENT_EVENTS:
            payment = payment_of(obj)
            return WebhookEvent(
                type=_PAYMENT_EVENTS[provider_type],
                gateway_payment_id=payment.gateway_payment_id,
                amount_minor=payment.amount_minor,
                currency=payment.currency,
                failure_code=payment.failure_code,
                payment_method=payment.payment_method,
                **base,
            )
        if provider_type in _REFUND_EVENTS:
            return _refund_event(refund_of(obj), base)
        if provider_type == "charge.refunded":
            return _charge_refunded_event(obj, base)
    except (KeyError, TypeError, ValueError, GatewayError) as exc:
        raise InvalidWebhook(f"malformed {provider_type} event") from exc
    return WebhookEvent(type=WebhookEventType.IGNORED, **base)


def _hosted(intent: Mapping[str, Any]) -> bool:
    metadata = intent.get("metadata")
    return isinstance(metadata, Mapping) and metadata.get(HOSTED_MARK) == "1"


def _session_event(session: Mapping[str, Any], base: dict[str, Any]) -> WebhookEvent:
    """``checkout.session.completed`` is a success when the session is paid and a payment in
    progress otherwise (a delayed method); the ``async_payment_*`` events settle the latter;
    ``expired`` cancels. The session's id is the payment's."""
    provider_type = base["provider_type"]
    payment = session_payment_of({**session, "payment_intent": None})
    if provider_type == "checkout.session.completed":
        kind = (
            WebhookEventType.PAYMENT_SUCCEEDED
            if payment.status is GatewayPaymentStatus.SUCCEEDED
            else WebhookEventType.PAYMENT_PROCESSING
        )
    else:
        kind = _SESSION_EVENTS[provider_type]
    return WebhookEvent(
        type=kind,
        gateway_payment_id=payment.gateway_payment_id,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        failure_code="payment_failed" if kind is WebhookEventType.PAYMENT_FAILED else None,
        **base,
    )


def _refund_event(refund: GatewayRefund, base: dict[str, Any]) -> WebhookEvent:
    kind = {
        GatewayRefundStatus.SUCCEEDED: WebhookEventType.REFUND_SUCCEEDED,
        GatewayRefundStatus.FAILED: WebhookEventType.REFUND_FAILED,
    }.get(refund.status, WebhookEventType.IGNORED)
    return WebhookEvent(
        type=kind,
        gateway_payment_id=refund.gateway_payment_id or None,
        gateway_refund_id=refund.gateway_refund_id,
        amount_minor=refund.amount_minor,
        currency=refund.currency,
        failure_code=refund.failure_code,
        **base,
    )


def _charge_refunded_event(charge: Mapping[str, Any], base: dict[str, Any]) -> WebhookEvent:
    """``charge.refunded`` is about the charge: its newest refund when the event carries the
    refunds list, otherwise the charge's cumulative ``amount_refunded`` with no refund id."""
    refunds = charge.get("refunds")
    data = refunds.get("data") if isinstance(refunds, Mapping) else None
    if isinstance(data, list) and data and isinstance(data[0], Mapping):
        newest = max(data, key=lambda item: int(item.get("created") or 0))
        refund = refund_of({"payment_intent": charge.get("payment_intent"), **newest})
        return _refund_event(refund, base)
    currency = str(charge["currency"]).upper()
    return WebhookEvent(
        type=WebhookEventType.REFUND_SUCCEEDED,
        gateway_payment_id=_id_of(charge.get("payment_intent")),
        amount_minor=from_stripe_amount(int(charge["amount_refunded"]), currency),
        currency=currency,
        **base,
    )


def _gateway_error(exc: stripe.StripeError) -> GatewayError:
    """Stripe's refusal or a failure to reach Stripe, in the port's words."""
    retryable = isinstance(
        exc, stripe.APIConnectionError | stripe.APIError | stripe.RateLimitError
    ) or (exc.http_status is not None and exc.http_status >= 500)
    kind = type(exc).__name__
    message = exc.user_message or str(exc)
    error = GatewayError(f"Stripe {kind} ({exc.http_status}): {message}", retryable=retryable)
    error.__cause__ = exc
    return error


# --------------------------------------------------------------------------- the adapter


class StripeGateway:
    """Payments through Stripe's PaymentIntents API.

    ``create_payment`` creates a PaymentIntent with the order attempt's idempotency key; with a
    saved payment method it confirms at once (``succeeded``, ``requires_action`` with the
    3-D Secure page as ``next_action_url``, or a decline). ``api_base`` points the client at
    another server (the tests' local double); empty means Stripe's own."""

    def __init__(
        self,
        *,
        api_key: str,
        webhook_secret: str,
        api_base: str = "",
        tolerance_seconds: int = 300,
        timeout_seconds: float = 30.0,
        max_network_retries: int = 2,
    ) -> None:
        self._webhook_secret = webhook_secret
        self._tolerance = tolerance_seconds
        self._http = stripe.HTTPXClient(timeout=timeout_seconds)
        self._client = stripe.StripeClient(
            api_key,
            http_client=self._http,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
        )

    @classmethod
    def from_settings(cls, settings: CommerceSettings) -> StripeGateway:
        return cls(
            api_key=settings.stripe_api_key.get_secret_value(),
            webhook_secret=settings.stripe_webhook_secret.get_secret_value(),
            api_base=settings.stripe_api_base,
            tolerance_seconds=settings.webhook_tolerance_seconds,
        )

    @property
    def name(self) -> str:
        return NAME

    async def aclose(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    # ---------------------------------------------------------------- payments

    async def create_payment(self, request: PaymentRequest) -> GatewayPayment:
        """With a saved payment method: a PaymentIntent confirmed at once. Without one: a
        Checkout Session, Stripe's hosted payment page, whose ``url`` is the buyer's
        ``next_action_url`` (``gateway_payment_id`` is then the session's ``cs_...`` id)."""
        if request.payment_method_token is None:
            return await self._create_session(request)
        return await self._create_intent(request)

    async def _create_intent(self, request: PaymentRequest) -> GatewayPayment:
        params: PaymentIntentCreateParams = {
            "amount": to_stripe_amount(request.amount_minor, request.currency),
            "currency": request.currency.lower(),
            "description": request.description,
            "receipt_email": request.buyer_email,
            "allowed_payment_method_types": ["card"],
            "metadata": {**request.metadata, "order_id": request.order_id},
        }
        customer = request.customer_ref
        if request.payment_method_token and customer is None:
            # A saved card belongs to the customer Stripe saved it on: pay as that customer.
            customer = await self._owner_of(request.payment_method_token)
        if customer:
            params["customer"] = customer
            if request.save_payment_method:
                params["setup_future_usage"] = "off_session"
        if request.payment_method_token:
            # A saved card is charged off-session (Stripe's "charge a saved card later"): the
            # intent is confirmed at once, with the exemptions the card was saved for.
            params["payment_method"] = request.payment_method_token
            params["confirm"] = True
            params["off_session"] = True
        options: stripe.RequestOptions = {"idempotency_key": _key(request.idempotency_key)}
        try:
            intent = await self._client.v1.payment_intents.create_async(params, options)
        except stripe.CardError as exc:
            if exc.code == AUTHENTICATION_REQUIRED and request.payment_method_token:
                return await self._authenticate_on_session(exc, request)
            return self._declined(exc)
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return await self._with_card(intent)

    async def _authenticate_on_session(
        self, exc: stripe.CardError, request: PaymentRequest
    ) -> GatewayPayment:
        """The bank wants the buyer to authenticate an off-session charge
        (``authentication_required``): as Stripe's docs say, bring the buyer back on-session on
        the same PaymentIntent. It is confirmed again with the saved card and a ``return_url``,
        without ``off_session``; Stripe answers ``requires_action`` with the 3-D Secure page,
        which becomes the buyer's ``next_action_url`` (a decline there is a decline)."""
        intent = exc.error.payment_intent if exc.error is not None else None
        if intent is None or not intent.id:
            raise _gateway_error(exc) from exc
        params: stripe.params.PaymentIntentConfirmParams = {
            "payment_method": request.payment_method_token or "",
            "return_url": request.return_url,
        }
        options: stripe.RequestOptions = {
            "idempotency_key": _key(f"{request.idempotency_key}:on-session")
        }
        try:
            confirmed = await self._client.v1.payment_intents.confirm_async(
                intent.id, params, options
            )
        except stripe.CardError as again:
            return self._declined(again)
        except stripe.StripeError as error:
            raise _gateway_error(error) from error
        return await self._with_card(confirmed)

    async def _create_session(self, request: PaymentRequest) -> GatewayPayment:
        metadata = {**request.metadata, "order_id": request.order_id}
        intent_data: stripe.params.checkout.SessionCreateParamsPaymentIntentData = {
            "description": request.description,
            # Marks the session's intent, whose own events Campus ignores (see ``event_of``).
            "metadata": {**metadata, HOSTED_MARK: "1"},
        }
        params: stripe.params.checkout.SessionCreateParams = {
            "mode": "payment",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": request.currency.lower(),
                        "unit_amount": to_stripe_amount(request.amount_minor, request.currency),
                        "product_data": {"name": request.description[:250] or request.order_id},
                    },
                }
            ],
            "allowed_payment_method_types": ["card"],
            "success_url": _with_session_id(request.return_url),
            "cancel_url": request.cancel_url,
            "client_reference_id": request.order_id[:200],
            "metadata": metadata,
            "payment_intent_data": intent_data,
        }
        if request.customer_ref:
            params["customer"] = request.customer_ref
        else:
            params["customer_email"] = request.buyer_email
        if request.save_payment_method:
            intent_data["setup_future_usage"] = "off_session"
            if not request.customer_ref:
                params["customer_creation"] = "always"
        options: stripe.RequestOptions = {"idempotency_key": _key(request.idempotency_key)}
        try:
            session = await self._client.v1.checkout.sessions.create_async(params, options)
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return session_payment_of(session.to_dict())

    async def _owner_of(self, payment_method_token: str) -> str | None:
        try:
            method = await self._client.v1.payment_methods.retrieve_async(payment_method_token)
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return _id_of(method.to_dict().get("customer"))

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment:
        if _is_session(gateway_payment_id):
            return session_payment_of(await self._session(gateway_payment_id))
        try:
            intent = await self._client.v1.payment_intents.retrieve_async(
                gateway_payment_id, {"expand": ["payment_method"]}
            )
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return payment_of(intent.to_dict())

    async def capture_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Intents capture on confirmation: the payment as it is."""
        return await self.get_payment(gateway_payment_id)

    async def cancel_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Cancel the intent; one that already succeeded (or was cancelled) is returned as it
        is, for Campus to see what really happened. A hosted page's session is expired."""
        if _is_session(gateway_payment_id):
            try:
                await self._client.v1.checkout.sessions.expire_async(gateway_payment_id)
            except stripe.InvalidRequestError as exc:
                if exc.http_status != 400:
                    raise _gateway_error(exc) from exc
            except stripe.StripeError as exc:
                raise _gateway_error(exc) from exc
            return await self.get_payment(gateway_payment_id)
        try:
            intent = await self._client.v1.payment_intents.cancel_async(gateway_payment_id)
        except stripe.InvalidRequestError as exc:
            if exc.code == "payment_intent_unexpected_state":
                return await self.get_payment(gateway_payment_id)
            raise _gateway_error(exc) from exc
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return payment_of(intent.to_dict())

    def _declined(self, exc: stripe.CardError) -> GatewayPayment:
        """A card decline: the intent Stripe returns inside the error, left at
        ``requires_payment_method`` with the decline code."""
        intent = exc.error.payment_intent if exc.error is not None else None
        if intent is None:
            raise _gateway_error(exc) from exc
        payment = payment_of(intent.to_dict())
        if payment.failure_code is None and exc.error is not None:
            code = failure_code_of(exc.code, exc.error.decline_code)
            return replace(payment, failure_code=code, failure_message=exc.user_message)
        return payment

    async def _with_card(self, intent: stripe.PaymentIntent) -> GatewayPayment:
        """The payment, with the card's display data when a payment method is attached (a
        separate read: the create and confirm answers carry only its id)."""
        payment = payment_of(intent.to_dict())
        method_id = _id_of(intent.to_dict().get("payment_method"))
        if method_id is None or payment.payment_method is not None:
            return payment
        try:
            method = await self._client.v1.payment_methods.retrieve_async(method_id)
        except stripe.StripeError:
            return payment  # display data only: the payment stands without it
        return replace(payment, payment_method=card_details(method.to_dict()))

    async def _session(self, session_id: str) -> dict[str, Any]:
        try:
            session = await self._client.v1.checkout.sessions.retrieve_async(
                session_id, {"expand": ["payment_intent", "payment_intent.payment_method"]}
            )
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return session.to_dict()

    # ---------------------------------------------------------------- refunds

    async def refund(
        self,
        gateway_payment_id: str,
        *,
        amount_minor: int,
        currency: str,
        idempotency_key: str,
        reason: str | None = None,
    ) -> GatewayRefund:
        intent_id = gateway_payment_id
        if _is_session(gateway_payment_id):
            intent_id = (
                _id_of((await self._session(gateway_payment_id)).get("payment_intent")) or ""
            )
            if not intent_id:
                raise GatewayError(
                    f"Stripe session {gateway_payment_id} has no payment to refund",
                    retryable=False,
                )
        params: stripe.params.RefundCreateParams = {
            "payment_intent": intent_id,
            "amount": to_stripe_amount(amount_minor, currency),
        }
        if reason in _STRIPE_REFUND_REASONS:
            params["reason"] = reason
        elif reason:
            params["metadata"] = {"reason": reason[:500]}
        try:
            refund = await self._client.v1.refunds.create_async(
                params, {"idempotency_key": _key(idempotency_key)}
            )
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        result = replace(refund_of(refund.to_dict()), gateway_payment_id=gateway_payment_id)
        if result.currency != currency.upper():
            raise GatewayError(
                f"Stripe refunded in {result.currency}, not {currency}", retryable=False
            )
        return result

    # ---------------------------------------------------------------- customers and cards

    async def create_customer(
        self, *, email: str, name: str | None = None, idempotency_key: str | None = None
    ) -> str:
        """A Stripe customer for a buyer who saves payment methods; returns its id."""
        params: stripe.params.CustomerCreateParams = {"email": email}
        if name:
            params["name"] = name
        options: stripe.RequestOptions = {}
        if idempotency_key:
            options["idempotency_key"] = _key(idempotency_key)
        try:
            customer = await self._client.v1.customers.create_async(params, options)
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        return str(customer.id)

    async def attach_payment_method(self, token: str, *, customer_ref: str) -> CardDetails:
        """Attach a payment method to a customer (saving it); its display data."""
        try:
            method = await self._client.v1.payment_methods.attach_async(
                token, {"customer": customer_ref}
            )
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        details = card_details(method.to_dict())
        if details is None:
            raise GatewayError(f"payment method {token} is not a card", retryable=False)
        return details

    async def list_payment_methods(self, customer_ref: str) -> list[CardDetails]:
        """The customer's saved cards (the first page, up to 100)."""
        try:
            page = await self._client.v1.customers.payment_methods.list_async(
                customer_ref, {"type": "card", "limit": 100}
            )
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc
        cards = (card_details(method.to_dict()) for method in page.data)
        return [card for card in cards if card is not None]

    async def detach_payment_method(self, token: str) -> None:
        """Detach a saved payment method; one already detached is not an error."""
        try:
            await self._client.v1.payment_methods.detach_async(token)
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 400 and exc.code == "payment_method_not_attached":
                return
            raise _gateway_error(exc) from exc
        except stripe.StripeError as exc:
            raise _gateway_error(exc) from exc

    # ---------------------------------------------------------------- webhooks

    async def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Stripe's own check (``WebhookSignature.verify_header``: HMAC-SHA256 over
        ``"{t}.{body}"`` against any ``v1`` entry, ``t`` no older than the tolerance) on the raw
        body, and ``t`` no further ahead than the tolerance either; the body is parsed only once
        it verifies."""
        try:
            payload = raw_body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InvalidWebhook("the body is not UTF-8") from exc
        try:
            stripe.WebhookSignature.verify_header(
                payload, headers.get("stripe-signature"), self._webhook_secret, self._tolerance
            )
        except stripe.SignatureVerificationError as exc:
            raise InvalidWebhook(str(exc.user_message)) from exc
        if _signed_at(headers["stripe-signature"]) > time.time() + self._tolerance:
            # The library bounds only the age; a signature dated ahead is refused as well.
            raise InvalidWebhook("Timestamp in the future beyond the tolerance")
        try:
            event = json.loads(payload)
        except ValueError as exc:
            raise InvalidWebhook("the body is not JSON") from exc
        if not isinstance(event, dict):
            raise InvalidWebhook("not a Stripe event")
        return event_of(event)


def _is_session(gateway_payment_id: str) -> bool:
    return gateway_payment_id.startswith("cs_")


def _with_session_id(return_url: str) -> str:
    """The return URL with the session's id appended by Stripe on the way back (as
    ``payment_intent``, the parameter Campus's return URL takes for Stripe's ids)."""
    separator = "&" if "?" in return_url else "?"
    return f"{return_url}{separator}payment_intent={{CHECKOUT_SESSION_ID}}"


def _key(idempotency_key: str) -> str:
    """Campus's idempotency key as Stripe's (at most 255 characters): as it is when it fits,
    otherwise its SHA-256, still one per key."""
    if len(idempotency_key) <= 255 and idempotency_key.isascii():
        return idempotency_key
    return "sha256-" + hashlib.sha256(idempotency_key.encode()).hexdigest()


def _signed_at(header: str) -> int:
    """The ``t=`` of a ``Stripe-Signature`` header the library has already parsed."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise InvalidWebhook("no timestamp")
