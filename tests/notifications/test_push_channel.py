"""The web push sender against a local push service double over real HTTP: the double checks
the VAPID token with the public key and decrypts the aes128gcm body with the subscriber's
private key, so a message counts as delivered only when it would reach a browser intact."""

from __future__ import annotations

import base64
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from campus.kernel.clock import clock
from campus.notifications.channels.push import (
    MAX_PAYLOAD_BYTES,
    InvalidSubscription,
    InvalidVapidKey,
    PushSender,
    PushStatus,
    PushSubscriptionInfo,
    PushUrgency,
    VapidKeyPair,
    application_server_key,
    generate_vapid_key_pair,
)

from .doubles import PushServiceDouble, Subscriber, serve

SUBJECT = "mailto:notifications@campus.example"


@pytest.fixture(scope="module")
def keys() -> VapidKeyPair:
    return generate_vapid_key_pair()


@pytest.fixture(scope="module")
async def served(keys: VapidKeyPair) -> AsyncIterator[PushServiceDouble]:
    double = PushServiceDouble(application_server_key=keys.application_server_key)
    async with serve(double.app()) as url:
        double.url = url
        yield double


@pytest.fixture
def service(served: PushServiceDouble) -> PushServiceDouble:
    served.reset()
    return served


@pytest.fixture
async def sender(keys: VapidKeyPair) -> AsyncIterator[PushSender]:
    async with PushSender(
        keys.private_key_pem, SUBJECT, ttl_seconds=3600, allow_insecure_endpoints=True
    ) as push:
        yield push


def subscription(subscriber: Subscriber) -> PushSubscriptionInfo:
    return PushSubscriptionInfo.parse(
        subscriber.endpoint, subscriber.p256dh, subscriber.auth, allow_insecure_endpoint=True
    )


async def test_a_message_arrives_decrypted_intact_with_a_valid_vapid_token_and_ttl(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()
    payload = {
        "title": "Quiz graded: «Algèbre» ✓",
        "body": "You scored 9/10 <b>well done</b>",
        "url": "/courses/42/quizzes/7",
        "nested": {"ids": [1, 2, 3], "unread": True},
    }

    result = await sender.send(subscription(subscriber), payload)

    assert result.status is PushStatus.OK
    assert result.http_status == 201
    assert service.refusals == []
    [delivery] = service.deliveries
    assert delivery.token == subscriber.token
    assert delivery.payload == payload
    assert delivery.ttl == 3600
    assert delivery.claims["aud"] == service.url
    assert delivery.claims["sub"] == SUBJECT
    now = datetime.now(UTC).timestamp()
    assert now < delivery.claims["exp"] <= now + 24 * 3600


async def test_ttl_urgency_and_topic_of_one_message_reach_the_push_service(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()

    result = await sender.send(
        subscription(subscriber),
        {"n": 1},
        ttl_seconds=0,
        urgency=PushUrgency.HIGH,
        topic="course-42-announcement",
    )

    assert result.status is PushStatus.OK
    [delivery] = service.deliveries
    assert (delivery.ttl, delivery.urgency, delivery.topic) == (0, "high", "course-42-announcement")


async def test_a_token_signed_by_another_key_is_refused_and_not_retryable(
    service: PushServiceDouble,
) -> None:
    subscriber = service.subscribe()
    other = generate_vapid_key_pair()

    async with PushSender(
        other.private_key_b64, SUBJECT, allow_insecure_endpoints=True
    ) as stranger:
        result = await stranger.send(subscription(subscriber), {"n": 1})

    assert result.status is PushStatus.FAILED
    assert (result.http_status, result.retryable) == (403, False)
    assert service.deliveries == []


async def test_a_forged_token_carrying_our_public_key_is_refused(
    service: PushServiceDouble, keys: VapidKeyPair
) -> None:
    """The control for the double: it verifies the token's signature, not only the key the
    request names."""
    subscriber = service.subscribe()
    forger = Vapid02.from_string(generate_vapid_key_pair().private_key_b64)
    exp = int(datetime.now(UTC).timestamp()) + 3600
    token = forger.sign({"aud": service.url, "sub": SUBJECT, "exp": exp})["Authorization"]
    forged = token.split(",k=")[0] + ",k=" + keys.application_server_key

    async with httpx.AsyncClient() as client:
        response = await client.post(
            subscriber.endpoint,
            content=b"\0" * 100,
            headers={"Authorization": forged, "TTL": "60", "Content-Encoding": "aes128gcm"},
        )

    assert response.status_code == 403
    assert "bad VAPID token" in service.refusals[-1][1]
    assert service.deliveries == []


@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("expired", 403, "expired"),
        ("too-long-lived", 403, "too long-lived"),
        ("other-audience", 403, "bad VAPID token"),
        ("no-sub", 403, "not a contact"),
        ("no-token", 401, "no VAPID"),
        ("aesgcm", 400, "aes128gcm"),
        ("no-ttl", 400, "TTL"),
        ("not-encrypted", 400, "decrypt"),
    ],
)
async def test_the_push_service_double_refuses_what_a_push_service_refuses(
    service: PushServiceDouble, keys: VapidKeyPair, case: str, status: int, reason: str
) -> None:
    """Controls for the double: each check it makes fails a request that breaks it."""
    subscriber = service.subscribe()
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, str | int] = {"aud": service.url, "sub": SUBJECT, "exp": now + 3600}
    if case == "expired":
        claims["exp"] = now - 60
    elif case == "too-long-lived":
        claims["exp"] = now + 25 * 3600
    elif case == "other-audience":
        claims["aud"] = "https://push.example.com"
    vapid = Vapid02.from_string(keys.private_key_b64)
    if case == "no-sub":
        vapid.conf["no-strict"] = True
        claims["sub"] = ""
    headers = {
        "Authorization": vapid.sign(claims)["Authorization"],
        "TTL": "60",
        "Content-Encoding": "aes128gcm",
    }
    if case == "no-token":
        del headers["Authorization"]
    if case == "aesgcm":
        headers["Content-Encoding"] = "aesgcm"
    if case == "no-ttl":
        del headers["TTL"]

    async with httpx.AsyncClient() as client:
        response = await client.post(subscriber.endpoint, content=b"\0" * 100, headers=headers)

    assert response.status_code == status
    assert reason in service.refusals[-1][1]
    assert service.deliveries == []


async def test_the_vapid_token_follows_the_clock_and_is_renewed_before_it_expires(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()
    start = datetime.now(UTC)
    clock.freeze(start)
    try:
        assert (await sender.send(subscription(subscriber), {"n": 1})).status is PushStatus.OK
        clock.advance(hours=11, minutes=30)
        assert (await sender.send(subscription(subscriber), {"n": 2})).status is PushStatus.OK
    finally:
        clock.unfreeze()

    first, second = service.deliveries
    assert first.claims["exp"] == int(start.timestamp()) + 12 * 3600
    assert second.claims["exp"] > first.claims["exp"]


@pytest.mark.parametrize("status", [404, 410])
async def test_an_unknown_or_expired_subscription_is_gone(
    service: PushServiceDouble, sender: PushSender, status: int
) -> None:
    subscriber = service.subscribe()
    if status == 410:
        service.expire(subscriber)
    else:
        del service.subscribers[subscriber.token]

    result = await sender.send(subscription(subscriber), {"n": 1})

    assert (result.status, result.http_status, result.retryable) == (PushStatus.GONE, status, False)


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds"),
    [(429, "120", 120), (503, None, None), (500, None, None), (502, "30", 30)],
)
async def test_rate_limits_and_server_errors_are_retryable_with_retry_after(
    service: PushServiceDouble,
    sender: PushSender,
    status: int,
    retry_after: str | None,
    seconds: int | None,
) -> None:
    subscriber = service.subscribe()
    service.fail_next(status, retry_after)

    result = await sender.send(subscription(subscriber), {"n": 1})

    assert result.status is PushStatus.FAILED
    assert (result.http_status, result.retryable, result.retry_after_seconds) == (
        status,
        True,
        seconds,
    )


async def test_retry_after_as_an_http_date_is_read_against_the_clock(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()
    now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
    service.fail_next(429, "Wed, 02 Dec 2026 10:05:00 GMT")
    clock.freeze(now)
    try:
        result = await sender.send(subscription(subscriber), {"n": 1})
    finally:
        clock.unfreeze()

    assert (result.retryable, result.retry_after_seconds) == (True, 300)


async def test_a_client_error_is_failed_and_not_retryable(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()
    service.fail_next(400)

    result = await sender.send(subscription(subscriber), {"n": 1})

    assert (result.status, result.http_status, result.retryable) == (PushStatus.FAILED, 400, False)


async def test_an_unreachable_push_service_is_retryable(sender: PushSender) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    subscriber_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    p256dh = base64.urlsafe_b64encode(
        subscriber_key.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    ).decode()
    info = PushSubscriptionInfo(
        f"http://127.0.0.1:{port}/wpush/x", p256dh, "AAAAAAAAAAAAAAAAAAAAAA"
    )

    result = await sender.send(info, {"n": 1})

    assert (result.status, result.http_status, result.retryable) == (PushStatus.FAILED, None, True)


async def test_a_payload_over_one_record_is_refused_before_anything_is_sent(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()
    fits = {"b": "x" * (MAX_PAYLOAD_BYTES - len('{"b":""}'))}
    too_big = {"b": "x" * (MAX_PAYLOAD_BYTES - len('{"b":""}') + 1)}

    refused = await sender.send(subscription(subscriber), too_big)
    accepted = await sender.send(subscription(subscriber), fits)

    assert (refused.status, refused.http_status, refused.retryable) == (
        PushStatus.FAILED,
        None,
        False,
    )
    assert accepted.status is PushStatus.OK
    assert [d.payload for d in service.deliveries] == [fits]


async def test_a_subscription_whose_keys_cannot_encrypt_is_gone_without_a_request(
    service: PushServiceDouble, sender: PushSender
) -> None:
    subscriber = service.subscribe()
    broken = PushSubscriptionInfo(subscriber.endpoint, "bm90LWEta2V5", subscriber.auth)

    result = await sender.send(broken, {"n": 1})

    assert (result.status, result.http_status) == (PushStatus.GONE, None)
    assert service.deliveries == []
    assert service.refusals == []


async def test_the_sender_refuses_http_and_private_endpoints_unless_allowed(
    service: PushServiceDouble, keys: VapidKeyPair
) -> None:
    subscriber = service.subscribe()
    async with PushSender(keys.private_key_pem, SUBJECT) as strict:
        result = await strict.send(
            PushSubscriptionInfo(subscriber.endpoint, subscriber.p256dh, subscriber.auth), {"n": 1}
        )

    assert result.status is PushStatus.GONE
    assert service.deliveries == []
    assert service.refusals == []


async def test_generated_vapid_keys_load_in_every_form_and_give_the_browser_key(
    keys: VapidKeyPair,
) -> None:
    point = base64.urlsafe_b64decode(keys.application_server_key + "==")
    assert len(point) == 65
    assert point[0] == 4
    assert "=" not in keys.application_server_key
    der = serialization.load_pem_private_key(keys.private_key_pem.encode(), None).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    der_b64 = base64.urlsafe_b64encode(der).decode().rstrip("=")
    for form in (keys.private_key_pem, keys.private_key_b64, der_b64):
        assert application_server_key(form) == keys.application_server_key
        async with PushSender(form, SUBJECT) as push:
            assert push.application_server_key == keys.application_server_key


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "not a key",
        base64.urlsafe_b64encode(b"\x01" * 31).decode(),
        serialization.load_pem_private_key(
            b"-----BEGIN PRIVATE KEY-----\n"
            b"MC4CAQAwBQYDK2VwBCIEIGc3yLCRMPZC6SSHudXT1zNUtGn9Ge9+kSTqq0Kg94QN\n"
            b"-----END PRIVATE KEY-----\n",
            None,
        )
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode(),
    ],
    ids=["empty", "garbage", "short-scalar", "ed25519"],
)
def test_a_vapid_key_that_is_not_p256_is_refused(bad: str) -> None:
    with pytest.raises(InvalidVapidKey):
        PushSender(bad, SUBJECT)


@pytest.mark.parametrize("subject", ["notifications@campus.example", "http://campus.example", ""])
def test_the_vapid_subject_must_be_a_contact(keys: VapidKeyPair, subject: str) -> None:
    with pytest.raises(ValueError, match="subject"):
        PushSender(keys.private_key_pem, subject)


def test_a_ttl_beyond_28_days_is_refused(keys: VapidKeyPair) -> None:
    with pytest.raises(ValueError, match="ttl"):
        PushSender(
            keys.private_key_pem, SUBJECT, ttl_seconds=int(timedelta(days=29).total_seconds())
        )


def _p256dh() -> str:
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return base64.urlsafe_b64encode(point).decode().rstrip("=")


AUTH = base64.urlsafe_b64encode(b"\x07" * 16).decode().rstrip("=")


def test_a_browser_subscription_is_accepted_with_or_without_padding() -> None:
    p256dh = _p256dh()
    endpoint = "https://fcm.googleapis.com/fcm/send/abc:APA91b"
    parsed = PushSubscriptionInfo.parse(endpoint, p256dh, AUTH + "==")
    assert parsed == PushSubscriptionInfo(endpoint, p256dh, AUTH + "==")
    assert parsed.as_subscription_info() == {
        "endpoint": endpoint,
        "keys": {"p256dh": p256dh, "auth": AUTH + "=="},
    }


@pytest.mark.parametrize(
    ("endpoint", "p256dh", "auth"),
    [
        ("http://push.example.com/x", None, AUTH),
        ("https://127.0.0.1/x", None, AUTH),
        ("https://10.0.0.8/x", None, AUTH),
        ("https://[::1]/x", None, AUTH),
        ("https://169.254.169.254/latest", None, AUTH),
        ("https://localhost/x", None, AUTH),
        ("https://user:pw@push.example.com/x", None, AUTH),
        ("ftp://push.example.com/x", None, AUTH),
        ("https://push.example.com:99999/x", None, AUTH),
        ("https://push.example.com/" + "x" * 2100, None, AUTH),
        ("https://push.example.com/x", "bm90LWEta2V5", AUTH),
        ("https://push.example.com/x", "BA" + "A" * 85, AUTH),
        ("https://push.example.com/x", None, "c2hvcnQ"),
        ("https://push.example.com/x", None, "!!!"),
    ],
)
def test_a_subscription_that_cannot_or_must_not_be_reached_is_refused(
    endpoint: str, p256dh: str | None, auth: str
) -> None:
    with pytest.raises(InvalidSubscription):
        PushSubscriptionInfo.parse(endpoint, p256dh or _p256dh(), auth)
