"""A Stripe API double: the part of ``/v1`` Campus's Stripe adapter uses (PaymentIntents,
Checkout Sessions, refunds, customers, payment methods), answering with Stripe's documented
object shapes and checking what Stripe checks.

- ``Authorization: Bearer <secret key>`` (anything else: 401 ``invalid_request_error``);
- request bodies form-encoded (``application/x-www-form-urlencoded``, nested keys as
  ``metadata[order_id]``, lists as ``expand[0]``), integers as integers (``amount``),
  currencies as lower-case ISO codes;
- ``Idempotency-Key`` on POST (at most 255 characters): the same key with the same parameters
  replays the stored response (status and body, with ``Idempotent-Replayed: true``); with other
  parameters it is a 400 ``idempotency_error``;
- Stripe's test payment methods decide the outcome of a confirmation: ``pm_card_visa`` and
  ``pm_card_mastercard`` succeed, ``pm_card_visa_chargeDeclined`` is declined
  (``generic_decline``), ``pm_card_visa_chargeDeclinedInsufficientFunds`` is declined
  (``insufficient_funds``), ``pm_card_threeDSecure2Required`` needs a 3-D Secure redirect,
  ``pm_card_visa_processing`` stays ``processing``;
- ``off_session=true`` is refused without ``confirm=true`` and with ``setup_future_usage``;
  confirmed off-session, a card that needs 3-D Secure is declined with ``authentication_required``
  (a 402 ``card_error`` carrying the intent, left at ``requires_payment_method``), and a
  ``return_url`` is not needed; confirmed again on-session (``POST
  /v1/payment_intents/{id}/confirm`` with ``return_url``) it asks for the 3-D Secure redirect;
- the buyer's part of a Checkout Session happens on Stripe's page: ``pay_session(id, token)``
  pays it with one of those cards (a decline leaves the session open).

Faults for the error-mapping tests: ``fail_next(status)`` answers the next request with that
status and Stripe's ``api_error`` body; ``hang_next()`` holds the next request until
``release()`` (a client timeout).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API_KEY = "sk_test_campus_double"

Handler = Callable[[Request, dict[str, Any]], Awaitable[tuple[int, dict[str, Any]]]]

_TEST_CARDS: dict[str, dict[str, Any]] = {
    "pm_card_visa": {"brand": "visa", "last4": "4242", "outcome": "succeeded"},
    "pm_card_mastercard": {"brand": "mastercard", "last4": "4444", "outcome": "succeeded"},
    "pm_card_visa_chargeDeclined": {
        "brand": "visa",
        "last4": "0002",
        "outcome": "declined",
        "decline_code": "generic_decline",
    },
    "pm_card_visa_chargeDeclinedInsufficientFunds": {
        "brand": "visa",
        "last4": "9995",
        "outcome": "declined",
        "decline_code": "insufficient_funds",
    },
    "pm_card_threeDSecure2Required": {
        "brand": "visa",
        "last4": "3155",
        "outcome": "requires_action",
    },
    "pm_card_visa_processing": {"brand": "visa", "last4": "0077", "outcome": "processing"},
}

_CANCELABLE = {
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "requires_capture",
    "processing",
}

_INTEGER = re.compile(r"^-?\d+$")


def decode_form(body: bytes) -> dict[str, Any]:
    """Stripe's form encoding (``a[b][c]=v``, ``a[0]=v``) back into nested dicts and lists."""
    result: dict[str, Any] = {}
    for key, value in parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=False):
        parts = re.findall(r"[^\[\]]+", key)
        node: dict[str, Any] = result
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    decoded: dict[str, Any] = _lists(result)
    return decoded


def _lists(node: Any) -> Any:
    if isinstance(node, dict):
        if node and all(key.isdigit() for key in node):
            return [_lists(node[key]) for key in sorted(node, key=int)]
        return {key: _lists(value) for key, value in node.items()}
    return node


class StripeFailure(Exception):
    def __init__(self, status: int, error: dict[str, Any]) -> None:
        super().__init__(error.get("message"))
        self.status = status
        self.error = error


def _invalid(message: str, *, code: str | None = None, param: str | None = None) -> StripeFailure:
    error: dict[str, Any] = {"type": "invalid_request_error", "message": message}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    if param:
        error["param"] = param
    return StripeFailure(400, error)


def _missing(kind: str, ident: str) -> StripeFailure:
    failure = _invalid(f"No such {kind}: '{ident}'", code="resource_missing", param="id")
    failure.status = 404
    return failure


def _integer(params: Mapping[str, Any], name: str) -> int:
    value = params.get(name)
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise _invalid(f"Invalid integer: {value}", code="parameter_invalid_integer", param=name)
    return int(value)


@dataclass
class StripeDouble:
    api_key: str = API_KEY
    #: Every request as (method, path, headers, form parameters).
    requests: list[tuple[str, str, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    intents: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    customers: dict[str, dict[str, Any]] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    payment_methods: dict[str, dict[str, Any]] = field(default_factory=dict)
    url: str = ""
    _idempotent: dict[tuple[str, str], tuple[str, dict[str, Any], int, bytes]] = field(
        default_factory=dict
    )
    _session_intent_data: dict[str, dict[str, Any]] = field(default_factory=dict)
    _faults: list[int] = field(default_factory=list)
    _hangs: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)
    _ids: itertools.count[int] = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        for token, card in _TEST_CARDS.items():
            self.payment_methods[token] = self._payment_method(token, card)

    # ---------------------------------------------------------------- faults

    def fail_next(self, status: int) -> None:
        self._faults.append(status)

    def hang_next(self) -> None:
        self._hangs += 1

    def release(self) -> None:
        self._released.set()

    # ---------------------------------------------------------------- app

    def app(self) -> Starlette:
        routes: list[tuple[str, Handler, str]] = [
            ("/v1/payment_intents", self._create_intent, "POST"),
            ("/v1/payment_intents/{id}", self._get_intent, "GET"),
            ("/v1/payment_intents/{id}/confirm", self._confirm_intent, "POST"),
            ("/v1/payment_intents/{id}/cancel", self._cancel_intent, "POST"),
            ("/v1/checkout/sessions", self._create_session, "POST"),
            ("/v1/checkout/sessions/{id}", self._get_session, "GET"),
            ("/v1/checkout/sessions/{id}/expire", self._expire_session, "POST"),
            ("/v1/refunds", self._create_refund, "POST"),
            ("/v1/customers", self._create_customer, "POST"),
            ("/v1/customers/{id}/payment_methods", self._customer_methods, "GET"),
            ("/v1/payment_methods/{id}", self._get_method, "GET"),
            ("/v1/payment_methods/{id}/attach", self._attach, "POST"),
            ("/v1/payment_methods/{id}/detach", self._detach, "POST"),
        ]
        return Starlette(
            routes=[
                Route(path, self._endpoint(handler), methods=[m]) for path, handler, m in routes
            ]
        )

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._handle(request, handler)

        return endpoint

    async def _handle(self, request: Request, handler: Handler) -> Response:
        body = await request.body()
        headers = {key.lower(): value for key, value in request.headers.items()}
        if request.method == "POST":
            if body and not headers.get("content-type", "").startswith(
                "application/x-www-form-urlencoded"
            ):
                return self._error(_invalid("Stripe accepts form-encoded bodies only"))
            params = decode_form(body)
        else:
            params = decode_form(request.url.query.encode())
        self.requests.append((request.method, request.url.path, headers, params))
        if self._hangs:
            self._hangs -= 1
            await self._released.wait()
        if self._faults:
            status = self._faults.pop(0)
            return JSONResponse(
                {"error": {"type": "api_error", "message": "An unknown error occurred"}},
                status_code=status,
                headers={"request-id": self._id("req")},
            )
        if headers.get("authorization") != f"Bearer {self.api_key}":
            error = {
                "type": "invalid_request_error",
                "message": "Invalid API Key provided: sk_test_****",
            }
            return JSONResponse({"error": error}, status_code=401)
        key = headers.get("idempotency-key")
        if key is not None and len(key) > 255:
            return self._error(
                _invalid("Idempotency keys are at most 255 characters", param="Idempotency-Key")
            )
        if request.method == "POST" and key:
            stored = self._idempotent.get((self.api_key, key))
            if stored is not None:
                path, stored_params, status, content = stored
                if path != request.url.path or stored_params != params:
                    return self._error(
                        StripeFailure(
                            400,
                            {
                                "type": "idempotency_error",
                                "message": "Keys for idempotent requests can only be used "
                                "with the same parameters they were first used with.",
                            },
                        )
                    )
                return Response(
                    content,
                    status_code=status,
                    media_type="application/json",
                    headers={"idempotent-replayed": "true", "idempotency-key": key},
                )
        try:
            status, answer = await handler(request, params)
        except StripeFailure as failure:
            status, answer = failure.status, {"error": failure.error}
        content = json.dumps(answer).encode()
        if request.method == "POST" and key and status < 500:
            self._idempotent[(self.api_key, key)] = (request.url.path, params, status, content)
        return Response(
            content,
            status_code=status,
            media_type="application/json",
            headers={"request-id": self._id("req")},
        )

    @staticmethod
    def _error(failure: StripeFailure) -> JSONResponse:
        return JSONResponse({"error": failure.error}, status_code=failure.status)

    def _id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):04d}{secrets.token_hex(6)}"

    # ---------------------------------------------------------------- payment intents

    async def _create_intent(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        amount = _integer(params, "amount")
        if amount < 1:
            raise _invalid("Amount must be at least 1", code="amount_too_small", param="amount")
        currency = params.get("currency", "")
        if not re.fullmatch(r"[a-z]{3}", currency):
            raise _invalid(f"Invalid currency: {currency}", param="currency")
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise _missing("customer", customer)
        intent_id = self._id("pi")
        intent: dict[str, Any] = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_received": 0,
            "allowed_payment_method_types": params.get("allowed_payment_method_types"),
            "payment_method_types": params.get("allowed_payment_method_types") or ["card"],
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{secrets.token_hex(8)}",
            "confirmation_method": "automatic",
            "created": int(time.time()),
            "currency": currency,
            "customer": customer,
            "description": params.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "next_action": None,
            "payment_method": None,
            "receipt_email": params.get("receipt_email"),
            "setup_future_usage": params.get("setup_future_usage"),
            "status": "requires_payment_method",
        }
        if params.get("off_session") == "true":
            if params.get("confirm") != "true":
                raise _invalid(
                    "off_session can only be used when confirm=true", param="off_session"
                )
            if params.get("setup_future_usage"):
                raise _invalid(
                    "You cannot use setup_future_usage with off_session", param="off_session"
                )
        self.intents[intent_id] = intent
        if params.get("confirm") == "true":
            return self._confirm(intent, params)
        return 200, intent

    async def _get_intent(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        intent = self._intent(request.path_params["id"])
        if "payment_method" in params.get("expand", []) and intent["payment_method"]:
            return 200, {**intent, "payment_method": self.payment_methods[intent["payment_method"]]}
        return 200, intent

    async def _confirm_intent(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        intent = self._intent(request.path_params["id"])
        if intent["status"] not in {"requires_payment_method", "requires_confirmation"}:
            raise _invalid(
                f"This PaymentIntent's status is {intent['status']}",
                code="payment_intent_unexpected_state",
            )
        return self._confirm(intent, params)

    def _confirm(
        self, intent: dict[str, Any], params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        token = params.get("payment_method")
        if token is None:
            raise _invalid(
                "You must provide a payment method", code="payment_intent_unexpected_state"
            )
        method = self.payment_methods.get(token)
        if method is None:
            raise _missing("payment_method", token)
        if method["customer"] and method["customer"] != intent["customer"]:
            raise _invalid(
                "The payment method belongs to another customer", code="payment_method_invalid"
            )
        intent["payment_method"] = token
        outcome = _TEST_CARDS.get(token, {"outcome": "succeeded"})["outcome"]
        if outcome == "declined":
            decline = _TEST_CARDS[token]["decline_code"]
            error = {
                "type": "card_error",
                "code": "card_declined",
                "decline_code": decline,
                "message": "Your card was declined."
                if decline == "generic_decline"
                else "Your card has insufficient funds.",
                "charge": self._id("ch"),
                "doc_url": "https://stripe.com/docs/error-codes/card-declined",
            }
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {**error, "payment_method": method}
            intent["payment_method"] = None
            raise StripeFailure(402, {**error, "payment_intent": intent, "payment_method": method})
        if outcome == "requires_action" and params.get("off_session") == "true":
            # Stripe's answer to an off-session charge the bank wants authenticated.
            error = {
                "type": "card_error",
                "code": "authentication_required",
                "decline_code": "authentication_required",
                "message": "Your card was declined. This transaction requires authentication.",
                "charge": self._id("ch"),
                "doc_url": "https://stripe.com/docs/error-codes/authentication-required",
            }
            intent["status"] = "requires_payment_method"
            intent["last_payment_error"] = {**error, "payment_method": method}
            intent["payment_method"] = None
            raise StripeFailure(402, {**error, "payment_intent": intent, "payment_method": method})
        if outcome == "requires_action":
            return_url = params.get("return_url")
            if not return_url:
                raise _invalid("return_url is required to handle redirects", param="return_url")
            intent["status"] = "requires_action"
            intent["next_action"] = {
                "type": "redirect_to_url",
                "redirect_to_url": {
                    "return_url": return_url,
                    "url": f"https://hooks.stripe.com/3d_secure_2/hosted?payment_intent={intent['id']}",
                },
            }
            return 200, intent
        intent["latest_charge"] = self._id("ch")
        intent["last_payment_error"] = None
        if outcome == "processing":
            intent["status"] = "processing"
            return 200, intent
        intent["status"] = "succeeded"
        intent["amount_received"] = intent["amount"]
        return 200, intent

    async def _cancel_intent(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        intent = self._intent(request.path_params["id"])
        if intent["status"] not in _CANCELABLE:
            raise _invalid(
                "You cannot cancel this PaymentIntent because it has a status of "
                f"{intent['status']}.",
                code="payment_intent_unexpected_state",
            )
        intent["status"] = "canceled"
        intent["canceled_at"] = int(time.time())
        intent["cancellation_reason"] = params.get("cancellation_reason")
        intent["next_action"] = None
        return 200, intent

    def _intent(self, intent_id: str) -> dict[str, Any]:
        intent = self.intents.get(intent_id)
        if intent is None:
            raise _missing("payment_intent", intent_id)
        return intent

    def settle(self, intent_id: str, status: str = "succeeded") -> None:
        """Move an intent as Stripe would behind the scenes (3-D Secure done, async success)."""
        intent = self.intents[intent_id]
        intent["status"] = status
        intent["next_action"] = None
        if status == "succeeded":
            intent["amount_received"] = intent["amount"]

    # ---------------------------------------------------------------- checkout sessions

    async def _create_session(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        if params.get("mode") != "payment":
            raise _invalid("Only mode=payment is supported here", param="mode")
        items = params.get("line_items")
        if not isinstance(items, list) or not items:
            raise _invalid("line_items is required in payment mode", param="line_items")
        total = 0
        currency = None
        for index, item in enumerate(items):
            price = item.get("price_data") or {}
            unit = _integer(price, "unit_amount")
            quantity = _integer(item, "quantity")
            total += unit * quantity
            currency = price.get("currency")
            if not re.fullmatch(r"[a-z]{3}", str(currency)):
                raise _invalid(f"Invalid currency: {currency}", param=f"line_items[{index}]")
            if not (price.get("product_data") or {}).get("name"):
                raise _invalid("product_data.name is required", param=f"line_items[{index}]")
        if not params.get("success_url"):
            raise _invalid("success_url is required", param="success_url")
        customer = params.get("customer")
        if customer is not None and customer not in self.customers:
            raise _missing("customer", customer)
        session_id = f"cs_test_{secrets.token_hex(16)}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "amount_subtotal": total,
            "amount_total": total,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": int(time.time()),
            "currency": currency,
            "customer": customer,
            "customer_creation": params.get("customer_creation"),
            "customer_email": params.get("customer_email"),
            "expires_at": int(time.time()) + 86400,
            "livemode": False,
            "metadata": params.get("metadata", {}),
            "mode": "payment",
            "payment_intent": None,
            "payment_status": "unpaid",
            "status": "open",
            "success_url": params["success_url"],
            "url": f"https://checkout.stripe.com/c/pay/{session_id}",
        }
        self.sessions[session_id] = session
        self._session_intent_data[session_id] = params.get("payment_intent_data") or {}
        return 200, session

    async def _get_session(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        session = self._session(request.path_params["id"])
        expand = params.get("expand", [])
        view = dict(session)
        if "payment_intent" in expand and session["payment_intent"]:
            intent = dict(self.intents[session["payment_intent"]])
            if "payment_intent.payment_method" in expand and intent["payment_method"]:
                intent["payment_method"] = self.payment_methods[intent["payment_method"]]
            view["payment_intent"] = intent
        return 200, view

    async def _expire_session(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        session = self._session(request.path_params["id"])
        if session["status"] != "open":
            raise _invalid(
                f'Only Checkout Sessions with a status in ["open"] can be expired. This '
                f'Checkout Session has a status of "{session["status"]}".',
            )
        session["status"] = "expired"
        session["url"] = None
        return 200, session

    def _session(self, session_id: str) -> dict[str, Any]:
        session = self.sessions.get(session_id)
        if session is None:
            raise _missing("checkout.session", session_id)
        return session

    def pay_session(self, session_id: str, token: str = "pm_card_visa") -> dict[str, Any]:
        """The buyer pays on Stripe's hosted page with the test card ``token``: the session's
        PaymentIntent is created and confirmed; a decline leaves the session open (the page
        asks for another card), a success or a delayed method completes it."""
        session = self._session(session_id)
        data = self._session_intent_data[session_id]
        customer = session["customer"]
        if customer is None and session["customer_creation"] == "always":
            customer = self._id("cus")
            self.customers[customer] = {
                "id": customer,
                "object": "customer",
                "email": session["customer_email"],
            }
            session["customer"] = customer
        intent_id = session["payment_intent"] or self._id("pi")
        intent = self.intents.get(intent_id) or {
            "id": intent_id,
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": 0,
            "currency": session["currency"],
            "customer": customer,
            "description": data.get("description"),
            "last_payment_error": None,
            "latest_charge": None,
            "metadata": data.get("metadata", {}),
            "next_action": None,
            "payment_method": None,
            "setup_future_usage": data.get("setup_future_usage"),
            "status": "requires_payment_method",
        }
        self.intents[intent_id] = intent
        session["payment_intent"] = intent_id
        try:
            self._confirm(intent, {"payment_method": token, "return_url": session["success_url"]})
        except StripeFailure:
            return session  # declined: the page stays open
        if intent["setup_future_usage"] and customer:
            self.payment_methods[token]["customer"] = customer
        session["status"] = "complete"
        session["url"] = None
        session["payment_status"] = "paid" if intent["status"] == "succeeded" else "unpaid"
        return session

    # ---------------------------------------------------------------- refunds

    async def _create_refund(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        intent_id = params.get("payment_intent")
        if not intent_id:
            raise _invalid("One of charge or payment_intent is required", param="payment_intent")
        intent = self._intent(intent_id)
        if intent["status"] != "succeeded":
            raise _invalid(
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        refunded = sum(
            refund["amount"]
            for refund in self.refunds.values()
            if refund["payment_intent"] == intent_id and refund["status"] != "failed"
        )
        remaining = intent["amount_received"] - refunded
        amount = _integer(params, "amount") if "amount" in params else remaining
        if remaining <= 0:
            raise _invalid(
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        if amount < 1 or amount > remaining:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                f"({remaining})",
                code="amount_too_large",
                param="amount",
            )
        reason = params.get("reason")
        if reason is not None and reason not in {
            "duplicate",
            "fraudulent",
            "requested_by_customer",
        }:
            raise _invalid(f"Invalid reason: {reason}", param="reason")
        refund = {
            "id": self._id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": self._id("txn"),
            "charge": intent["latest_charge"],
            "created": int(time.time()),
            "currency": intent["currency"],
            "metadata": params.get("metadata", {}),
            "payment_intent": intent_id,
            "reason": reason,
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }
        self.refunds[refund["id"]] = refund
        return 200, refund

    # ---------------------------------------------------------------- customers, cards

    async def _create_customer(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        customer = {
            "id": self._id("cus"),
            "object": "customer",
            "created": int(time.time()),
            "email": params.get("email"),
            "name": params.get("name"),
            "livemode": False,
            "metadata": params.get("metadata", {}),
        }
        self.customers[customer["id"]] = customer
        return 200, customer

    def _payment_method(self, token: str, card: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "id": token,
            "object": "payment_method",
            "billing_details": {"email": None, "name": None},
            "card": {
                "brand": card["brand"],
                "checks": {"cvc_check": "pass"},
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "fingerprint": secrets.token_hex(8),
                "funding": "credit",
                "last4": card["last4"],
            },
            "created": int(time.time()),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
        }

    def _method(self, token: str) -> dict[str, Any]:
        method = self.payment_methods.get(token)
        if method is None:
            raise _missing("payment_method", token)
        return method

    async def _get_method(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        return 200, self._method(request.path_params["id"])

    async def _attach(self, request: Request, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = self._method(request.path_params["id"])
        customer = params.get("customer")
        if customer not in self.customers:
            raise _missing("customer", str(customer))
        if method["customer"] and method["customer"] != customer:
            raise _invalid(
                "The payment method you provided has already been attached to a customer.",
                code="payment_method_unexpected_state",
            )
        method["customer"] = customer
        return 200, method

    async def _detach(self, request: Request, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        method = self._method(request.path_params["id"])
        if method["customer"] is None:
            raise _invalid(
                "The payment method you provided is not attached to a customer so "
                "detachment is impossible.",
                code="payment_method_not_attached",
            )
        method["customer"] = None
        return 200, method

    async def _customer_methods(
        self, request: Request, params: dict[str, Any]
    ) -> tuple[int, dict[str, Any]]:
        customer = request.path_params["id"]
        if customer not in self.customers:
            raise _missing("customer", customer)
        data = [
            method
            for method in self.payment_methods.values()
            if method["customer"] == customer and method["type"] == params.get("type", "card")
        ]
        return 200, {
            "object": "list",
            "data": data,
            "has_more": False,
            "url": f"/v1/customers/{customer}/payment_methods",
        }


def event(event_type: str, obj: Mapping[str, Any], *, event_id: str | None = None) -> str:
    """A Stripe Event's JSON body for ``obj``, as Stripe delivers it to a webhook endpoint."""
    return json.dumps(
        {
            "id": event_id or f"evt_{secrets.token_hex(12)}",
            "object": "event",
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "data": {"object": dict(obj)},
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "type": event_type,
        }
    )
