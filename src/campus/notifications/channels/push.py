"""Web push: encrypted messages to a browser's push service, signed with Campus's VAPID key.

A browser subscribes with ``PushManager.subscribe({applicationServerKey})`` and hands Campus
its subscription: the push service's ``endpoint`` URL and two keys, ``p256dh`` (the browser's
P-256 public key) and ``auth`` (a 16-byte secret). To notify it, Campus

- encrypts the JSON payload for that browser (RFC 8291, ``Content-Encoding: aes128gcm`` of
  RFC 8188) with pywebpush's encoder,
- signs a VAPID token (RFC 8292: an ES256 JWT with ``aud`` = the origin of the endpoint,
  ``exp`` at most 24 hours ahead and ``sub`` = a ``mailto:`` or ``https:`` contact) with
  py_vapid, sent as ``Authorization: vapid t=<jwt>,k=<public key>``,
- and POSTs the ciphertext to the endpoint with ``TTL`` (how long the push service keeps it
  for an offline browser) over httpx, without following redirects.

The push service's answer becomes a ``PushResult``: ``ok`` (2xx), ``gone`` (404/410: the
browser unsubscribed or the subscription expired; the caller deletes it), or ``failed`` with
``retryable`` set for 429, 5xx and network errors (with the push service's ``Retry-After``
when it sends one) and unset for everything else (a refused VAPID key, an oversized payload).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from typing import Any, Final, Self
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher, WebPushException

from campus.kernel.clock import utcnow

#: The largest payload, in bytes of UTF-8 JSON, that fits one aes128gcm record of 4096 bytes
#: (RFC 8291 §4: 4096 minus the 86-byte header, the 16-byte tag and the padding delimiter).
MAX_PAYLOAD_BYTES: Final = 3993

#: The longest TTL Campus asks for: 28 days, the most the large push services keep a message.
MAX_TTL_SECONDS: Final = 28 * 24 * 3600

#: How long a VAPID token is valid (RFC 8292 §2: no more than 24 hours), and how long before
#: its expiry a cached token is replaced by a new one.
VAPID_TOKEN_LIFETIME: Final = timedelta(hours=12)
VAPID_TOKEN_RENEW_BEFORE: Final = timedelta(hours=1)

_MAX_ENDPOINT_LENGTH: Final = 2048


class PushStatus(StrEnum):
    OK = "ok"
    GONE = "gone"
    FAILED = "failed"


class PushUrgency(StrEnum):
    """RFC 8030 §5.3: how soon the push service should wake the device for the message."""

    VERY_LOW = "very-low"
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"


class InvalidSubscription(ValueError):
    """A subscription that cannot receive messages: an endpoint that is not an ``https`` URL
    of a public host, or keys that are not a P-256 point and a 16-byte secret."""


class InvalidVapidKey(ValueError):
    """The configured VAPID private key is not a P-256 key in PEM, DER or raw form."""


@dataclass(frozen=True, slots=True)
class PushSubscriptionInfo:
    """One browser's subscription, as ``PushSubscription.toJSON()`` gives it: the endpoint
    and the base64url ``keys.p256dh`` and ``keys.auth``."""

    endpoint: str
    p256dh: str
    auth: str

    @classmethod
    def parse(
        cls, endpoint: str, p256dh: str, auth: str, *, allow_insecure_endpoint: bool = False
    ) -> Self:
        """Check a subscription a browser sent before storing it.

        The endpoint must be an ``https`` URL whose host is a name or a public address: Campus
        POSTs to it, so a private address would let a client aim Campus at its own network.
        ``allow_insecure_endpoint`` accepts ``http`` and local addresses (a local push service
        in development and tests). Raises ``InvalidSubscription``.
        """
        _check_endpoint(endpoint, allow_insecure=allow_insecure_endpoint)
        try:
            point = _b64url_decode(p256dh)
            ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        except ValueError as exc:
            raise InvalidSubscription("p256dh is not a P-256 public key") from exc
        if len(point) != 65:
            raise InvalidSubscription("p256dh is not an uncompressed P-256 point")
        try:
            secret = _b64url_decode(auth)
        except ValueError as exc:
            raise InvalidSubscription("auth is not base64url") from exc
        if len(secret) != 16:
            raise InvalidSubscription("auth is not a 16-byte secret")
        return cls(endpoint=endpoint, p256dh=p256dh, auth=auth)

    def as_subscription_info(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}


@dataclass(frozen=True, slots=True)
class PushResult:
    """What became of one message. ``http_status`` is ``None`` when no answer came back;
    ``retry_after_seconds`` is the push service's ``Retry-After``, when it sent one."""

    status: PushStatus
    http_status: int | None
    detail: str
    retryable: bool = False
    retry_after_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class VapidKeyPair:
    """A new VAPID key pair: the private key in PEM and as the base64url 32-byte scalar (either
    is what ``PushSender`` takes), and the application server key for the browser."""

    private_key_pem: str
    private_key_b64: str
    application_server_key: str


def generate_vapid_key_pair() -> VapidKeyPair:
    """A fresh P-256 VAPID key pair, made once per deployment and kept in its settings."""
    vapid = Vapid02()
    vapid.generate_keys()
    private: ec.EllipticCurvePrivateKey = vapid.private_key
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    return VapidKeyPair(
        private_key_pem=vapid.private_pem().decode("ascii"),
        private_key_b64=_b64url_encode(scalar),
        application_server_key=_application_server_key(private),
    )


def application_server_key(vapid_private_key: str) -> str:
    """The base64url uncompressed public point of a VAPID private key: what the browser passes
    as ``applicationServerKey`` to ``PushManager.subscribe``."""
    return _application_server_key(_load_private_key(vapid_private_key))


class PushSender:
    """Sends web push messages with one VAPID identity.

    ``vapid_private_key`` is a P-256 private key as PEM, base64url DER or the base64url 32-byte
    scalar; ``subject`` the contact the push services may write to (``mailto:`` or ``https:``);
    ``ttl_seconds`` how long a push service keeps a message for an offline browser.
    ``allow_insecure_endpoints`` lets messages go to ``http`` and local endpoints (development
    and tests only). One instance holds one connection pool: share it, and ``aclose()`` it.
    """

    def __init__(
        self,
        vapid_private_key: str,
        subject: str,
        ttl_seconds: int = 24 * 3600,
        *,
        timeout_seconds: float = 10.0,
        allow_insecure_endpoints: bool = False,
    ) -> None:
        if not (subject.startswith("mailto:") and "@" in subject) and not subject.startswith(
            "https://"
        ):
            raise ValueError("the VAPID subject is a mailto: address or an https: URL")
        if not 0 <= ttl_seconds <= MAX_TTL_SECONDS:
            raise ValueError(f"ttl_seconds is between 0 and {MAX_TTL_SECONDS}")
        private = _load_private_key(vapid_private_key)
        self._vapid = Vapid02(private)
        self._subject = subject
        self._ttl_seconds = ttl_seconds
        self._allow_insecure = allow_insecure_endpoints
        self._application_server_key = _application_server_key(private)
        self._tokens: dict[str, tuple[str, int]] = {}
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        )

    @property
    def application_server_key(self) -> str:
        return self._application_server_key

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(
        self,
        subscription: PushSubscriptionInfo,
        payload: Mapping[str, Any],
        *,
        ttl_seconds: int | None = None,
        urgency: PushUrgency | None = None,
        topic: str | None = None,
    ) -> PushResult:
        """Encrypt ``payload`` (as compact UTF-8 JSON) for ``subscription`` and deliver it.

        ``ttl_seconds`` overrides the sender's TTL for this message; ``urgency`` and ``topic``
        (at most 32 base64url characters: a newer message with the same topic replaces an
        undelivered older one) are passed to the push service when given.
        """
        data = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if len(data) > MAX_PAYLOAD_BYTES:
            return PushResult(
                PushStatus.FAILED, None, f"payload of {len(data)} bytes is over the limit"
            )
        ttl = self._ttl_seconds if ttl_seconds is None else ttl_seconds
        if not 0 <= ttl <= MAX_TTL_SECONDS:
            raise ValueError(f"ttl_seconds is between 0 and {MAX_TTL_SECONDS}")
        if topic is not None and not _is_topic(topic):
            raise ValueError("a topic is at most 32 base64url characters")
        try:
            _check_endpoint(subscription.endpoint, allow_insecure=self._allow_insecure)
            body = self._encrypt(subscription, data)
        except InvalidSubscription as exc:
            # It can never receive a message: the caller removes it like an expired one.
            return PushResult(PushStatus.GONE, None, f"invalid subscription: {exc}")
        headers = {
            "Authorization": self._authorization(_origin(subscription.endpoint)),
            "TTL": str(ttl),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
        }
        if urgency is not None:
            headers["Urgency"] = urgency.value
        if topic is not None:
            headers["Topic"] = topic
        try:
            response = await self._client.post(subscription.endpoint, content=body, headers=headers)
        except httpx.TransportError as exc:
            return PushResult(
                PushStatus.FAILED, None, f"push service unreachable: {type(exc).__name__}", True
            )
        return _result(response)

    def _encrypt(self, subscription: PushSubscriptionInfo, data: bytes) -> bytes:
        try:
            _b64url_decode(subscription.p256dh)
            _b64url_decode(subscription.auth)
            pusher = WebPusher(subscription.as_subscription_info())
            encoded = pusher.encode(data, content_encoding="aes128gcm")
        except (ValueError, TypeError, binascii.Error, WebPushException) as exc:
            raise InvalidSubscription("its keys cannot encrypt a message") from exc
        body: bytes = encoded["body"]
        return body

    def _authorization(self, audience: str) -> str:
        """A VAPID token for one push service, reused until an hour before it expires."""
        now = int(utcnow().timestamp())
        cached = self._tokens.get(audience)
        if cached is not None and cached[1] - now > VAPID_TOKEN_RENEW_BEFORE.total_seconds():
            return cached[0]
        expires = now + int(VAPID_TOKEN_LIFETIME.total_seconds())
        signed = self._vapid.sign({"aud": audience, "sub": self._subject, "exp": expires})
        header: str = signed["Authorization"]
        self._tokens[audience] = (header, expires)
        return header


def _result(response: httpx.Response) -> PushResult:
    status = response.status_code
    detail = f"{status} {response.reason_phrase}".strip()
    if 200 <= status < 300:
        return PushResult(PushStatus.OK, status, detail)
    if status in (404, 410):
        return PushResult(PushStatus.GONE, status, detail)
    if status == 429 or status >= 500:
        return PushResult(
            PushStatus.FAILED,
            status,
            detail,
            retryable=True,
            retry_after_seconds=_retry_after(response.headers.get("Retry-After")),
        )
    return PushResult(PushStatus.FAILED, status, detail)


def _retry_after(value: str | None) -> int | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0, int((moment - utcnow()).total_seconds()))


def _check_endpoint(endpoint: str, *, allow_insecure: bool) -> None:
    if len(endpoint) > _MAX_ENDPOINT_LENGTH:
        raise InvalidSubscription("the endpoint is too long")
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise InvalidSubscription("the endpoint is not a URL") from exc
    if parts.scheme not in ("https", "http") or not host or parts.username or parts.password:
        raise InvalidSubscription("the endpoint is not an http(s) URL with a host")
    if allow_insecure:
        return
    if parts.scheme != "https":
        raise InvalidSubscription("the endpoint is not an https URL")
    if host == "localhost" or host.endswith((".localhost", ".local", ".internal")):
        raise InvalidSubscription("the endpoint is a local host")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return
    if not address.is_global:
        raise InvalidSubscription("the endpoint is a private address")


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def _is_topic(topic: str) -> bool:
    alphabet = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    return 0 < len(topic) <= 32 and set(topic) <= alphabet


def _load_private_key(value: str) -> ec.EllipticCurvePrivateKey:
    text = value.strip()
    try:
        if text.startswith("-----BEGIN"):
            private: object = serialization.load_pem_private_key(text.encode(), password=None)
        else:
            raw = _b64url_decode(text)
            if len(raw) == 32:
                private = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                private = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise InvalidVapidKey("the VAPID private key cannot be read") from exc
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(
        private.curve, ec.SECP256R1
    ):
        raise InvalidVapidKey("the VAPID private key is not a P-256 key")
    return private


def _application_server_key(private: ec.EllipticCurvePrivateKey) -> str:
    point = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return _b64url_encode(point)


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    """base64url with or without padding (browsers send none); standard base64 is accepted
    too, as some clients send it. Raises ``ValueError``."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    if not cleaned or len(cleaned) % 4 == 1:
        raise ValueError("not base64url")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), altchars=b"-_", validate=True)
    except binascii.Error as exc:
        raise ValueError("not base64url") from exc
