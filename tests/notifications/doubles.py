"""Local HTTP doubles of the providers the notification channels speak to, served for real
with uvicorn on 127.0.0.1:

- ``PushServiceDouble``: a web push service (RFC 8030) that accepts a message only with a
  valid VAPID token (RFC 8292) for Campus's key and an aes128gcm body (RFC 8188), and decrypts
  it with the subscriber's private key, as the browser would;
- ``TwilioDouble``: Twilio's Messages API (``/2010-04-01/Accounts/{sid}/Messages.json``) with
  its documented JSON shapes, errors and magic test numbers, and the status callbacks it
  signs with ``X-Twilio-Signature``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

import http_ece
import jwt
import uvicorn
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from campus.kernel.clock import utcnow


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>``) of ``app`` served on this loop."""
    sock = socket.socket()
    # Accepted connections inherit it: without it a response written as head then body waits
    # for the client's delayed ACK (40 ms a request).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(
        uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield url
    finally:
        server.should_exit = True
        await task
        sock.close()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# --------------------------------------------------------------------------- web push


@dataclass
class Subscriber:
    """A browser's side of one subscription: its ECDH key pair and auth secret."""

    token: str
    private_key: ec.EllipticCurvePrivateKey
    auth_secret: bytes
    endpoint: str

    @property
    def p256dh(self) -> str:
        return _b64url(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
        )

    @property
    def auth(self) -> str:
        return _b64url(self.auth_secret)


@dataclass
class PushDelivery:
    """A message the push service accepted, decrypted for its subscriber."""

    token: str
    payload: Any
    ttl: int
    urgency: str | None
    topic: str | None
    claims: dict[str, Any]


@dataclass
class PushServiceDouble:
    """A push service that checks what a real one checks, and answers as one does.

    ``application_server_key`` is the VAPID public key the subscriptions were made with: a
    token signed by another key is a 403, as when a browser subscribed with another
    ``applicationServerKey``. Other refusals: no or malformed token 401, a token not verifying,
    for another audience, expired, or expiring more than 24 hours ahead 403, a body not
    ``aes128gcm`` or not decrypting 400, no ``TTL`` 400. An unknown subscription is a 404, an
    ``expire``d one a 410; ``fail_next(status, retry_after)`` answers the next message so.
    """

    application_server_key: str
    url: str = ""
    subscribers: dict[str, Subscriber] = field(default_factory=dict)
    deliveries: list[PushDelivery] = field(default_factory=list)
    refusals: list[tuple[int, str]] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    _faults: list[tuple[int, str | None]] = field(default_factory=list)

    def reset(self) -> None:
        """Forget every subscription, message and fault (one server serves a test module)."""
        self.subscribers.clear()
        self.deliveries.clear()
        self.refusals.clear()
        self.expired.clear()
        self._faults.clear()

    def subscribe(self) -> Subscriber:
        token = secrets.token_urlsafe(16)
        subscriber = Subscriber(
            token=token,
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth_secret=os.urandom(16),
            endpoint=f"{self.url}/wpush/v2/{token}",
        )
        self.subscribers[token] = subscriber
        return subscriber

    def expire(self, subscriber: Subscriber) -> None:
        self.expired.add(subscriber.token)

    def fail_next(self, status: int, retry_after: str | None = None) -> None:
        self._faults.append((status, retry_after))

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/wpush/v2/{token}", self._receive, methods=["POST"])])

    def _refuse(self, status: int, reason: str) -> Response:
        self.refusals.append((status, reason))
        return JSONResponse({"code": status, "errno": 109, "message": reason}, status_code=status)

    async def _receive(self, request: Request) -> Response:
        if self._faults:
            status, retry_after = self._faults.pop(0)
            headers = {"Retry-After": retry_after} if retry_after else {}
            return Response(status_code=status, headers=headers)
        token = request.path_params["token"]
        subscriber = self.subscribers.get(token)
        if subscriber is None:
            return self._refuse(404, "no such subscription")
        if token in self.expired:
            return self._refuse(410, "subscription expired")
        claims = self._check_vapid(request)
        if isinstance(claims, Response):
            return claims
        if request.headers.get("content-encoding") != "aes128gcm":
            return self._refuse(400, "Content-Encoding is not aes128gcm")
        ttl = request.headers.get("ttl")
        if ttl is None or not ttl.isdigit():
            return self._refuse(400, "missing or bad TTL")
        body = await request.body()
        if len(body) > 4096:
            return self._refuse(413, "payload too large")
        try:
            plaintext = http_ece.decrypt(
                body,
                private_key=subscriber.private_key,
                auth_secret=subscriber.auth_secret,
                version="aes128gcm",
            )
        except Exception:
            return self._refuse(400, "body does not decrypt")
        self.deliveries.append(
            PushDelivery(
                token=token,
                payload=json.loads(plaintext),
                ttl=int(ttl),
                urgency=request.headers.get("urgency"),
                topic=request.headers.get("topic"),
                claims=claims,
            )
        )
        return Response(
            status_code=201, headers={"Location": f"{self.url}/m/{secrets.token_urlsafe(8)}"}
        )

    def _check_vapid(self, request: Request) -> dict[str, Any] | Response:
        authorization = request.headers.get("authorization", "")
        match = re.fullmatch(r"vapid t=([\w.-]+),\s*k=([\w-]+)", authorization)
        if match is None:
            return self._refuse(401, "no VAPID authorization")
        token, key = match.groups()
        if key != self.application_server_key:
            return self._refuse(403, "the VAPID key is not the subscription's")
        public_key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), _unb64url(key))
        origin = f"{request.url.scheme}://{request.url.netloc}"
        now = int(utcnow().timestamp())
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                public_key,
                algorithms=["ES256"],
                audience=origin,
                options={"require": ["aud", "exp", "sub"], "verify_exp": False},
            )
        except jwt.InvalidTokenError as exc:
            return self._refuse(403, f"bad VAPID token: {exc}")
        if not now < claims["exp"] <= now + 24 * 3600:
            return self._refuse(403, "VAPID token expired or too long-lived")
        if not str(claims["sub"]).startswith(("mailto:", "https://")):
            return self._refuse(403, "VAPID sub is not a contact")
        return claims


# --------------------------------------------------------------------------- Twilio

ACCOUNT_SID = "AC" + "c0ffee00" * 4
AUTH_TOKEN = "campus-twilio-auth-token"
FROM_NUMBER = "+15005550006"

_E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")

#: Twilio's magic ``To`` numbers for test credentials, and the error each one gives.
MAGIC_TO: dict[str, tuple[int, str]] = {
    "+15005550001": (21211, "The 'To' number +15005550001 is not a valid phone number."),
    "+15005550002": (21612, "The 'To' phone number is not currently reachable via SMS."),
    "+15005550003": (21408, "Permission to send an SMS has not been enabled for the region."),
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}


def twilio_signature(url: str, params: dict[str, str], auth_token: str = AUTH_TOKEN) -> str:
    """How Twilio signs a request to Campus: the URL, then every POST parameter's name and
    value in the order of the names, HMAC-SHA1 with the auth token, base64."""
    payload = url
    for name in sorted(params):
        payload += name + params[name]
    digest = hmac.new(auth_token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


@dataclass
class TwilioMessage:
    sid: str
    to: str
    from_: str
    body: str
    status: str
    status_callback: str | None


@dataclass
class TwilioDouble:
    """Twilio's Messages resource with test credentials.

    HTTP Basic ``AccountSid:AuthToken`` for the account in the path (else 401, code 20003);
    a form-encoded body (``To``, ``From``, ``Body``, optional ``StatusCallback``); ``To`` in E.164
    and not one of the magic numbers (400 with their codes); ``From`` the account's number
    (400, 21606); a body of 1 to 1600 characters (400, 21602 / 21617). A message is created
    ``queued`` (201) with Twilio's JSON. ``fail_next(status)`` answers the next call with that
    status and Twilio's error body (429 is code 20429).
    """

    account_sid: str = ACCOUNT_SID
    auth_token: str = AUTH_TOKEN
    from_number: str = FROM_NUMBER
    url: str = ""
    messages: list[TwilioMessage] = field(default_factory=list)
    _faults: list[int] = field(default_factory=list)

    def fail_next(self, status: int) -> None:
        self._faults.append(status)

    def reset(self) -> None:
        """Forget every message and fault (one server serves a test module)."""
        self.messages.clear()
        self._faults.clear()

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route(
                    "/2010-04-01/Accounts/{account_sid}/Messages.json",
                    self._create_message,
                    methods=["POST"],
                )
            ]
        )

    def status_callback(
        self, message: TwilioMessage, status: str, error_code: str | None = None
    ) -> tuple[dict[str, str], str]:
        """The form parameters and ``X-Twilio-Signature`` of the status callback Twilio would
        POST to the message's ``StatusCallback`` URL."""
        assert message.status_callback is not None
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": "2010-04-01",
            "From": message.from_,
            "MessageSid": message.sid,
            "MessageStatus": status,
            "SmsSid": message.sid,
            "SmsStatus": status,
            "To": message.to,
        }
        if error_code is not None:
            params["ErrorCode"] = error_code
        return params, twilio_signature(message.status_callback, params, self.auth_token)

    @staticmethod
    def _error(status: int, code: int, message: str) -> JSONResponse:
        return JSONResponse(
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
            status_code=status,
        )

    def _authenticated(self, request: Request) -> bool:
        header = request.headers.get("authorization", "")
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return hmac.compare_digest(f"{user}:{password}", f"{self.account_sid}:{self.auth_token}")

    async def _create_message(self, request: Request) -> Response:
        if self._faults:
            status = self._faults.pop(0)
            code = 20429 if status == 429 else 20500
            return self._error(status, code, "Too Many Requests" if status == 429 else "Error")
        if not self._authenticated(request) or request.path_params["account_sid"] != (
            self.account_sid
        ):
            return self._error(401, 20003, "Authenticate")
        if request.headers.get("content-type", "").split(";")[0] != (
            "application/x-www-form-urlencoded"
        ):
            return Response(status_code=415)
        form = await request.form()
        to = str(form.get("To", ""))
        from_ = str(form.get("From", ""))
        body = str(form.get("Body", ""))
        callback = form.get("StatusCallback")
        if not to:
            return self._error(400, 21604, "A 'To' phone number is required.")
        if not _E164.match(to):
            return self._error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if to in MAGIC_TO:
            code, text = MAGIC_TO[to]
            return self._error(400, code, text)
        if from_ != self.from_number:
            return self._error(
                400,
                21606,
                f"The From phone number {from_} is not a valid, SMS-capable inbound phone "
                "number or short code for your account.",
            )
        if not body:
            return self._error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return self._error(400, 21617, "The concatenated message body exceeds the 1600 "
                               "character limit.")  # fmt: skip
        sid = "SM" + secrets.token_hex(16)
        message = TwilioMessage(
            sid=sid,
            to=to,
            from_=from_,
            body=body,
            status="queued",
            status_callback=str(callback) if callback else None,
        )
        self.messages.append(message)
        now = format_datetime(utcnow(), usegmt=True)
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json"
        return JSONResponse(
            {
                "account_sid": self.account_sid,
                "api_version": "2010-04-01",
                "body": body,
                "date_created": now,
                "date_sent": None,
                "date_updated": now,
                "direction": "outbound-api",
                "error_code": None,
                "error_message": None,
                "from": from_,
                "messaging_service_sid": None,
                "num_media": "0",
                "num_segments": "1",
                "price": None,
                "price_unit": "USD",
                "sid": sid,
                "status": "queued",
                "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
                "to": to,
                "uri": uri,
            },
            status_code=201,
        )
