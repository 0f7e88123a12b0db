"""Stripe webhooks: signatures made with the stripe library's own algorithm, verified by the
adapter on the raw body, and Stripe events mapped to the port's events."""

from __future__ import annotations

import time
from typing import Any

import pytest
import stripe

from campus.commerce.gateways.port import InvalidWebhook, WebhookEventType
from campus.commerce.gateways.stripe import StripeGateway

from .doubles.stripe_double import event

SECRET = "whsec_campus_test_secret"


@pytest.fixture
def gateway() -> StripeGateway:
    # No request reaches Stripe: verifying a webhook is local.
    return StripeGateway(api_key="sk_test_x", webhook_secret=SECRET, api_base="http://127.0.0.1:9")


def signed(body: str, *, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return {"stripe-signature": header, "content-type": "application/json"}


def intent(**fields: Any) -> dict[str, Any]:
    return {
        "id": "pi_3Q0001",
        "object": "payment_intent",
        "amount": 4999,
        "amount_received": 4999,
        "currency": "usd",
        "customer": None,
        "last_payment_error": None,
        "next_action": None,
        "payment_method": "pm_1Q0001",
        "status": "succeeded",
        **fields,
    }


# --------------------------------------------------------------------------- signatures


async def test_valid_signature_yields_the_event(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent(), event_id="evt_1")

    verified = await gateway.verify_webhook(body.encode(), signed(body))

    assert verified.gateway == "stripe"
    assert verified.event_id == "evt_1"
    assert verified.type is WebhookEventType.PAYMENT_SUCCEEDED
    assert verified.provider_type == "payment_intent.succeeded"
    assert verified.gateway_payment_id == "pi_3Q0001"
    assert (verified.amount_minor, verified.currency) == (4999, "USD")
    assert abs(verified.created_at.timestamp() - time.time()) < 60


async def test_tampered_body_is_refused(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent())
    headers = signed(body)
    tampered = body.replace('"amount": 4999', '"amount": 1')
    assert tampered != body

    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(tampered.encode(), headers)


async def test_signature_with_another_secret_is_refused(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent())
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body.encode(), signed(body, secret="whsec_other"))


async def test_timestamp_older_than_the_tolerance_is_refused(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent())
    stale = int(time.time()) - 301
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body.encode(), signed(body, timestamp=stale))


async def test_timestamp_ahead_beyond_the_tolerance_is_refused(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent())
    ahead = int(time.time()) + 301
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body.encode(), signed(body, timestamp=ahead))


async def test_timestamp_within_the_tolerance_is_accepted(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent())
    recent = int(time.time()) - 240
    verified = await gateway.verify_webhook(body.encode(), signed(body, timestamp=recent))
    assert verified.type is WebhookEventType.PAYMENT_SUCCEEDED


async def test_a_configured_tolerance_applies() -> None:
    strict = StripeGateway(
        api_key="sk_test_x",
        webhook_secret=SECRET,
        api_base="http://127.0.0.1:9",
        tolerance_seconds=60,
    )
    body = event("payment_intent.succeeded", intent())
    with pytest.raises(InvalidWebhook):
        await strict.verify_webhook(body.encode(), signed(body, timestamp=int(time.time()) - 90))


async def test_any_matching_v1_entry_verifies_as_during_a_secret_roll(
    gateway: StripeGateway,
) -> None:
    body = event("payment_intent.succeeded", intent())
    now = int(time.time())
    old = signed(body, secret="whsec_rolled_out", timestamp=now)["stripe-signature"]
    new = signed(body, timestamp=now)["stripe-signature"]
    header = f"{old},v1={new.split('v1=')[1]},v0=deadbeef"

    verified = await gateway.verify_webhook(body.encode(), {"stripe-signature": header})
    assert verified.type is WebhookEventType.PAYMENT_SUCCEEDED


async def test_several_v1_entries_none_matching_are_refused(gateway: StripeGateway) -> None:
    body = event("payment_intent.succeeded", intent())
    now = int(time.time())
    first = signed(body, secret="whsec_a", timestamp=now)["stripe-signature"]
    second = signed(body, secret="whsec_b", timestamp=now)["stripe-signature"]
    header = f"{first},v1={second.split('v1=')[1]}"
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body.encode(), {"stripe-signature": header})


@pytest.mark.parametrize(
    "headers",
    [{}, {"stripe-signature": ""}, {"stripe-signature": "garbage"}, {"stripe-signature": "t=1"}],
)
async def test_missing_or_malformed_signature_header_is_refused(
    gateway: StripeGateway, headers: dict[str, str]
) -> None:
    body = event("payment_intent.succeeded", intent())
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body.encode(), headers)


async def test_body_that_is_not_utf8_is_refused(gateway: StripeGateway) -> None:
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(b"\xff\xfe{}", {"stripe-signature": "t=1,v1=00"})


async def test_signed_body_that_is_not_an_event_is_refused(gateway: StripeGateway) -> None:
    for body in ("not json", "[]", '{"id": "evt_1"}'):
        with pytest.raises(InvalidWebhook):
            await gateway.verify_webhook(body.encode(), signed(body))


# --------------------------------------------------------------------------- mapping


async def test_payment_failed_carries_the_decline_code(gateway: StripeGateway) -> None:
    failed = intent(
        status="requires_payment_method",
        amount_received=0,
        last_payment_error={
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
        },
    )
    body = event("payment_intent.payment_failed", failed)

    verified = await gateway.verify_webhook(body.encode(), signed(body))

    assert verified.type is WebhookEventType.PAYMENT_FAILED
    assert verified.failure_code == "insufficient_funds"


@pytest.mark.parametrize(
    ("provider_type", "status", "expected"),
    [
        ("payment_intent.canceled", "canceled", WebhookEventType.PAYMENT_CANCELED),
        ("payment_intent.processing", "processing", WebhookEventType.PAYMENT_PROCESSING),
    ],
)
async def test_intent_events_map_to_the_port(
    gateway: StripeGateway, provider_type: str, status: str, expected: WebhookEventType
) -> None:
    body = event(provider_type, intent(status=status))
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is expected
    assert verified.gateway_payment_id == "pi_3Q0001"


async def test_expanded_payment_method_gives_the_card_display_data(
    gateway: StripeGateway,
) -> None:
    method = {
        "id": "pm_1Q0001",
        "object": "payment_method",
        "type": "card",
        "card": {"brand": "visa", "last4": "4242", "exp_month": 4, "exp_year": 2031},
    }
    body = event("payment_intent.succeeded", intent(payment_method=method))
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.payment_method is not None
    assert (verified.payment_method.token, verified.payment_method.last4) == ("pm_1Q0001", "4242")


def session(**fields: Any) -> dict[str, Any]:
    return {
        "id": "cs_test_a1b2c3",
        "object": "checkout.session",
        "amount_total": 3200,
        "currency": "jpy",
        "customer": None,
        "mode": "payment",
        "payment_intent": "pi_3Q0002",
        "payment_status": "paid",
        "status": "complete",
        "url": None,
        **fields,
    }


@pytest.mark.parametrize(
    ("provider_type", "fields", "expected"),
    [
        ("checkout.session.completed", {}, WebhookEventType.PAYMENT_SUCCEEDED),
        (
            "checkout.session.completed",
            {"payment_status": "unpaid"},
            WebhookEventType.PAYMENT_PROCESSING,
        ),
        ("checkout.session.async_payment_succeeded", {}, WebhookEventType.PAYMENT_SUCCEEDED),
        (
            "checkout.session.async_payment_failed",
            {"payment_status": "unpaid"},
            WebhookEventType.PAYMENT_FAILED,
        ),
        (
            "checkout.session.expired",
            {"status": "expired", "payment_intent": None, "payment_status": "unpaid"},
            WebhookEventType.PAYMENT_CANCELED,
        ),
    ],
)
async def test_hosted_page_events_name_the_session(
    gateway: StripeGateway,
    provider_type: str,
    fields: dict[str, Any],
    expected: WebhookEventType,
) -> None:
    body = event(provider_type, session(**fields))
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is expected
    assert verified.gateway_payment_id == "cs_test_a1b2c3"
    assert (verified.amount_minor, verified.currency) == (3200, "JPY")


async def test_the_intent_events_of_a_hosted_page_are_ignored(gateway: StripeGateway) -> None:
    hosted = intent(metadata={"order_id": "o1", "campus_hosted_page": "1"})
    body = event("payment_intent.succeeded", hosted)
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is WebhookEventType.IGNORED


def refund_object(**fields: Any) -> dict[str, Any]:
    return {
        "id": "re_3Q0001",
        "object": "refund",
        "amount": 1000,
        "charge": "ch_3Q0001",
        "created": int(time.time()),
        "currency": "eur",
        "payment_intent": "pi_3Q0001",
        "status": "succeeded",
        **fields,
    }


@pytest.mark.parametrize(
    ("provider_type", "status", "expected"),
    [
        ("refund.updated", "succeeded", WebhookEventType.REFUND_SUCCEEDED),
        ("refund.created", "succeeded", WebhookEventType.REFUND_SUCCEEDED),
        ("refund.failed", "failed", WebhookEventType.REFUND_FAILED),
        ("refund.updated", "canceled", WebhookEventType.REFUND_FAILED),
        ("refund.created", "pending", WebhookEventType.IGNORED),
        ("charge.refund.updated", "succeeded", WebhookEventType.REFUND_SUCCEEDED),
    ],
)
async def test_refund_events_map_by_the_refund_status(
    gateway: StripeGateway, provider_type: str, status: str, expected: WebhookEventType
) -> None:
    body = event(provider_type, refund_object(status=status))
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is expected
    assert verified.gateway_refund_id == "re_3Q0001"
    assert verified.gateway_payment_id == "pi_3Q0001"
    assert (verified.amount_minor, verified.currency) == (1000, "EUR")


async def test_charge_refunded_names_its_newest_refund(gateway: StripeGateway) -> None:
    charge = {
        "id": "ch_3Q0001",
        "object": "charge",
        "amount": 4999,
        "amount_refunded": 3000,
        "currency": "usd",
        "payment_intent": "pi_3Q0001",
        "refunded": False,
        "refunds": {
            "object": "list",
            "data": [
                refund_object(id="re_old", amount=1000, currency="usd", created=100),
                refund_object(id="re_new", amount=2000, currency="usd", created=200),
            ],
        },
    }
    body = event("charge.refunded", charge)
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is WebhookEventType.REFUND_SUCCEEDED
    assert (verified.gateway_refund_id, verified.amount_minor) == ("re_new", 2000)
    assert verified.gateway_payment_id == "pi_3Q0001"


async def test_charge_refunded_without_refunds_list_gives_the_refunded_total(
    gateway: StripeGateway,
) -> None:
    charge = {
        "id": "ch_3Q0001",
        "object": "charge",
        "amount": 5000,
        "amount_refunded": 5000,
        "currency": "jpy",
        "payment_intent": "pi_3Q0001",
        "refunded": True,
    }
    body = event("charge.refunded", charge)
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is WebhookEventType.REFUND_SUCCEEDED
    assert verified.gateway_refund_id is None
    assert (verified.amount_minor, verified.currency) == (5000, "JPY")


@pytest.mark.parametrize(
    "provider_type",
    ["payment_intent.created", "customer.created", "charge.succeeded", "invoice.paid"],
)
async def test_other_events_are_ignored_but_keep_their_id(
    gateway: StripeGateway, provider_type: str
) -> None:
    body = event(provider_type, {"id": "obj_1", "object": "whatever"}, event_id="evt_9")
    verified = await gateway.verify_webhook(body.encode(), signed(body))
    assert verified.type is WebhookEventType.IGNORED
    assert (verified.event_id, verified.provider_type) == ("evt_9", provider_type)


async def test_signed_event_of_a_known_type_with_a_broken_object_is_refused(
    gateway: StripeGateway,
) -> None:
    body = event("payment_intent.succeeded", {"id": "pi_1", "status": "succeeded"})
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body.encode(), signed(body))
