"""A PayPal REST double: OAuth 2.0 client credentials, Orders v2, captures and refunds, the
vault's payment tokens and webhook signature verification, answering with PayPal's documented
shapes and checking what PayPal checks.

- ``POST /v1/oauth2/token`` takes HTTP Basic ``client_id:client_secret`` and
  ``grant_type=client_credentials``; every other call needs ``Authorization: Bearer <token>``
  with a token it issued (``revoke_tokens()`` makes them all invalid, as an early expiry);
- bodies are JSON (``Content-Type: application/json``, else 415); amounts are decimal strings
  with PayPal's decimals per currency (none for HUF, JPY, TWD; else 422 ``DECIMALS_NOT_SUPPORTED``
  / ``DECIMAL_PRECISION``), in currencies PayPal supports (else 422 ``CURRENCY_NOT_SUPPORTED``);
  a number instead of a string is a 400;
- ``PayPal-Request-Id`` (at most 108 characters): the same id with the same body replays the
  stored answer; with another body it is a 422 ``PAYPAL_REQUEST_ID_PREVIOUSLY_USED``;
- the buyer's part happens on PayPal's pages: ``approve(order_id)`` approves an order,
  ``approve(order_id, funding="declined")`` approves with a funding source the capture then
  declines (422 ``INSTRUMENT_DECLINED``), ``funding="pending"`` gives a ``PENDING`` capture,
  ``funding="payee_blocked"`` a 422 ``PAYEE_BLOCKED_TRANSACTION``;
- webhook deliveries are signed by ``deliver(event)``: PayPal signs
  ``<transmission id>|<time>|<webhook id>|<CRC32 of the body>`` with its certificate's key; the
  double signs the same string with a key of its own (HMAC-SHA256), and
  ``/v1/notifications/verify-webhook-signature`` answers ``SUCCESS`` only for its signature of
  that string, with the registered webhook id.

Faults: ``fail_next(status)`` answers the next call with that status and PayPal's
``INTERNAL_SERVER_ERROR`` body; ``hang_next()`` holds the next call until ``release()``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import hashlib
import hmac
import json
import re
import secrets
import string
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from campus.kernel.clock import utcnow

CLIENT_ID = "campus-paypal-client"
CLIENT_SECRET = "campus-paypal-secret"
WEBHOOK_ID = "8PT597110X687430LKGECATA"
CERT_URL = "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-360caa42-fca2a594-1d93a270"

#: PayPal's currencies, and how many decimals it takes for each.
CURRENCIES: dict[str, int] = {
    **dict.fromkeys(
        [
            "AUD", "BRL", "CAD", "CNY", "CZK", "DKK", "EUR", "HKD", "ILS", "MYR", "MXN",
            "NZD", "NOK", "PHP", "PLN", "GBP", "SGD", "SEK", "CHF", "THB", "USD",
        ],
        2,
    ),
    "HUF": 0,
    "JPY": 0,
    "TWD": 0,
}  # fmt: skip

_AMOUNT = re.compile(r"^((-?[0-9]+)|(-?([0-9]+)?[.][0-9]+))$")

Handler = Callable[[Request, Any], Awaitable[tuple[int, dict[str, Any]]]]


def _paypal_id(length: int = 17) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _hateoas(href: str, rel: str, method: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "method": method}


def _now() -> str:
    return utcnow().strftime("%Y-%m-%dT%H:%M:%SZ")


class PayPalFailure(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = body


_NAMES = {
    400: (
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
    ),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "The request payload is not supported."),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed "
        "business validation.",
    ),
}  # fmt: skip


def failure(status: int, issue: str, description: str, **extra: Any) -> PayPalFailure:
    name, message = _NAMES[status]
    body: dict[str, Any] = {
        "name": name,
        "message": message,
        "debug_id": secrets.token_hex(7),
        "details": [{"issue": issue, "description": description}],
        "links": [
            {
                "href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{issue}",
                "rel": "information_link",
                "method": "GET",
            }
        ],
    }
    body.update(extra)
    return PayPalFailure(status, body)


def check_amount(amount: Any, where: str) -> tuple[Decimal, str]:
    if not isinstance(amount, Mapping):
        raise failure(400, "MISSING_REQUIRED_PARAMETER", f"{where} is required")
    value, currency = amount.get("value"), amount.get("currency_code")
    if not isinstance(value, str) or not _AMOUNT.match(value):
        raise failure(400, "INVALID_PARAMETER_SYNTAX", f"{where}/value must be a string")
    if currency not in CURRENCIES:
        raise failure(422, "CURRENCY_NOT_SUPPORTED", f"{currency} is not supported")
    decimals = len(value.split(".")[1]) if "." in value else 0
    if CURRENCIES[currency] == 0 and decimals:
        raise failure(422, "DECIMALS_NOT_SUPPORTED", f"{currency} does not support decimals")
    if decimals > CURRENCIES[currency]:
        raise failure(422, "DECIMAL_PRECISION", f"{currency} takes {CURRENCIES[currency]}")
    number = Decimal(value)
    if number <= 0:
        raise failure(422, "CANNOT_BE_ZERO_OR_NEGATIVE", f"{where}/value must be positive")
    return number, currency


def _value(number: Decimal, currency: str) -> str:
    return str(number.quantize(Decimal(1).scaleb(-CURRENCIES[currency])))


def canonical(event: Any) -> bytes:
    return json.dumps(event, separators=(",", ":"), sort_keys=True).encode()


@dataclass
class PayPalDouble:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    webhook_id: str = WEBHOOK_ID
    token_lifetime: int = 32400
    url: str = ""
    #: Every call as (method, path, headers, JSON body or form).
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    #: The raw body of every call after the token's, in order.
    raw_bodies: list[bytes] = field(default_factory=list)
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    captures: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    vault: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: set[str] = field(default_factory=set)
    tokens_issued: int = 0
    _funding: dict[str, str] = field(default_factory=dict)
    _request_ids: dict[tuple[str, str], tuple[Any, int, bytes]] = field(default_factory=dict)
    _signing_key: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _faults: list[int] = field(default_factory=list)
    _hangs: int = 0
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    # ---------------------------------------------------------------- test controls

    def fail_next(self, status: int) -> None:
        self._faults.append(status)

    def hang_next(self) -> None:
        self._hangs += 1

    def release(self) -> None:
        self._released.set()

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def approve(self, order_id: str, *, funding: str = "ok") -> None:
        """The buyer approves the order on PayPal's page."""
        order = self.orders[order_id]
        order["status"] = "APPROVED"
        order["payer"] = {
            "name": {"given_name": "Ada", "surname": "Buyer"},
            "email_address": "buyer@example.com",
            "payer_id": "QYR5Z8XDVJNXQ",
        }
        self._funding[order_id] = funding

    def void(self, order_id: str) -> None:
        self.orders[order_id]["status"] = "VOIDED"

    def vault_token(self, customer_id: str = "customer_4029352050") -> str:
        """A PayPal wallet saved for a customer (as a previous order with ``store_in_vault``
        would have left)."""
        token = _paypal_id(7).lower()
        self.vault[token] = {"id": token, "customer": {"id": customer_id}, "status": "VAULTED"}
        return token

    def sign(
        self, body: bytes, *, transmission_time: str | None = None, webhook_id: str | None = None
    ) -> dict[str, str]:
        """The transmission headers PayPal sends with a webhook delivery of ``body``."""
        transmission_id = str(secrets.token_hex(16))
        sent = transmission_time or _now()
        crc = binascii.crc32(canonical(json.loads(body)))
        message = f"{transmission_id}|{sent}|{webhook_id or self.webhook_id}|{crc}"
        signature = hmac.new(self._signing_key, message.encode(), hashlib.sha256).digest()
        return {
            "paypal-auth-algo": "SHA256withRSA",
            "paypal-cert-url": CERT_URL,
            "paypal-transmission-id": transmission_id,
            "paypal-transmission-sig": base64.b64encode(signature).decode(),
            "paypal-transmission-time": sent,
            "content-type": "application/json",
        }

    # ---------------------------------------------------------------- app

    def app(self) -> Starlette:
        routes: list[tuple[str, Handler, str]] = [
            ("/v2/checkout/orders", self._create_order, "POST"),
            ("/v2/checkout/orders/{id}", self._get_order, "GET"),
            ("/v2/checkout/orders/{id}/capture", self._capture, "POST"),
            ("/v2/payments/captures/{id}", self._get_capture, "GET"),
            ("/v2/payments/captures/{id}/refund", self._refund, "POST"),
            ("/v3/vault/payment-tokens/{id}", self._delete_token, "DELETE"),
            ("/v1/notifications/verify-webhook-signature", self._verify, "POST"),
        ]
        return Starlette(
            routes=[
                Route("/v1/oauth2/token", self._token, methods=["POST"]),
                *(Route(path, self._endpoint(h), methods=[m]) for path, h, m in routes),
            ]
        )

    async def _token(self, request: Request) -> Response:
        body = await request.body()
        form = parse_qs(body.decode())
        self.requests.append(("POST", "/v1/oauth2/token", dict(request.headers), form))
        if self._faults:
            return self._fault()
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse(
                {"error": "invalid_client", "error_description": "Client Authentication failed"},
                status_code=401,
            )
        if form.get("grant_type") != ["client_credentials"]:
            return JSONResponse(
                {"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"},
                status_code=400,
            )
        token = f"A21AA{secrets.token_urlsafe(24)}"
        self.tokens.add(token)
        self.tokens_issued += 1
        return JSONResponse(
            {
                "scope": "https://uri.paypal.com/services/payments/payment "
                "https://uri.paypal.com/services/vault/payment-tokens/readwrite",
                "access_token": token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": self.token_lifetime,
                "nonce": f"{_now()}{secrets.token_hex(8)}",
            }
        )

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self._handle(request, handler)

        return endpoint

    def _fault(self) -> Response:
        status = self._faults.pop(0)
        return JSONResponse(
            {
                "name": "INTERNAL_SERVER_ERROR",
                "message": "An internal server error occurred.",
                "debug_id": secrets.token_hex(7),
            },
            status_code=status,
        )

    async def _handle(self, request: Request, handler: Handler) -> Response:
        raw = await request.body()
        self.raw_bodies.append(raw)
        headers = {key.lower(): value for key, value in request.headers.items()}
        payload: Any = None
        if request.method == "POST":
            if not headers.get("content-type", "").startswith("application/json"):
                error = failure(415, "UNSUPPORTED_MEDIA_TYPE", "Send application/json")
                return JSONResponse(error.body, status_code=415)
            try:
                payload = json.loads(raw) if raw else {}
            except ValueError:
                error = failure(400, "MALFORMED_REQUEST_JSON", "The request JSON is malformed")
                return JSONResponse(error.body, status_code=400)
        self.requests.append((request.method, request.url.path, headers, copy.deepcopy(payload)))
        if self._hangs:
            self._hangs -= 1
            await self._released.wait()
        if self._faults:
            return self._fault()
        authorization = headers.get("authorization", "")
        if not authorization.startswith("Bearer ") or authorization[7:] not in self.tokens:
            return JSONResponse(
                {
                    "error": "invalid_token",
                    "error_description": "Token signature verification failed",
                },
                status_code=401,
            )
        request_id = headers.get("paypal-request-id")
        if request_id is not None and len(request_id) > 108:
            error = failure(400, "INVALID_STRING_MAX_LENGTH", "PayPal-Request-Id is too long")
            return JSONResponse(error.body, status_code=400)
        if request_id is not None:
            stored = self._request_ids.get((request.url.path, request_id))
            if stored is not None:
                stored_payload, status, content = stored
                if stored_payload != payload:
                    error = failure(
                        422,
                        "PAYPAL_REQUEST_ID_PREVIOUSLY_USED",
                        "The PayPal-Request-Id has already been used for another request.",
                    )
                    return JSONResponse(error.body, status_code=422)
                # A replay answers what the first request answered.
                return Response(content, status_code=status, media_type="application/json")
        try:
            status, answer = await handler(request, payload)
        except PayPalFailure as error:
            status, answer = error.status, error.body
        content = json.dumps(answer).encode() if status != 204 else b""
        if request_id is not None and status < 500:
            self._request_ids[(request.url.path, request_id)] = (payload, status, content)
        if status == 204:
            return Response(status_code=204)
        return Response(content, status_code=status, media_type="application/json")

    # ---------------------------------------------------------------- orders

    def _links(self, order_id: str, status: str) -> list[dict[str, str]]:
        base = f"{self.url}/v2/checkout/orders/{order_id}"
        links = [{"href": base, "rel": "self", "method": "GET"}]
        approval = f"https://www.sandbox.paypal.com/checkoutnow?token={order_id}"
        if status == "PAYER_ACTION_REQUIRED":
            links.append({"href": approval, "rel": "payer-action", "method": "GET"})
        elif status == "CREATED":
            links.append({"href": approval, "rel": "approve", "method": "GET"})
            links.append({"href": base, "rel": "update", "method": "PATCH"})
            links.append(_hateoas(f"{base}/capture", "capture", "POST"))
        return links

    def _order_view(self, order: dict[str, Any]) -> dict[str, Any]:
        return {**order, "links": self._links(order["id"], order["status"])}

    async def _create_order(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        if body.get("intent") not in {"CAPTURE", "AUTHORIZE"}:
            raise failure(400, "MISSING_REQUIRED_PARAMETER", "intent is required")
        units = body.get("purchase_units")
        if not isinstance(units, list) or not units:
            raise failure(400, "MISSING_REQUIRED_PARAMETER", "purchase_units is required")
        number, currency = check_amount(
            units[0].get("amount"), "/purchase_units/@reference_id=='default'/amount"
        )
        source = (body.get("payment_source") or {}).get("paypal")
        order_id = _paypal_id()
        order: dict[str, Any] = {
            "id": order_id,
            "intent": body["intent"],
            "status": "CREATED",
            "purchase_units": [
                {
                    "reference_id": units[0].get("reference_id", "default"),
                    "custom_id": units[0].get("custom_id"),
                    "description": units[0].get("description"),
                    "amount": {"currency_code": currency, "value": _value(number, currency)},
                    "payee": {
                        "email_address": "merchant@campus.example",
                        "merchant_id": "7KNGBPH2U58GQ",
                    },
                }
            ],
            "create_time": _now(),
        }
        if isinstance(source, Mapping):
            vault_id = source.get("vault_id")
            if vault_id is not None:
                if vault_id not in self.vault:
                    raise failure(422, "TOKEN_ID_NOT_FOUND", "The vault id was not found")
                self.orders[order_id] = order
                order["payment_source"] = {
                    "paypal": {
                        "email_address": "buyer@example.com",
                        "account_id": "QYR5Z8XDVJNXQ",
                        "attributes": {"vault": dict(self.vault[vault_id])},
                    }
                }
                self._complete(order, "ok")
                return 201, self._order_view(order)
            context = source.get("experience_context") or {}
            if not context.get("return_url") or not context.get("cancel_url"):
                raise failure(422, "RETURN_URL_REQUIRED", "return_url and cancel_url are required")
            order["status"] = "PAYER_ACTION_REQUIRED"
            order["payment_source"] = {
                "paypal": {
                    key: copy.deepcopy(value)
                    for key, value in source.items()
                    if key in {"email_address", "attributes"}
                }
            }
        self.orders[order_id] = order
        return 201, self._order_view(order)

    def _order(self, order_id: str) -> dict[str, Any]:
        order = self.orders.get(order_id)
        if order is None:
            raise failure(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
        return order

    async def _get_order(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        return 200, self._order_view(self._order(request.path_params["id"]))

    async def _capture(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        order = self._order(request.path_params["id"])
        if order["status"] == "COMPLETED":
            raise failure(422, "ORDER_ALREADY_CAPTURED", "Order already captured.")
        if order["status"] != "APPROVED":
            raise failure(
                422,
                "ORDER_NOT_APPROVED",
                "Payer has not yet approved the Order for payment.",
            )
        funding = self._funding.get(order["id"], "ok")
        if funding == "declined":
            order["status"] = "PAYER_ACTION_REQUIRED"
            approval = f"https://www.sandbox.paypal.com/checkoutnow?token={order['id']}"
            raise failure(
                422,
                "INSTRUMENT_DECLINED",
                "The instrument presented was either declined by the processor or bank, or "
                "it can't be used for this payment.",
                links=[{"href": approval, "rel": "redirect", "method": "GET"}],
            )
        if funding == "payee_blocked":
            raise failure(
                422,
                "PAYEE_BLOCKED_TRANSACTION",
                "The Fraud settings for this seller are such that this payment cannot be executed.",
            )
        self._complete(order, funding)
        return 201, self._order_view(order)

    def _complete(self, order: dict[str, Any], funding: str) -> None:
        unit = order["purchase_units"][0]
        capture_id = _paypal_id()
        capture: dict[str, Any] = {
            "id": capture_id,
            "status": "PENDING" if funding == "pending" else "COMPLETED",
            "amount": dict(unit["amount"]),
            "final_capture": True,
            "seller_protection": {"status": "ELIGIBLE"},
            "create_time": _now(),
            "update_time": _now(),
            "links": [
                _hateoas(f"{self.url}/v2/payments/captures/{capture_id}", "self", "GET"),
                _hateoas(f"{self.url}/v2/payments/captures/{capture_id}/refund", "refund", "POST"),
                _hateoas(f"{self.url}/v2/checkout/orders/{order['id']}", "up", "GET"),
            ],
        }
        if funding == "pending":
            capture["status_details"] = {"reason": "PENDING_REVIEW"}
        self.captures[capture_id] = {**capture, "order_id": order["id"]}
        unit["payments"] = {"captures": [capture]}
        order["status"] = "COMPLETED"
        paypal = (order.get("payment_source") or {}).get("paypal") or {}
        vault = (paypal.get("attributes") or {}).get("vault") or {}
        if vault.get("store_in_vault") == "ON_SUCCESS":
            token = _paypal_id(7).lower()
            customer = (paypal.get("attributes") or {}).get("customer") or {
                "id": f"customer_{secrets.randbelow(10**10)}"
            }
            self.vault[token] = {"id": token, "customer": customer, "status": "VAULTED"}
            paypal["attributes"]["vault"] = dict(self.vault[token])

    # ---------------------------------------------------------------- captures, refunds

    def _capture_record(self, capture_id: str) -> dict[str, Any]:
        capture = self.captures.get(capture_id)
        if capture is None:
            raise failure(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
        return capture

    async def _get_capture(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        record = self._capture_record(request.path_params["id"])
        view = {key: value for key, value in record.items() if key != "order_id"}
        view["supplementary_data"] = {"related_ids": {"order_id": record["order_id"]}}
        return 200, view

    async def _refund(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        record = self._capture_record(request.path_params["id"])
        order = self.orders[record["order_id"]]
        capture = order["purchase_units"][0]["payments"]["captures"][0]
        captured = Decimal(capture["amount"]["value"])
        refunded = sum(
            (
                Decimal(refund["amount"]["value"])
                for refund in self.refunds.values()
                if refund["capture_id"] == record["id"]
            ),
            Decimal(0),
        )
        if capture["status"] == "REFUNDED":
            raise failure(
                422, "CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded"
            )
        if capture["status"] not in {"COMPLETED", "PARTIALLY_REFUNDED"}:
            raise failure(422, "REFUND_NOT_ALLOWED", "Capture is not refundable")
        if "amount" in (body or {}):
            number, currency = check_amount(body["amount"], "/amount")
            if currency != capture["amount"]["currency_code"]:
                raise failure(
                    422,
                    "REFUND_CAPTURE_CURRENCY_MISMATCH",
                    "Refund must be in the same currency as the capture",
                )
        else:
            number, currency = captured - refunded, capture["amount"]["currency_code"]
        if number > captured - refunded:
            raise failure(
                422,
                "REFUND_AMOUNT_EXCEEDED",
                "The refund amount must be less than or equal to the capture amount that has "
                "not yet been refunded.",
            )
        refund_id = _paypal_id()
        refund = {
            "id": refund_id,
            "amount": {"currency_code": currency, "value": _value(number, currency)},
            "note_to_payer": (body or {}).get("note_to_payer"),
            "seller_payable_breakdown": {
                "gross_amount": {"currency_code": currency, "value": _value(number, currency)},
            },
            "status": "COMPLETED",
            "create_time": _now(),
            "update_time": _now(),
            "links": [
                _hateoas(f"{self.url}/v2/payments/refunds/{refund_id}", "self", "GET"),
                _hateoas(f"{self.url}/v2/payments/captures/{record['id']}", "up", "GET"),
            ],
        }
        self.refunds[refund_id] = {**refund, "capture_id": record["id"]}
        total = refunded + number
        capture["status"] = "REFUNDED" if total == captured else "PARTIALLY_REFUNDED"
        record["status"] = capture["status"]
        return 201, refund

    # ---------------------------------------------------------------- vault

    async def _delete_token(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        token = request.path_params["id"]
        if self.vault.pop(token, None) is None:
            raise failure(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist.")
        return 204, {}

    # ---------------------------------------------------------------- webhooks

    async def _verify(self, request: Request, body: Any) -> tuple[int, dict[str, Any]]:
        required = (
            "auth_algo",
            "cert_url",
            "transmission_id",
            "transmission_sig",
            "transmission_time",
            "webhook_id",
            "webhook_event",
        )
        for name in required:
            if not body.get(name):
                raise failure(400, "MISSING_REQUIRED_PARAMETER", f"{name} is required")
        if not isinstance(body["webhook_event"], dict):
            raise failure(400, "INVALID_PARAMETER_SYNTAX", "webhook_event must be an object")
        try:
            datetime.fromisoformat(str(body["transmission_time"]).replace("Z", "+00:00"))
        except ValueError as exc:
            raise failure(400, "INVALID_PARAMETER_SYNTAX", "transmission_time") from exc
        crc = binascii.crc32(canonical(body["webhook_event"]))
        message = (
            f"{body['transmission_id']}|{body['transmission_time']}|{body['webhook_id']}|{crc}"
        )
        expected = base64.b64encode(
            hmac.new(self._signing_key, message.encode(), hashlib.sha256).digest()
        ).decode()
        verified = (
            body["webhook_id"] == self.webhook_id
            and body["auth_algo"] == "SHA256withRSA"
            and body["cert_url"] == CERT_URL
            and hmac.compare_digest(expected, str(body["transmission_sig"]))
        )
        return 200, {"verification_status": "SUCCESS" if verified else "FAILURE"}


def paypal_event(
    event_type: str,
    resource: Mapping[str, Any],
    *,
    resource_type: str = "capture",
    event_id: str | None = None,
) -> bytes:
    """A webhook delivery body as PayPal sends it."""
    return json.dumps(
        {
            "id": event_id or f"WH-{_paypal_id(17)}-{_paypal_id(17)}",
            "event_version": "1.0",
            "create_time": _now(),
            "resource_type": resource_type,
            "resource_version": "2.0",
            "event_type": event_type,
            "summary": f"{event_type} happened",
            "resource": dict(resource),
            "links": [],
        }
    ).encode()
