"""The sandbox gateway's pure rules: test cards, Stripe's signature scheme (checked against the
official ``stripe`` library as the oracle) and the events it parses (WH-10)."""

from __future__ import annotations

import json
import time
from datetime import date

import pytest
import stripe

from campus.commerce.gateways.port import InvalidWebhook, WebhookEventType
from campus.commerce.gateways.sandbox import (
    AUTHENTICATION_FAILED,
    CardOutcome,
    build_event,
    check_card,
    check_form_token,
    encode_event,
    form_token,
    luhn_valid,
    parse_event,
    sign,
    signature_header,
    verify_signature,
)
from campus.kernel.clock import utcnow

SECRET = "whsec_test_secret"
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("number", "outcome", "failure"),
    [
        ("4242424242424242", CardOutcome.SUCCEED, None),
        ("4242 4242 4242 4242", CardOutcome.SUCCEED, None),
        ("4000000000000002", CardOutcome.DECLINE, "card_declined"),
        ("4000000000009995", CardOutcome.DECLINE, "insufficient_funds"),
        ("4000002500003155", CardOutcome.CHALLENGE, None),
        ("4000000000000077", CardOutcome.ASYNC, None),
    ],
)
def test_test_cards_have_their_documented_outcomes(
    number: str, outcome: CardOutcome, failure: str | None
) -> None:
    check = check_card(number, 12, 2030, "123", TODAY)
    assert check.rule is not None
    assert (check.rule.outcome, check.rule.failure_code) == (outcome, failure)
    assert check.brand == "visa"
    assert check.last4 == number.replace(" ", "")[-4:]


def test_generic_decline_carries_stripes_decline_code() -> None:
    rule = check_card("4000000000000002", 1, 2031, "999", TODAY).rule
    assert rule is not None
    assert (rule.failure_code, rule.decline_code) == ("card_declined", "generic_decline")


@pytest.mark.parametrize(
    ("number", "month", "year", "cvc", "code"),
    [
        ("4242424242424241", 12, 2030, "123", "incorrect_number"),
        ("42424242", 12, 2030, "123", "incorrect_number"),
        ("4242424242424242", 11, 2026, "123", "expired_card"),
        ("4242424242424242", 13, 2030, "123", "invalid_expiry"),
        ("4242424242424242", 12, 2030, "12", "incorrect_cvc"),
        ("4242424242424242", 12, 2030, "abc", "incorrect_cvc"),
    ],
)
def test_bad_card_input_is_a_field_error_not_an_outcome(
    number: str, month: int, year: int, cvc: str, code: str
) -> None:
    check = check_card(number, month, year, cvc, TODAY)
    assert check.rule is None
    assert check.error_code == code


def test_a_valid_number_that_is_not_a_test_card_is_declined() -> None:
    assert luhn_valid("4111111111111111")
    rule = check_card("4111111111111111", 12, 2030, "123", TODAY).rule
    assert rule is not None
    assert (rule.outcome, rule.failure_code) == (CardOutcome.DECLINE, "card_declined")


def test_the_current_month_is_not_expired() -> None:
    assert check_card("4242424242424242", 12, 2026, "123", TODAY).rule is not None


def test_signatures_verify_with_the_official_stripe_library() -> None:
    body = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
    now = int(time.time())
    header = signature_header(SECRET, body, now)
    assert stripe.WebhookSignature.verify_header(body.decode(), header, SECRET, tolerance=300)
    assert verify_signature(SECRET, body, header, now=now, tolerance_seconds=300) == now


def test_a_signature_the_stripe_library_makes_verifies_here() -> None:
    body = b'{"id":"evt_2"}'
    now = int(time.time())
    expected = stripe.WebhookSignature._compute_signature(f"{now}.{body.decode()}", SECRET)
    assert expected == sign(SECRET, body, now)
    header = f"t={now},v1={expected}"
    assert verify_signature(SECRET, body, header, now=now, tolerance_seconds=300) == now


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "v1=abc",
        "t=notanumber,v1=abc",
        "t=1700000000",
        "t=1700000000,v0=deadbeef",
    ],
)
def test_malformed_signature_headers_are_refused(header: str | None) -> None:
    with pytest.raises(InvalidWebhook):
        verify_signature(SECRET, b"{}", header, now=1700000000, tolerance_seconds=300)


def test_a_tampered_body_or_another_secret_is_refused() -> None:
    body = b'{"amount":1000}'
    header = signature_header(SECRET, body, 1700000000)
    with pytest.raises(InvalidWebhook):
        verify_signature(SECRET, b'{"amount":1}', header, now=1700000000, tolerance_seconds=300)
    with pytest.raises(InvalidWebhook):
        verify_signature("whsec_other", body, header, now=1700000000, tolerance_seconds=300)


def test_timestamps_outside_the_tolerance_are_refused_both_ways() -> None:
    body = b"{}"
    header = signature_header(SECRET, body, 1700000000)
    verify_signature(SECRET, body, header, now=1700000300, tolerance_seconds=300)
    verify_signature(SECRET, body, header, now=1699999700, tolerance_seconds=300)
    for now in (1700000301, 1699999699):
        with pytest.raises(InvalidWebhook):
            verify_signature(SECRET, body, header, now=now, tolerance_seconds=300)


def test_any_matching_v1_among_several_verifies() -> None:
    body = b"{}"
    good = sign(SECRET, body, 1700000000)
    header = f"t=1700000000,v1={'0' * 64},v1={good}"
    assert verify_signature(SECRET, body, header, now=1700000000, tolerance_seconds=300)


def test_form_tokens_are_per_payment_and_purpose() -> None:
    token = form_token(SECRET, "pi_1", "pay")
    assert check_form_token(SECRET, "pi_1", "pay", token)
    assert not check_form_token(SECRET, "pi_2", "pay", token)
    assert not check_form_token(SECRET, "pi_1", "3ds", token)


def test_parsed_events_carry_the_amount_in_upper_case_currency() -> None:
    obj = {
        "id": "pi_abc",
        "object": "payment_intent",
        "amount": 4900,
        "currency": "eur",
        "status": "succeeded",
        "last_payment_error": None,
        "payment_method": {
            "id": "pm_1",
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030},
        },
    }
    event = parse_event(encode_event(build_event("payment_intent.succeeded", obj, utcnow())))
    assert event.type == WebhookEventType.PAYMENT_SUCCEEDED
    assert (event.gateway_payment_id, event.amount_minor, event.currency) == (
        "pi_abc",
        4900,
        "EUR",
    )
    assert event.payment_method is not None
    assert event.payment_method.last4 == "4242"


def test_failed_payment_events_carry_the_failure_code() -> None:
    obj = {
        "id": "pi_x",
        "amount": 100,
        "currency": "usd",
        "last_payment_error": {"code": AUTHENTICATION_FAILED},
    }
    event = parse_event(encode_event(build_event("payment_intent.payment_failed", obj, utcnow())))
    assert (event.type, event.failure_code) == (
        WebhookEventType.PAYMENT_FAILED,
        AUTHENTICATION_FAILED,
    )


def test_unknown_event_types_are_ignored_and_non_events_refused() -> None:
    event = parse_event(encode_event(build_event("customer.created", {"id": "cus_1"}, utcnow())))
    assert event.type == WebhookEventType.IGNORED
    for body in (b"[]", b"not json", json.dumps({"id": "evt", "type": "x"}).encode()):
        with pytest.raises(InvalidWebhook):
            parse_event(body)
