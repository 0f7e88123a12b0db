"""The PayPal adapter: PayPal Orders v2 over httpx (create an order, send the buyer to its
approval page, capture, refund the capture) and PayPal webhooks verified as PayPal documents
(the ``verify-webhook-signature`` postback, plus the transmission time within the tolerance).

Only this module speaks PayPal. A Campus payment is a PayPal *order*: ``gateway_payment_id`` is
the order id. Order states become the port's statuses:

==========================  ==================================================================
``CREATED`` / ``SAVED``     ``requires_payment_method``, the approval page as ``next_action_url``
``PAYER_ACTION_REQUIRED``   ``requires_action``, the ``payer-action`` page as ``next_action_url``
``APPROVED``                ``processing``: the buyer approved, Campus must ``capture_payment``
``COMPLETED``               by its capture: ``COMPLETED`` (and later refunded) ``succeeded``,
                            ``PENDING`` ``processing``, ``DECLINED`` / ``FAILED``
                            ``requires_payment_method`` with the reason as ``failure_code``
``VOIDED``                  ``canceled``
==========================  ==================================================================

Amounts travel as PayPal's decimal strings (``"19.99"``, ``"5000"`` for JPY, ``"1.234"`` for a
three-decimal currency), converted from and to integer minor units with ``Decimal``, never a
float. PayPal takes no decimals for HUF, JPY and TWD: a HUF or TWD amount with a fraction cannot
be sent and is refused before any request.

Errors: bad credentials, PayPal's 5xx, rate limits, timeouts and unreachable hosts raise
``GatewayError`` (``retryable`` says whether trying again may help); a declined funding source
at capture is a payment back at ``requires_payment_method`` with PayPal's issue in lower case
(``instrument_declined``) and the approval page to choose another.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx

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
from campus.kernel.clock import utcnow
from campus.kernel.money import Money

if TYPE_CHECKING:
    from campus.commerce.settings import CommerceSettings

NAME = "paypal"

#: Currencies PayPal takes without decimals (HUF and TWD have two in ISO 4217).
PAYPAL_NO_DECIMALS = frozenset({"HUF", "JPY", "TWD"})

_VALUE = re.compile(r"^[0-9]+(\.[0-9]+)?$")

#: Refresh the access token this long before PayPal says it expires.
_TOKEN_MARGIN = timedelta(seconds=60)

#: The transmission headers PayPal's postback verification needs, by its request field.
_TRANSMISSION_HEADERS = {
    "auth_algo": "paypal-auth-algo",
    "cert_url": "paypal-cert-url",
    "transmission_id": "paypal-transmission-id",
    "transmission_sig": "paypal-transmission-sig",
    "transmission_time": "paypal-transmission-time",
}

_CAPTURED = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"})

#: Capture refusals that leave the order as it is (read it and report that).
_CAPTURE_AS_IT_IS = frozenset(
    {"ORDER_ALREADY_CAPTURED", "ORDER_NOT_APPROVED", "ORDER_COMPLETION_IN_PROGRESS"}
)

#: Capture refusals that are the buyer's funding source: they may approve again with another.
_CAPTURE_DECLINED = frozenset(
    {
        "INSTRUMENT_DECLINED",
        "PAYER_ACTION_REQUIRED",
        "PAYER_CANNOT_PAY",
        "PAYER_ACCOUNT_RESTRICTED",
        "PAYER_ACCOUNT_LOCKED_OR_CLOSED",
        "REDIRECT_PAYER_FOR_ALTERNATE_FUNDING",
        "TRANSACTION_REFUSED",
        "TRANSACTION_LIMIT_EXCEEDED",
        "DECLINED_DUE_TO_RELATED_TXN",
    }
)

_REFUND_STATUSES = {
    "COMPLETED": GatewayRefundStatus.SUCCEEDED,
    "PENDING": GatewayRefundStatus.PENDING,
    "FAILED": GatewayRefundStatus.FAILED,
    "CANCELLED": GatewayRefundStatus.FAILED,
}

_CAPTURE_EVENTS = {
    "PAYMENT.CAPTURE.COMPLETED": WebhookEventType.PAYMENT_SUCCEEDED,
    "PAYMENT.CAPTURE.PENDING": WebhookEventType.PAYMENT_PROCESSING,
    "PAYMENT.CAPTURE.DENIED": WebhookEventType.PAYMENT_FAILED,
    "PAYMENT.CAPTURE.DECLINED": WebhookEventType.PAYMENT_FAILED,
}

_ORDER_EVENTS = {
    "CHECKOUT.ORDER.APPROVED": WebhookEventType.PAYMENT_PROCESSING,
    "CHECKOUT.ORDER.COMPLETED": WebhookEventType.PAYMENT_SUCCEEDED,
    "CHECKOUT.ORDER.VOIDED": WebhookEventType.PAYMENT_CANCELED,
}

_REFUND_EVENTS = {
    "PAYMENT.CAPTURE.REFUNDED": WebhookEventType.REFUND_SUCCEEDED,
    "PAYMENT.REFUND.FAILED": WebhookEventType.REFUND_FAILED,
    "PAYMENT.REFUND.CANCELLED": WebhookEventType.REFUND_FAILED,
}


# --------------------------------------------------------------------------- money


def to_paypal_value(amount_minor: int, currency: str) -> str:
    """Integer minor units → PayPal's decimal string for ``currency``."""
    currency = currency.upper()
    amount = Money(amount_minor, currency).amount
    if currency in PAYPAL_NO_DECIMALS:
        whole = amount.to_integral_value()
        if whole != amount:
            raise GatewayError(
                f"PayPal takes whole {currency} amounts: {amount} cannot be sent",
                retryable=False,
            )
        return str(whole.quantize(Decimal(1)))
    return str(amount)


def from_paypal_value(value: object, currency: str) -> int:
    """PayPal's decimal string → integer minor units, exactly (never a float; a value with more
    decimal places than the currency has is refused, not rounded)."""
    if not isinstance(value, str) or not _VALUE.match(value):
        raise ValueError(f"not a PayPal amount: {value!r}")
    return Money.from_decimal(value, currency.upper()).minor


def _money(amount: Any) -> tuple[int, str]:
    if not isinstance(amount, Mapping):
        raise ValueError("missing amount")
    currency = str(amount["currency_code"]).upper()
    return from_paypal_value(amount["value"], currency), currency


# --------------------------------------------------------------------------- mapping


def _link(resource: Mapping[str, Any], *rels: str) -> str | None:
    links = resource.get("links")
    if not isinstance(links, list):
        return None
    for rel in rels:
        for link in links:
            if isinstance(link, Mapping) and link.get("rel") == rel:
                href = link.get("href")
                if isinstance(href, str):
                    return href
    return None


def _purchase_unit(order: Mapping[str, Any]) -> Mapping[str, Any]:
    units = order.get("purchase_units")
    if not isinstance(units, list) or not units or not isinstance(units[0], Mapping):
        raise ValueError("an order without purchase units")
    unit: Mapping[str, Any] = units[0]
    return unit


def _captures(order: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    payments = _purchase_unit(order).get("payments")
    captures = payments.get("captures") if isinstance(payments, Mapping) else None
    if not isinstance(captures, list):
        return []
    return [capture for capture in captures if isinstance(capture, Mapping)]


def _reason(resource: Mapping[str, Any], default: str) -> str:
    details = resource.get("status_details")
    reason = details.get("reason") if isinstance(details, Mapping) else None
    return str(reason).lower() if isinstance(reason, str) and reason else default


def _vault(order: Mapping[str, Any]) -> tuple[CardDetails | None, str | None]:
    """A PayPal wallet vaulted by this order (``store_in_vault``): its token, and the PayPal
    customer it belongs to. A wallet has no card number or expiry: brand ``paypal``."""
    source = order.get("payment_source")
    paypal = source.get("paypal") if isinstance(source, Mapping) else None
    attributes = paypal.get("attributes") if isinstance(paypal, Mapping) else None
    vault = attributes.get("vault") if isinstance(attributes, Mapping) else None
    if not isinstance(vault, Mapping) or vault.get("status") != "VAULTED":
        return None, None
    customer = vault.get("customer")
    customer_ref = customer.get("id") if isinstance(customer, Mapping) else None
    token = vault.get("id")
    method = (
        CardDetails(token=token, brand="paypal", last4="", exp_month=0, exp_year=0)
        if isinstance(token, str)
        else None
    )
    return method, customer_ref if isinstance(customer_ref, str) else None


def payment_of(order: Mapping[str, Any]) -> GatewayPayment:
    """A PayPal order in the port's words."""
    amount_minor, currency = _money(_purchase_unit(order).get("amount"))
    status_text = str(order.get("status"))
    failure_code: str | None = None
    next_action: str | None = None
    if status_text in {"CREATED", "SAVED"}:
        status = GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD
        next_action = _link(order, "payer-action", "approve")
    elif status_text == "PAYER_ACTION_REQUIRED":
        status = GatewayPaymentStatus.REQUIRES_ACTION
        next_action = _link(order, "payer-action", "approve")
    elif status_text == "APPROVED":
        status = GatewayPaymentStatus.PROCESSING
    elif status_text == "VOIDED":
        status = GatewayPaymentStatus.CANCELED
    elif status_text == "COMPLETED":
        captures = _captures(order)
        capture_status = str(captures[-1].get("status")) if captures else "COMPLETED"
        if capture_status in _CAPTURED:
            status = GatewayPaymentStatus.SUCCEEDED
        elif capture_status == "PENDING":
            status = GatewayPaymentStatus.PROCESSING
        else:
            status = GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD
            failure_code = _reason(captures[-1], f"capture_{capture_status.lower()}")
    else:
        raise ValueError(f"unknown PayPal order status {status_text!r}")
    method, customer_ref = _vault(order)
    return GatewayPayment(
        gateway=NAME,
        gateway_payment_id=str(order["id"]),
        status=status,
        amount_minor=amount_minor,
        currency=currency,
        next_action_url=next_action,
        failure_code=failure_code,
        payment_method=method,
        customer_ref=customer_ref,
    )


def _issue(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """PayPal's error ``details[0].issue`` and its description (or the error's name/message)."""
    details = body.get("details")
    if isinstance(details, list) and details and isinstance(details[0], Mapping):
        issue = details[0].get("issue")
        description = details[0].get("description")
        return (
            issue if isinstance(issue, str) else None,
            description if isinstance(description, str) else None,
        )
    name = body.get("name") or body.get("error")
    message = body.get("message") or body.get("error_description")
    return (
        name if isinstance(name, str) else None,
        message if isinstance(message, str) else None,
    )


def _body(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError as exc:
        raise GatewayError(f"PayPal answered {response.status_code} without JSON") from exc
    return body if isinstance(body, dict) else {}


def _refused(response: httpx.Response, what: str) -> GatewayError:
    """A PayPal answer that is not a success, as a ``GatewayError``."""
    issue, description = _issue(_body(response)) if response.content else (None, None)
    retryable = response.status_code >= 500 or response.status_code in {408, 409, 429}
    detail = ": ".join(part for part in (issue, description) if part) or response.reason_phrase
    return GatewayError(f"PayPal {what} ({response.status_code}): {detail}", retryable=retryable)


# --------------------------------------------------------------------------- the adapter


class PayPalGateway:
    """Payments through PayPal Orders v2.

    ``create_payment`` creates an order (intent ``CAPTURE``) with the order attempt's
    idempotency key as ``PayPal-Request-Id``; the buyer approves it on PayPal
    (``next_action_url``), after which Campus calls ``capture_payment``. A saved PayPal wallet
    (``payment_method_token``, a vault id) needs no approval: the order is captured at once."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        webhook_id: str,
        api_base: str = "https://api-m.sandbox.paypal.com",
        tolerance_seconds: int = 300,
        timeout_seconds: float = 30.0,
        brand_name: str = "Campus",
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._webhook_id = webhook_id
        self._tolerance = timedelta(seconds=tolerance_seconds)
        self._brand_name = brand_name
        self._http = httpx.AsyncClient(
            base_url=api_base.rstrip("/"),
            timeout=timeout_seconds,
            headers={"Accept": "application/json"},
        )
        self._token: str | None = None
        self._token_expires = utcnow()
        self._token_lock = asyncio.Lock()

    @classmethod
    def from_settings(cls, settings: CommerceSettings) -> PayPalGateway:
        return cls(
            client_id=settings.paypal_client_id,
            client_secret=settings.paypal_client_secret.get_secret_value(),
            webhook_id=settings.paypal_webhook_id,
            api_base=settings.paypal_api_base,
            tolerance_seconds=settings.webhook_tolerance_seconds,
            brand_name=settings.seller_name,
        )

    @property
    def name(self) -> str:
        return NAME

    async def aclose(self) -> None:
        await self._http.aclose()

    # ---------------------------------------------------------------- transport

    async def _access_token(self, *, renew: bool = False) -> str:
        """An OAuth 2.0 client-credentials token, kept until shortly before it expires."""
        async with self._token_lock:
            if not renew and self._token is not None and utcnow() < self._token_expires:
                return self._token
            try:
                response = await self._http.post(
                    "/v1/oauth2/token",
                    data={"grant_type": "client_credentials"},
                    auth=(self._client_id, self._client_secret),
                )
            except httpx.HTTPError as exc:
                raise GatewayError(f"PayPal unreachable: {type(exc).__name__}") from exc
            if response.status_code != 200:
                error = _refused(response, "refused the credentials")
                raise GatewayError(str(error), retryable=response.status_code >= 500)
            body = _body(response)
            token = body.get("access_token")
            if not isinstance(token, str) or not token:
                raise GatewayError("PayPal answered no access token")
            expires_in = int(body.get("expires_in") or 0)
            self._token = token
            self._token_expires = utcnow() + max(
                timedelta(seconds=expires_in) - _TOKEN_MARGIN, timedelta(0)
            )
            return token

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        content: str | None = None,
        request_id: str | None = None,
    ) -> httpx.Response:
        """One authenticated call; a 401 (a token PayPal revoked early) renews the token once."""
        headers = {"Prefer": "return=representation"}
        if request_id is not None:
            headers["PayPal-Request-Id"] = request_id
        if content is not None:
            headers["Content-Type"] = "application/json"
        token = await self._access_token()
        for attempt in range(2):
            headers["Authorization"] = f"Bearer {token}"
            try:
                response = await self._http.request(
                    method, path, json=json_body, content=content, headers=headers
                )
            except httpx.HTTPError as exc:
                raise GatewayError(f"PayPal unreachable: {type(exc).__name__}") from exc
            if response.status_code != 401 or attempt:
                break
            token = await self._access_token(renew=True)
        if response.status_code == 401:
            raise GatewayError("PayPal refused the access token (401)", retryable=False)
        if response.status_code >= 500 or response.status_code == 429:
            raise _refused(response, f"{method} {path}")
        return response

    # ---------------------------------------------------------------- payments

    async def create_payment(self, request: PaymentRequest) -> GatewayPayment:
        value = to_paypal_value(request.amount_minor, request.currency)
        paypal: dict[str, Any] = {
            "experience_context": {
                "brand_name": self._brand_name[:127],
                "shipping_preference": "NO_SHIPPING",
                "user_action": "PAY_NOW",
                "return_url": request.return_url,
                "cancel_url": request.cancel_url,
            },
            "email_address": request.buyer_email,
        }
        if request.payment_method_token:
            paypal = {"vault_id": request.payment_method_token}
        elif request.save_payment_method:
            vault: dict[str, Any] = {
                "store_in_vault": "ON_SUCCESS",
                "usage_type": "MERCHANT",
                "customer_type": "CONSUMER",
            }
            paypal["attributes"] = {"vault": vault}
            if request.customer_ref:
                paypal["attributes"]["customer"] = {"id": request.customer_ref}
        body = {
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "reference_id": request.order_id,
                    "custom_id": request.order_id,
                    "description": request.description[:127],
                    "amount": {"currency_code": request.currency.upper(), "value": value},
                }
            ],
            "payment_source": {"paypal": paypal},
        }
        response = await self._request(
            "POST",
            "/v2/checkout/orders",
            json_body=body,
            request_id=_request_id(request.idempotency_key),
        )
        if response.status_code not in {200, 201}:
            raise _refused(response, "refused the order")
        payment = self._payment(_body(response))
        if request.payment_method_token and payment.status is GatewayPaymentStatus.PROCESSING:
            return await self.capture_payment(payment.gateway_payment_id)
        return payment

    async def get_payment(self, gateway_payment_id: str) -> GatewayPayment:
        return self._payment(await self._order(gateway_payment_id))

    async def capture_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Capture an approved order. An order already captured (a repeated call, or one racing
        another) or not approved yet is returned as it is; a declined funding source sends the
        buyer back to the approval page with PayPal's issue as ``failure_code``.

        No ``PayPal-Request-Id``: PayPal captures an order once at most, and a capture after
        the buyer re-approved with another funding source must not replay the first decline."""
        response = await self._request(
            "POST", f"/v2/checkout/orders/{_path_id(gateway_payment_id)}/capture", content="{}"
        )
        if response.status_code in {200, 201}:
            return self._payment(_body(response))
        issue, description = _issue(_body(response))
        if response.status_code == 422 and issue in _CAPTURE_AS_IT_IS:
            return await self.get_payment(gateway_payment_id)
        if response.status_code == 422 and issue in _CAPTURE_DECLINED:
            payment = await self.get_payment(gateway_payment_id)
            if payment.status is GatewayPaymentStatus.SUCCEEDED:
                return payment
            return replace(
                payment,
                status=GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD,
                failure_code=issue.lower(),
                failure_message=description,
                next_action_url=payment.next_action_url
                or _link(_body(response), "redirect", "payer-action", "approve"),
            )
        raise _refused(response, "refused the capture")

    async def cancel_payment(self, gateway_payment_id: str) -> GatewayPayment:
        """Orders v2 has no cancellation for an uncaptured ``CAPTURE`` order: Campus simply never
        captures it and PayPal lets it lapse. The order is read, and reported ``canceled``
        unless it was already captured (then it is reported as it is)."""
        payment = await self.get_payment(gateway_payment_id)
        if payment.status in {GatewayPaymentStatus.SUCCEEDED, GatewayPaymentStatus.CANCELED}:
            return payment
        return replace(payment, status=GatewayPaymentStatus.CANCELED, next_action_url=None)

    async def _order(self, order_id: str) -> dict[str, Any]:
        response = await self._request("GET", f"/v2/checkout/orders/{_path_id(order_id)}")
        if response.status_code != 200:
            raise _refused(response, f"has no order {order_id}")
        return _body(response)

    @staticmethod
    def _payment(order: Mapping[str, Any]) -> GatewayPayment:
        try:
            return payment_of(order)
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayError(f"PayPal answered an order Campus cannot read: {exc}") from exc

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
        """Refund the order's capture (``/v2/payments/captures/{id}/refund``) with the key as
        ``PayPal-Request-Id``."""
        order = await self._order(gateway_payment_id)
        captures = [c for c in _captures(order) if c.get("status") in _CAPTURED]
        if not captures:
            raise GatewayError(
                f"PayPal order {gateway_payment_id} has no capture to refund", retryable=False
            )
        capture = captures[-1]
        capture_currency = str(_money(capture.get("amount"))[1])
        if capture_currency != currency.upper():
            raise GatewayError(
                f"PayPal captured {capture_currency}, not {currency}", retryable=False
            )
        body: dict[str, Any] = {
            "amount": {
                "currency_code": currency.upper(),
                "value": to_paypal_value(amount_minor, currency),
            }
        }
        if reason:
            body["note_to_payer"] = reason[:255]
        response = await self._request(
            "POST",
            f"/v2/payments/captures/{_path_id(str(capture['id']))}/refund",
            json_body=body,
            request_id=_request_id(idempotency_key),
        )
        if response.status_code not in {200, 201}:
            raise _refused(response, "refused the refund")
        refund = _body(response)
        try:
            refunded_minor, refunded_currency = (
                _money(refund["amount"]) if "amount" in refund else (amount_minor, currency.upper())
            )
            status = _REFUND_STATUSES.get(str(refund.get("status")), GatewayRefundStatus.PENDING)
            failure = (
                _reason(refund, "refund_failed") if status is GatewayRefundStatus.FAILED else None
            )
            return GatewayRefund(
                gateway=NAME,
                gateway_refund_id=str(refund["id"]),
                gateway_payment_id=gateway_payment_id,
                status=status,
                amount_minor=refunded_minor,
                currency=refunded_currency,
                failure_code=failure,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise GatewayError(f"PayPal answered a refund Campus cannot read: {exc}") from exc

    # ---------------------------------------------------------------- saved wallets

    async def detach_payment_method(self, token: str) -> None:
        """Delete a vaulted PayPal wallet (``/v3/vault/payment-tokens``); one already gone is
        not an error."""
        response = await self._request("DELETE", f"/v3/vault/payment-tokens/{_path_id(token)}")
        if response.status_code not in {200, 204, 404}:
            raise _refused(response, "refused to delete the payment token")

    # ---------------------------------------------------------------- webhooks

    async def verify_webhook(self, raw_body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """PayPal's documented verification: the transmission headers, Campus's webhook id and
        the event, exactly as received, posted to ``/v1/notifications/verify-webhook-signature``,
        which must answer ``SUCCESS``; and the transmission time within the tolerance. The body
        is only checked to be one JSON object (so that it cannot smuggle fields into the
        verification request) before it verifies; it is read only after."""
        fields: dict[str, str] = {}
        for field_name, header in _TRANSMISSION_HEADERS.items():
            value = headers.get(header, "").strip()
            if not value:
                raise InvalidWebhook(f"missing {header}")
            fields[field_name] = value
        try:
            sent_at = datetime.fromisoformat(fields["transmission_time"].replace("Z", "+00:00"))
        except ValueError as exc:
            raise InvalidWebhook("unreadable paypal-transmission-time") from exc
        if sent_at.tzinfo is None:
            raise InvalidWebhook("paypal-transmission-time has no time zone")
        if abs(utcnow() - sent_at) > self._tolerance:
            raise InvalidWebhook("paypal-transmission-time outside the tolerance")
        try:
            text = raw_body.decode("utf-8")
            event = json.loads(text)
        except ValueError as exc:
            raise InvalidWebhook("the body is not JSON") from exc
        if not isinstance(event, dict):
            raise InvalidWebhook("not a PayPal event")
        envelope = {**fields, "webhook_id": self._webhook_id}
        # The event goes verbatim (PayPal checks the body it signed), inside a JSON object
        # whose other fields are serialised here.
        content = json.dumps(envelope)[:-1] + ', "webhook_event": ' + text + "}"
        response = await self._request(
            "POST", "/v1/notifications/verify-webhook-signature", content=content
        )
        if response.status_code == 400:
            raise InvalidWebhook("PayPal could not verify the delivery")
        if response.status_code != 200:
            raise _refused(response, "refused the webhook verification")
        if _body(response).get("verification_status") != "SUCCESS":
            raise InvalidWebhook("PayPal says the signature does not verify")
        return await self._event(event)

    async def _event(self, event: Mapping[str, Any]) -> WebhookEvent:
        try:
            event_id = str(event["id"])
            provider_type = str(event["event_type"])
            created_at = datetime.fromisoformat(str(event["create_time"]).replace("Z", "+00:00"))
            resource = event["resource"]
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook("not a PayPal event") from exc
        if not isinstance(resource, Mapping):
            raise InvalidWebhook("not a PayPal event")
        base: dict[str, Any] = {
            "gateway": NAME,
            "event_id": event_id,
            "provider_type": provider_type,
            "created_at": created_at,
        }
        try:
            if provider_type in _CAPTURE_EVENTS:
                kind = _CAPTURE_EVENTS[provider_type]
                amount_minor, currency = _money(resource.get("amount"))
                failure = (
                    _reason(resource, provider_type.rsplit(".", 1)[1].lower())
                    if kind is WebhookEventType.PAYMENT_FAILED
                    else None
                )
                return WebhookEvent(
                    type=kind,
                    gateway_payment_id=_related_order(resource)
                    or await self._order_of_capture(str(resource["id"])),
                    amount_minor=amount_minor,
                    currency=currency,
                    failure_code=failure,
                    **base,
                )
            if provider_type in _ORDER_EVENTS:
                payment = payment_of(resource)
                return WebhookEvent(
                    type=_ORDER_EVENTS[provider_type],
                    gateway_payment_id=payment.gateway_payment_id,
                    amount_minor=payment.amount_minor,
                    currency=payment.currency,
                    payment_method=payment.payment_method,
                    **base,
                )
            if provider_type == "CHECKOUT.PAYMENT-APPROVAL.REVERSED":
                order_id = resource.get("order_id") or resource.get("id")
                units = resource.get("purchase_units")
                reversed_amount: tuple[int | None, str | None] = (
                    _money(_purchase_unit(resource).get("amount"))
                    if isinstance(units, list) and units
                    else (None, None)
                )
                return WebhookEvent(
                    type=WebhookEventType.PAYMENT_FAILED,
                    gateway_payment_id=str(order_id) if order_id else None,
                    amount_minor=reversed_amount[0],
                    currency=reversed_amount[1],
                    failure_code="payment_approval_reversed",
                    **base,
                )
            if provider_type in _REFUND_EVENTS:
                amount_minor, currency = _money(resource.get("amount"))
                capture_link = _link(resource, "up")
                capture_id = capture_link.rstrip("/").rsplit("/", 1)[1] if capture_link else None
                order_id = _related_order(resource) or (
                    await self._order_of_capture(capture_id) if capture_id else None
                )
                return WebhookEvent(
                    type=_REFUND_EVENTS[provider_type],
                    gateway_payment_id=order_id,
                    gateway_refund_id=str(resource["id"]),
                    amount_minor=amount_minor,
                    currency=currency,
                    **base,
                )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidWebhook(f"malformed {provider_type} event") from exc
        return WebhookEvent(type=WebhookEventType.IGNORED, **base)

    async def _order_of_capture(self, capture_id: str) -> str | None:
        """The order a capture belongs to, read from PayPal (refund events name only their
        capture)."""
        response = await self._request("GET", f"/v2/payments/captures/{_path_id(capture_id)}")
        if response.status_code != 200:
            raise _refused(response, f"has no capture {capture_id}")
        return _related_order(_body(response))


def _related_order(resource: Mapping[str, Any]) -> str | None:
    supplementary = resource.get("supplementary_data")
    related = supplementary.get("related_ids") if isinstance(supplementary, Mapping) else None
    order_id = related.get("order_id") if isinstance(related, Mapping) else None
    return order_id if isinstance(order_id, str) and order_id else None


def _request_id(key: str) -> str:
    """Campus's idempotency key as a ``PayPal-Request-Id`` (at most 108 characters): as it is
    when it fits, otherwise its SHA-256, still one per key."""
    if len(key) <= 100 and key.isascii() and key.isprintable():
        return key
    return "sha256-" + hashlib.sha256(key.encode()).hexdigest()


def _path_id(value: str) -> str:
    """An id as one URL path segment (PayPal's ids are alphanumeric; anything else is refused
    rather than sent)."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", value):
        raise GatewayError(f"not a PayPal id: {value!r}", retryable=False)
    return value
