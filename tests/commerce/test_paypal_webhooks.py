"""PayPal webhooks: verified through PayPal's ``verify-webhook-signature`` postback (here the
PayPal double's), the transmission time within the tolerance, and PayPal events mapped to the
port's events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from campus.commerce.gateways.paypal import PayPalGateway
from campus.commerce.gateways.port import (
    GatewayError,
    InvalidWebhook,
    PaymentRequest,
    WebhookEventType,
)
from campus.kernel.clock import Clock, utcnow

from .doubles.paypal_double import (
    CLIENT_ID,
    CLIENT_SECRET,
    WEBHOOK_ID,
    PayPalDouble,
    paypal_event,
)
from .doubles.server import serve

VERIFY = "/v1/notifications/verify-webhook-signature"


@pytest.fixture
async def double() -> AsyncIterator[PayPalDouble]:
    fake = PayPalDouble()
    async with serve(fake.app()) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


def make_gateway(double: PayPalDouble, *, webhook_id: str = WEBHOOK_ID) -> PayPalGateway:
    return PayPalGateway(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        webhook_id=webhook_id,
        api_base=double.url,
        tolerance_seconds=300,
    )


@pytest.fixture
async def gateway(double: PayPalDouble) -> AsyncIterator[PayPalGateway]:
    adapter = make_gateway(double)
    yield adapter
    await adapter.aclose()


def capture(**fields: Any) -> dict[str, Any]:
    return {
        "id": "42311647XV020574X",
        "status": "COMPLETED",
        "amount": {"currency_code": "EUR", "value": "39.00"},
        "final_capture": True,
        "supplementary_data": {"related_ids": {"order_id": "5O190127TN364715T"}},
        **fields,
    }


def verify_calls(double: PayPalDouble) -> list[Any]:
    return [body for _, path, _, body in double.requests if path == VERIFY]


def stamp(moment_offset: timedelta) -> str:
    return (utcnow() + moment_offset).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- verification


async def test_verified_delivery_yields_the_event(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture(), event_id="WH-1")
    headers = double.sign(body)

    event = await gateway.verify_webhook(body, headers)

    assert event.gateway == "paypal"
    assert event.event_id == "WH-1"
    assert event.type is WebhookEventType.PAYMENT_SUCCEEDED
    assert event.provider_type == "PAYMENT.CAPTURE.COMPLETED"
    assert event.gateway_payment_id == "5O190127TN364715T"
    assert (event.amount_minor, event.currency) == (3900, "EUR")
    [sent] = verify_calls(double)
    assert sent["webhook_id"] == WEBHOOK_ID
    assert sent["transmission_id"] == headers["paypal-transmission-id"]
    assert sent["transmission_sig"] == headers["paypal-transmission-sig"]
    assert sent["transmission_time"] == headers["paypal-transmission-time"]
    assert sent["cert_url"] == headers["paypal-cert-url"]
    assert sent["auth_algo"] == "SHA256withRSA"
    assert sent["webhook_event"] == json.loads(body)


async def test_event_is_sent_for_verification_byte_for_byte(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = (
        b'{"id":"WH-2", "create_time":"2026-01-01T00:00:00Z","event_type":"X.Y",\n "resource":{}}'
    )
    await gateway.verify_webhook(body, double.sign(body))
    sent = double.raw_bodies[-1]
    assert sent.endswith(b'"webhook_event": ' + body + b"}")
    assert json.loads(sent)["webhook_event"] == json.loads(body)


async def test_tampered_body_fails_verification(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = double.sign(body)
    tampered = body.replace(b'"39.00"', b'"0.01"')
    assert tampered != body

    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(tampered, headers)


async def test_delivery_for_another_webhook_fails_verification(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, double.sign(body, webhook_id="OTHERWEBHOOK"))


async def test_campus_configured_with_another_webhook_id_refuses_the_delivery(
    double: PayPalDouble,
) -> None:
    gateway = make_gateway(double, webhook_id="SOMEONEELSE")
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    try:
        with pytest.raises(InvalidWebhook):
            await gateway.verify_webhook(body, double.sign(body))
    finally:
        await gateway.aclose()


async def test_forged_signature_fails_verification(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = {**double.sign(body), "paypal-transmission-sig": "Zm9yZ2Vk"}
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, headers)


@pytest.mark.parametrize("offset", [timedelta(seconds=-301), timedelta(seconds=301)])
async def test_transmission_time_outside_the_tolerance_is_refused_without_asking_paypal(
    double: PayPalDouble, gateway: PayPalGateway, frozen_clock: Clock, offset: timedelta
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = double.sign(body, transmission_time=stamp(offset))

    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, headers)
    assert verify_calls(double) == []


async def test_transmission_time_within_the_tolerance_is_accepted(
    double: PayPalDouble, gateway: PayPalGateway, frozen_clock: Clock
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = double.sign(body, transmission_time=stamp(timedelta(seconds=-299)))
    event = await gateway.verify_webhook(body, headers)
    assert event.type is WebhookEventType.PAYMENT_SUCCEEDED


@pytest.mark.parametrize(
    "header",
    [
        "paypal-transmission-id",
        "paypal-transmission-time",
        "paypal-transmission-sig",
        "paypal-cert-url",
        "paypal-auth-algo",
    ],
)
async def test_a_missing_transmission_header_is_refused(
    double: PayPalDouble, gateway: PayPalGateway, header: str
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = double.sign(body)
    del headers[header]
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, headers)
    assert verify_calls(double) == []


async def test_unreadable_transmission_time_is_refused(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = {**double.sign(body), "paypal-transmission-time": "yesterday"}
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, headers)


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'{"id": "WH-1"}, "webhook_id": "SOMEONEELSE"',
        b"\xff\xfe",
    ],
)
async def test_a_body_that_is_not_one_json_object_never_reaches_paypal(
    double: PayPalDouble, gateway: PayPalGateway, body: bytes
) -> None:
    headers = double.sign(b'{"id": "WH-1"}')
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, headers)
    assert verify_calls(double) == []


async def test_verification_service_outage_is_a_retryable_error_not_a_bad_signature(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", capture())
    headers = double.sign(body)
    await gateway.verify_webhook(body, headers)  # the token is fetched
    double.fail_next(503)
    with pytest.raises(GatewayError) as caught:
        await gateway.verify_webhook(body, headers)
    assert caught.value.retryable is True


# --------------------------------------------------------------------------- mapping


@pytest.mark.parametrize(
    ("event_type", "status", "expected", "failure"),
    [
        ("PAYMENT.CAPTURE.PENDING", "PENDING", WebhookEventType.PAYMENT_PROCESSING, None),
        ("PAYMENT.CAPTURE.DENIED", "DECLINED", WebhookEventType.PAYMENT_FAILED, "denied"),
        ("PAYMENT.CAPTURE.DECLINED", "DECLINED", WebhookEventType.PAYMENT_FAILED, "declined"),
    ],
)
async def test_capture_events_map_to_the_port(
    double: PayPalDouble,
    gateway: PayPalGateway,
    event_type: str,
    status: str,
    expected: WebhookEventType,
    failure: str | None,
) -> None:
    body = paypal_event(event_type, capture(status=status))
    event = await gateway.verify_webhook(body, double.sign(body))
    assert event.type is expected
    assert event.gateway_payment_id == "5O190127TN364715T"
    assert event.failure_code == failure


async def test_capture_denied_with_a_reason_carries_it(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    resource = capture(status="DECLINED", status_details={"reason": "BUYER_COMPLAINT"})
    body = paypal_event("PAYMENT.CAPTURE.DENIED", resource)
    event = await gateway.verify_webhook(body, double.sign(body))
    assert event.failure_code == "buyer_complaint"


def order_resource(status: str) -> dict[str, Any]:
    return {
        "id": "5O190127TN364715T",
        "intent": "CAPTURE",
        "status": status,
        "purchase_units": [
            {"reference_id": "default", "amount": {"currency_code": "JPY", "value": "5000"}}
        ],
        "links": [],
    }


@pytest.mark.parametrize(
    ("event_type", "status", "expected"),
    [
        ("CHECKOUT.ORDER.APPROVED", "APPROVED", WebhookEventType.PAYMENT_PROCESSING),
        ("CHECKOUT.ORDER.VOIDED", "VOIDED", WebhookEventType.PAYMENT_CANCELED),
    ],
)
async def test_order_events_map_to_the_port(
    double: PayPalDouble,
    gateway: PayPalGateway,
    event_type: str,
    status: str,
    expected: WebhookEventType,
) -> None:
    body = paypal_event(event_type, order_resource(status), resource_type="checkout-order")
    event = await gateway.verify_webhook(body, double.sign(body))
    assert event.type is expected
    assert event.gateway_payment_id == "5O190127TN364715T"
    assert (event.amount_minor, event.currency) == (5000, "JPY")


async def test_payment_approval_reversed_is_a_failed_payment(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    resource = {
        "order_id": "5O190127TN364715T",
        "purchase_units": [{"amount": {"currency_code": "USD", "value": "49.99"}}],
    }
    body = paypal_event("CHECKOUT.PAYMENT-APPROVAL.REVERSED", resource, resource_type="checkout")
    event = await gateway.verify_webhook(body, double.sign(body))
    assert event.type is WebhookEventType.PAYMENT_FAILED
    assert event.gateway_payment_id == "5O190127TN364715T"
    assert event.failure_code == "payment_approval_reversed"
    assert (event.amount_minor, event.currency) == (4999, "USD")


async def test_capture_refunded_names_the_refund_and_finds_its_order(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    created = await gateway.create_payment(
        PaymentRequest(
            order_id="o1",
            amount_minor=3900,
            currency="EUR",
            description="Campus order",
            idempotency_key="order:o1:attempt:1",
            return_url="https://campus.example/r",
            cancel_url="https://campus.example/c",
            buyer_email="buyer@example.com",
        )
    )
    double.approve(created.gateway_payment_id)
    await gateway.capture_payment(created.gateway_payment_id)
    refund = await gateway.refund(
        created.gateway_payment_id, amount_minor=1000, currency="EUR", idempotency_key="r1"
    )
    resource = {
        key: value
        for key, value in double.refunds[refund.gateway_refund_id].items()
        if key != "capture_id"
    }
    body = paypal_event("PAYMENT.CAPTURE.REFUNDED", resource, resource_type="refund")

    event = await gateway.verify_webhook(body, double.sign(body))

    assert event.type is WebhookEventType.REFUND_SUCCEEDED
    assert event.gateway_refund_id == refund.gateway_refund_id
    assert event.gateway_payment_id == created.gateway_payment_id
    assert (event.amount_minor, event.currency) == (1000, "EUR")


@pytest.mark.parametrize(
    "event_type",
    ["PAYMENT.CAPTURE.REVERSED", "CUSTOMER.DISPUTE.CREATED", "BILLING.SUBSCRIPTION.CREATED"],
)
async def test_other_events_are_ignored_but_keep_their_id(
    double: PayPalDouble, gateway: PayPalGateway, event_type: str
) -> None:
    body = paypal_event(event_type, {"id": "X1"}, event_id="WH-9")
    event = await gateway.verify_webhook(body, double.sign(body))
    assert event.type is WebhookEventType.IGNORED
    assert (event.event_id, event.provider_type) == ("WH-9", event_type)


async def test_verified_event_of_a_known_type_with_a_broken_resource_is_refused(
    double: PayPalDouble, gateway: PayPalGateway
) -> None:
    body = paypal_event("PAYMENT.CAPTURE.COMPLETED", {"id": "X1", "amount": {"value": 39}})
    with pytest.raises(InvalidWebhook):
        await gateway.verify_webhook(body, double.sign(body))
