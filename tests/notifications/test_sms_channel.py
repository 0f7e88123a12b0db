"""The SMS channel: the sandbox provider, the Twilio adapter against a local double of Twilio's
Messages API over real HTTP, and Twilio's signed status callbacks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
from collections.abc import AsyncIterator

import pytest

from campus.notifications.channels.sms import (
    MAGIC_FAILURES,
    InvalidStatusCallback,
    SandboxSmsProvider,
    SmsDeliveryStatus,
    SmsProvider,
    SmsResult,
    SmsStatus,
    TwilioSmsProvider,
    is_e164,
    parse_twilio_status_callback,
    twilio_signature,
    verify_twilio_signature,
)

from .doubles import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, TwilioDouble, serve

CALLBACK_URL = "https://campus.example/api/v1/notifications/providers/twilio/status"
LEARNER = "+14155550123"


@pytest.fixture(scope="module")
async def served() -> AsyncIterator[TwilioDouble]:
    double = TwilioDouble()
    async with serve(double.app()) as url:
        double.url = url
        yield double


@pytest.fixture
def twilio(served: TwilioDouble) -> TwilioDouble:
    served.reset()
    return served


@pytest.fixture
async def provider(twilio: TwilioDouble) -> AsyncIterator[TwilioSmsProvider]:
    async with TwilioSmsProvider(
        ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio.url, status_callback_url=CALLBACK_URL
    ) as adapter:
        yield adapter


# --------------------------------------------------------------------------- Twilio adapter


async def test_a_message_is_queued_at_twilio_with_its_sid_and_status_callback(
    twilio: TwilioDouble, provider: TwilioSmsProvider
) -> None:
    body = "Your quiz «Algèbre» was graded: 9/10 ✓"

    result = await provider.send(LEARNER, body)

    [message] = twilio.messages
    assert result == SmsResult(message.sid, SmsStatus.QUEUED)
    assert result.provider_message_id is not None
    assert result.provider_message_id.startswith("SM")
    assert (message.to, message.from_, message.body) == (LEARNER, FROM_NUMBER, body)
    assert message.status_callback == CALLBACK_URL


async def test_without_a_callback_url_twilio_is_asked_for_no_callback(
    twilio: TwilioDouble,
) -> None:
    async with TwilioSmsProvider(ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, twilio.url) as adapter:
        result = await adapter.send(LEARNER, "hello")

    assert result.status is SmsStatus.QUEUED
    assert twilio.messages[0].status_callback is None


@pytest.mark.parametrize(("number", "failure"), sorted(MAGIC_FAILURES.items()))
async def test_twilios_magic_numbers_fail_with_their_error_codes_and_are_not_retried(
    provider: TwilioSmsProvider, twilio: TwilioDouble, number: str, failure: tuple[str, str]
) -> None:
    result = await provider.send(number, "hello")

    assert (result.provider_message_id, result.status) == (None, SmsStatus.FAILED)
    assert (result.error_code, result.retryable) == (failure[0], False)
    assert result.error_message
    assert twilio.messages == []


async def test_a_body_over_1600_characters_is_refused_by_twilio_with_21617(
    provider: TwilioSmsProvider,
) -> None:
    result = await provider.send(LEARNER, "x" * 1601)

    assert (result.status, result.error_code, result.retryable) == (
        SmsStatus.FAILED,
        "21617",
        False,
    )


async def test_wrong_credentials_fail_with_20003_and_are_not_retried(
    twilio: TwilioDouble,
) -> None:
    async with TwilioSmsProvider(ACCOUNT_SID, "not-the-token", FROM_NUMBER, twilio.url) as bad:
        result = await bad.send(LEARNER, "hello")

    assert (result.status, result.error_code, result.retryable) == (
        SmsStatus.FAILED,
        "20003",
        False,
    )
    assert twilio.messages == []


async def test_a_sender_number_not_on_the_account_fails_with_21606(
    twilio: TwilioDouble,
) -> None:
    async with TwilioSmsProvider(ACCOUNT_SID, AUTH_TOKEN, "+15005550007", twilio.url) as other:
        result = await other.send(LEARNER, "hello")

    assert (result.status, result.error_code) == (SmsStatus.FAILED, "21606")


@pytest.mark.parametrize(
    ("status", "retryable", "code"), [(429, True, "20429"), (503, True, "20500")]
)
async def test_rate_limits_and_unavailability_are_retryable(
    twilio: TwilioDouble, provider: TwilioSmsProvider, status: int, retryable: bool, code: str
) -> None:
    twilio.fail_next(status)

    failed = await provider.send(LEARNER, "hello")
    again = await provider.send(LEARNER, "hello")

    assert (failed.status, failed.retryable, failed.error_code) == (
        SmsStatus.FAILED,
        retryable,
        code,
    )
    assert again.status is SmsStatus.QUEUED
    assert len(twilio.messages) == 1


async def test_a_500_leaves_the_outcome_unknown_and_is_not_retried(
    twilio: TwilioDouble, provider: TwilioSmsProvider
) -> None:
    twilio.fail_next(500)

    result = await provider.send(LEARNER, "hello")

    assert (result.status, result.retryable) == (SmsStatus.FAILED, False)


async def test_an_unreachable_twilio_is_retryable() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    async with TwilioSmsProvider(
        ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, f"http://127.0.0.1:{port}"
    ) as adapter:
        result = await adapter.send(LEARNER, "hello")

    assert (result.status, result.error_code, result.retryable) == (SmsStatus.FAILED, None, True)


@pytest.mark.parametrize(
    ("to", "body"),
    [("4155550123", "hi"), ("+0155550123", "hi"), ("+1" + "5" * 15, "hi"), (LEARNER, " ")],
)
async def test_a_number_not_in_e164_or_an_empty_body_is_the_callers_error(
    provider: TwilioSmsProvider, twilio: TwilioDouble, to: str, body: str
) -> None:
    with pytest.raises(ValueError, match=r"E\.164|empty"):
        await provider.send(to, body)
    assert twilio.messages == []


@pytest.mark.parametrize(
    ("sid", "token", "number"),
    [
        ("AC123", AUTH_TOKEN, FROM_NUMBER),
        (ACCOUNT_SID, "", FROM_NUMBER),
        (ACCOUNT_SID, AUTH_TOKEN, "5005550006"),
    ],
)
def test_the_twilio_adapter_refuses_a_bad_configuration(sid: str, token: str, number: str) -> None:
    with pytest.raises(ValueError, match=r"SID|token|E\.164"):
        TwilioSmsProvider(sid, token, number)


# --------------------------------------------------------------------------- sandbox


async def test_the_sandbox_records_messages_and_fails_twilios_magic_numbers_alike(
    twilio: TwilioDouble, provider: TwilioSmsProvider
) -> None:
    sandbox = SandboxSmsProvider()
    providers: list[SmsProvider] = [sandbox, provider]

    outcomes = [
        [
            (r.status, r.error_code, r.retryable)
            for r in [await p.send(n, "hello") for n in [LEARNER, *MAGIC_FAILURES]]
        ]
        for p in providers
    ]
    too_long = await sandbox.send(LEARNER, "x" * 1601)

    assert outcomes[0] == outcomes[1]
    assert (too_long.status, too_long.error_code) == (SmsStatus.FAILED, "21617")
    [recorded] = sandbox.messages
    assert (recorded.to, recorded.body) == (LEARNER, "hello")
    assert recorded.provider_message_id.startswith("SM")
    assert {sandbox.name, provider.name} == {"sandbox", "twilio"}
    with pytest.raises(ValueError, match=r"E\.164"):
        await sandbox.send("0044 20 7946 0000", "hello")


def test_e164_numbers() -> None:
    assert is_e164("+442079460000")
    assert is_e164("+15005550006")
    assert not is_e164("+4420 7946 0000")
    assert not is_e164("442079460000")
    assert not is_e164("+1234567890123456")
    assert not is_e164("+15005550006\n")


# --------------------------------------------------------------------------- callbacks


def test_twilios_documented_signature_example_verifies() -> None:
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }

    assert verify_twilio_signature(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")
    assert not verify_twilio_signature(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B9=", "12345")
    assert not verify_twilio_signature(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "54321")
    tampered = {**params, "Digits": "1235"}
    assert not verify_twilio_signature(url, tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")


async def test_a_signed_status_callback_verifies_and_reads_as_delivered(
    twilio: TwilioDouble, provider: TwilioSmsProvider
) -> None:
    result = await provider.send(LEARNER, "hello")
    [message] = twilio.messages
    params, signature = twilio.status_callback(message, "delivered")

    assert verify_twilio_signature(CALLBACK_URL, params, signature, AUTH_TOKEN)
    update = parse_twilio_status_callback(params, account_sid=ACCOUNT_SID)
    assert update.provider_message_id == result.provider_message_id
    assert (update.status, update.error_code, update.to) == (
        SmsDeliveryStatus.DELIVERED,
        None,
        LEARNER,
    )


@pytest.mark.parametrize(
    ("twilio_status", "error_code", "status"),
    [
        ("queued", None, SmsDeliveryStatus.QUEUED),
        ("sending", None, SmsDeliveryStatus.SENDING),
        ("sent", None, SmsDeliveryStatus.SENT),
        ("delivered", None, SmsDeliveryStatus.DELIVERED),
        ("undelivered", "30003", SmsDeliveryStatus.UNDELIVERED),
        ("failed", "30006", SmsDeliveryStatus.FAILED),
    ],
)
async def test_status_callbacks_map_onto_the_delivery_statuses(
    twilio: TwilioDouble,
    provider: TwilioSmsProvider,
    twilio_status: str,
    error_code: str | None,
    status: SmsDeliveryStatus,
) -> None:
    await provider.send(LEARNER, "hello")
    params, signature = twilio.status_callback(twilio.messages[0], twilio_status, error_code)

    assert verify_twilio_signature(CALLBACK_URL, params, signature, AUTH_TOKEN)
    update = parse_twilio_status_callback(params)
    assert (update.status, update.error_code) == (status, error_code)


async def test_a_callback_with_a_changed_parameter_another_url_or_token_does_not_verify(
    twilio: TwilioDouble, provider: TwilioSmsProvider
) -> None:
    await provider.send(LEARNER, "hello")
    params, signature = twilio.status_callback(twilio.messages[0], "undelivered", "30003")

    assert not verify_twilio_signature(
        CALLBACK_URL, {**params, "MessageStatus": "delivered"}, signature, AUTH_TOKEN
    )
    assert not verify_twilio_signature(
        CALLBACK_URL, {**params, "Extra": "1"}, signature, AUTH_TOKEN
    )
    assert not verify_twilio_signature(CALLBACK_URL + "?x=1", params, signature, AUTH_TOKEN)
    assert not verify_twilio_signature(CALLBACK_URL, params, signature, "another-token")
    assert not verify_twilio_signature(CALLBACK_URL, params, "", AUTH_TOKEN)
    assert not verify_twilio_signature(CALLBACK_URL, params, signature, "")
    assert not verify_twilio_signature(CALLBACK_URL, params, "é" + signature, AUTH_TOKEN)


async def test_the_signature_holds_with_or_without_the_default_port(
    twilio: TwilioDouble, provider: TwilioSmsProvider
) -> None:
    await provider.send(LEARNER, "hello")
    params, signature = twilio.status_callback(twilio.messages[0], "sent")
    with_port = CALLBACK_URL.replace("campus.example/", "campus.example:443/")

    assert verify_twilio_signature(with_port, params, signature, AUTH_TOKEN)
    assert not verify_twilio_signature(
        CALLBACK_URL.replace("campus.example/", "campus.example:8443/"),
        params,
        signature,
        AUTH_TOKEN,
    )


def test_repeated_parameters_are_signed_in_sorted_order() -> None:
    pairs = [("b", "2"), ("a", "9"), ("a", "1")]
    by_hand = base64.b64encode(
        hmac.new(AUTH_TOKEN.encode(), (CALLBACK_URL + "a1a9b2").encode(), hashlib.sha1).digest()
    ).decode()

    assert twilio_signature(CALLBACK_URL, pairs, AUTH_TOKEN) == by_hand
    assert twilio_signature(CALLBACK_URL, {"a": ["9", "1"], "b": ["2"]}, AUTH_TOKEN) == by_hand
    assert verify_twilio_signature(CALLBACK_URL, pairs, by_hand, AUTH_TOKEN)


@pytest.mark.parametrize(
    "params",
    [
        {"MessageStatus": "delivered"},
        {"MessageSid": "not-a-sid", "MessageStatus": "delivered"},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "exploded"},
        {"MessageSid": "SM" + "a" * 32},
        {"MessageSid": "SM" + "a" * 32, "MessageStatus": "sent", "AccountSid": "AC" + "0" * 32},
    ],
)
def test_a_callback_without_a_sid_with_an_unknown_status_or_another_account_is_refused(
    params: dict[str, str],
) -> None:
    with pytest.raises(InvalidStatusCallback):
        parse_twilio_status_callback(params, account_sid=ACCOUNT_SID)
