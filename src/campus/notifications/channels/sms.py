"""SMS: a provider port, a sandbox provider and a Twilio adapter over httpx.

A provider takes one message to one E.164 number and answers with an ``SmsResult``: the
provider's message id and ``queued`` (the provider took it; delivery comes later through a
status callback), ``sent``, or ``failed`` with the provider's error code and whether trying
again may help. Sending never raises for the provider's or the network's failures; it raises
``ValueError`` only for a number that is not E.164 or an empty body, which are the caller's.

Twilio (``TwilioSmsProvider``): ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json``,
form-encoded ``To``, ``From``, ``Body`` and ``StatusCallback``, HTTP Basic with the account
SID and auth token. A 201 carries the Message resource (``sid``, ``status``, ``error_code``,
``error_message``); an error carries ``{"code", "message", "more_info", "status"}`` (e.g. 400
with code 21211 for an invalid ``To`` number). Twilio then POSTs the message's status to the
``StatusCallback`` URL, signed with ``X-Twilio-Signature`` (``verify_twilio_signature``,
``parse_twilio_status_callback``).

Retrying: a message is not idempotent at Twilio (no idempotency key on the Messages API), so
only the answers that prove Twilio did not take it are ``retryable``: 429, 503, and a
connection that could not be opened. A timeout or a reset after the request went out, and any
other 5xx, leave the outcome unknown: they are failed and not retryable, since a duplicate SMS
costs money and annoys (the message may have gone; without its id no callback can say so).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final, Protocol, Self
from urllib.parse import urlsplit, urlunsplit

import httpx

#: E.164: a plus, a country code not starting with 0, at most 15 digits in all.
E164: Final = re.compile(r"^\+[1-9][0-9]{1,14}$")

#: Twilio's limit on one message body (it splits longer texts into at most 10 segments).
MAX_BODY_CHARS: Final = 1600

#: Twilio error codes Campus refers to by name.
TWILIO_INVALID_TO: Final = "21211"
TWILIO_BODY_REQUIRED: Final = "21602"
TWILIO_BODY_TOO_LONG: Final = "21617"

#: The magic ``To`` numbers of Twilio's test credentials and the error each one answers; the
#: sandbox provider honours the same ones, so a test written for one holds for the other.
MAGIC_FAILURES: Final[Mapping[str, tuple[str, str]]] = {
    "+15005550001": (TWILIO_INVALID_TO, "The 'To' number is not a valid phone number."),
    "+15005550002": ("21612", "The 'To' phone number is not currently reachable via SMS."),
    "+15005550003": ("21408", "Permission to send an SMS has not been enabled for the region."),
    "+15005550004": ("21610", "The recipient replied STOP and is unsubscribed."),
    "+15005550009": ("21614", "The 'To' number is not a mobile number."),
}


class SmsStatus(StrEnum):
    """What a send answered."""

    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class SmsDeliveryStatus(StrEnum):
    """What a status callback reports: Twilio's outbound message statuses, folded onto the
    delivery log's (``accepted`` and ``scheduled`` are ``queued``, ``read`` is ``delivered``,
    ``canceled`` is ``failed``)."""

    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class SmsResult:
    provider_message_id: str | None
    status: SmsStatus
    error_code: str | None = None
    error_message: str | None = None
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class SmsStatusUpdate:
    """A verified status callback: which message, its new status and the error code Twilio
    gives with ``undelivered`` and ``failed`` (e.g. 30003 unreachable, 30006 landline)."""

    provider_message_id: str
    status: SmsDeliveryStatus
    error_code: str | None
    to: str | None


class InvalidStatusCallback(ValueError):
    """A status callback without a message id or with a status Campus does not know."""


class SmsProvider(Protocol):
    """What the notifications pipeline asks of an SMS provider."""

    @property
    def name(self) -> str: ...

    async def send(self, to_e164: str, body: str) -> SmsResult: ...


def is_e164(number: str) -> bool:
    return E164.fullmatch(number) is not None


def _check_message(to_e164: str, body: str) -> None:
    if not is_e164(to_e164):
        raise ValueError("the number is not in E.164 form (+ and up to 15 digits)")
    if not body.strip():
        raise ValueError("the message body is empty")


# --------------------------------------------------------------------------- sandbox


@dataclass(frozen=True, slots=True)
class SandboxSms:
    provider_message_id: str
    to: str
    body: str


@dataclass
class SandboxSmsProvider:
    """Records messages instead of sending them, and answers as Twilio does: the magic numbers
    of ``MAGIC_FAILURES`` fail with Twilio's codes, a body over 1600 characters fails with
    21617, anything else is ``queued`` with an ``SM…`` id. ``messages`` lists what was taken."""

    messages: list[SandboxSms] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "sandbox"

    async def send(self, to_e164: str, body: str) -> SmsResult:
        _check_message(to_e164, body)
        if to_e164 in MAGIC_FAILURES:
            code, message = MAGIC_FAILURES[to_e164]
            return SmsResult(None, SmsStatus.FAILED, code, message)
        if len(body) > MAX_BODY_CHARS:
            return SmsResult(
                None, SmsStatus.FAILED, TWILIO_BODY_TOO_LONG, "The body exceeds 1600 characters."
            )
        sid = "SM" + secrets.token_hex(16)
        self.messages.append(SandboxSms(sid, to_e164, body))
        return SmsResult(sid, SmsStatus.QUEUED)


# --------------------------------------------------------------------------- Twilio

_TWILIO_SEND_STATUSES: Final[Mapping[str, SmsStatus]] = {
    "accepted": SmsStatus.QUEUED,
    "scheduled": SmsStatus.QUEUED,
    "queued": SmsStatus.QUEUED,
    "sending": SmsStatus.QUEUED,
    "sent": SmsStatus.SENT,
    "delivered": SmsStatus.SENT,
    "read": SmsStatus.SENT,
    "undelivered": SmsStatus.FAILED,
    "failed": SmsStatus.FAILED,
    "canceled": SmsStatus.FAILED,
}

_TWILIO_CALLBACK_STATUSES: Final[Mapping[str, SmsDeliveryStatus]] = {
    "accepted": SmsDeliveryStatus.QUEUED,
    "scheduled": SmsDeliveryStatus.QUEUED,
    "queued": SmsDeliveryStatus.QUEUED,
    "sending": SmsDeliveryStatus.SENDING,
    "sent": SmsDeliveryStatus.SENT,
    "delivered": SmsDeliveryStatus.DELIVERED,
    "read": SmsDeliveryStatus.DELIVERED,
    "undelivered": SmsDeliveryStatus.UNDELIVERED,
    "failed": SmsDeliveryStatus.FAILED,
    "canceled": SmsDeliveryStatus.FAILED,
}

_MESSAGE_SID: Final = re.compile(r"^(SM|MM)[0-9a-fA-F]{32}$")


class TwilioSmsProvider:
    """Twilio's Messages API. ``status_callback_url`` is Campus's public callback URL (exactly
    as Twilio will call it: the signature covers it); without it Twilio sends no callbacks.
    One instance holds one connection pool: share it, and ``aclose()`` it."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        base_url: str = "https://api.twilio.com",
        *,
        status_callback_url: str | None = None,
        timeout_seconds: float = 10.0,
    ) -> None:
        if not re.fullmatch(r"AC[0-9a-fA-F]{32}", account_sid):
            raise ValueError("a Twilio account SID is AC and 32 hexadecimal digits")
        if not auth_token:
            raise ValueError("the Twilio auth token is empty")
        if not is_e164(from_number):
            raise ValueError("the sender number is not in E.164 form")
        self._account_sid = account_sid
        self._from = from_number
        self._status_callback_url = status_callback_url
        self._path = f"/2010-04-01/Accounts/{account_sid}/Messages.json"
        self._client = httpx.AsyncClient(
            base_url=base_url.rstrip("/"),
            auth=httpx.BasicAuth(account_sid, auth_token),
            timeout=httpx.Timeout(timeout_seconds),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )

    @property
    def name(self) -> str:
        return "twilio"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def send(self, to_e164: str, body: str) -> SmsResult:
        _check_message(to_e164, body)
        form = {"To": to_e164, "From": self._from, "Body": body}
        if self._status_callback_url:
            form["StatusCallback"] = self._status_callback_url
        try:
            response = await self._client.post(self._path, data=form)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            return SmsResult(
                None, SmsStatus.FAILED, None, f"Twilio unreachable: {type(exc).__name__}", True
            )
        except httpx.TransportError as exc:
            return SmsResult(
                None, SmsStatus.FAILED, None, f"outcome unknown: {type(exc).__name__}", False
            )
        return _twilio_result(response)


def _twilio_result(response: httpx.Response) -> SmsResult:
    status = response.status_code
    document = _json_object(response)
    if status in (200, 201):
        sid = document.get("sid")
        sent_status = _TWILIO_SEND_STATUSES.get(str(document.get("status")))
        if not isinstance(sid, str) or sent_status is None:
            return SmsResult(None, SmsStatus.FAILED, None, "unreadable answer from Twilio")
        code = document.get("error_code")
        return SmsResult(
            sid,
            sent_status,
            None if code is None else str(code),
            _text_or_none(document.get("error_message")),
        )
    code = document.get("code")
    message = _text_or_none(document.get("message")) or f"HTTP {status}"
    return SmsResult(
        None,
        SmsStatus.FAILED,
        None if code is None else str(code),
        message,
        retryable=status in (429, 503),
    )


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _text_or_none(value: object) -> str | None:
    return None if value is None else str(value)[:500]


# --------------------------------------------------------------------------- callbacks

Params = Mapping[str, str] | Mapping[str, Sequence[str]] | Sequence[tuple[str, str]]


def twilio_signature(url: str, params: Params, auth_token: str) -> str:
    """Twilio's request signature: HMAC-SHA1, keyed with the auth token, of the full URL
    followed by every POST parameter's name and value, sorted by name (and a repeated name's
    values sorted), base64."""
    pairs = _pairs(params)
    data = url + "".join(name + value for name, value in sorted(pairs))
    digest = hmac.new(auth_token.encode("utf-8"), data.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def verify_twilio_signature(url: str, params: Params, signature: str, auth_token: str) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's for this request.

    ``url`` is the full URL Twilio called, query string included, as the public sees it (a
    proxy's internal URL will not match). As Twilio's own libraries do, the URL is also tried
    with its scheme's default port added or removed, since Twilio may sign either form.
    The comparison is constant-time; an empty token or signature never verifies.
    """
    if not auth_token or not signature:
        return False
    given = signature.strip().encode("utf-8")
    matched = False
    for candidate in _url_variants(url):
        expected = twilio_signature(candidate, params, auth_token).encode("ascii")
        matched |= hmac.compare_digest(expected, given)
    return matched


def parse_twilio_status_callback(
    params: Mapping[str, str], *, account_sid: str | None = None
) -> SmsStatusUpdate:
    """Read a status callback whose signature has been verified. ``account_sid``, when given,
    must be the callback's ``AccountSid``. Raises ``InvalidStatusCallback``."""
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    if not _MESSAGE_SID.fullmatch(sid):
        raise InvalidStatusCallback("no MessageSid")
    if account_sid is not None and params.get("AccountSid") != account_sid:
        raise InvalidStatusCallback("the callback is for another account")
    raw_status = params.get("MessageStatus") or params.get("SmsStatus") or ""
    status = _TWILIO_CALLBACK_STATUSES.get(raw_status)
    if status is None:
        raise InvalidStatusCallback(f"unknown MessageStatus {raw_status[:32]!r}")
    error_code = params.get("ErrorCode") or None
    return SmsStatusUpdate(sid, status, error_code, params.get("To") or None)


def _pairs(params: Params) -> list[tuple[str, str]]:
    if isinstance(params, Mapping):
        pairs: list[tuple[str, str]] = []
        for name, value in params.items():
            if isinstance(value, str):
                pairs.append((name, value))
            else:
                pairs.extend((name, item) for item in value)
        return pairs
    return list(params)


def _url_variants(url: str) -> list[str]:
    parts = urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    variants = [url]
    if default is None or parts.hostname is None:
        return variants
    host = parts.netloc.rsplit("@", 1)[-1]
    try:
        port = parts.port
    except ValueError:
        return variants
    if port is None:
        variants.append(urlunsplit(parts._replace(netloc=f"{host}:{default}")))
    elif port == default:
        bare = host.rsplit(":", 1)[0]
        variants.append(urlunsplit(parts._replace(netloc=bare)))
    return variants
