"""A purchase on a deployment configured for PayPal, end to end against the PayPal double: the
payment is a PayPal order whose approval page is the payment's next action, PayPal's verified
``PAYMENT.CAPTURE.COMPLETED`` delivered to Campus's webhook endpoint pays the order once and
grants the course, the buyer back from approving finds the order captured and paid, an admin's
refund refunds the capture at PayPal, and a delivery PayPal does not verify changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient, Response
from pydantic import SecretStr

from campus.commerce.data import OrderRecord, PaymentRecord
from campus.commerce.gateways import build_gateway
from campus.commerce.gateways.paypal import PayPalGateway
from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import place_order, snapshot, start
from tests.fixtures.catalog import ok

from .doubles.paypal_double import (
    CLIENT_ID,
    CLIENT_SECRET,
    WEBHOOK_ID,
    PayPalDouble,
    paypal_event,
)
from .doubles.server import serve

URL = f"{API}/commerce/webhooks/paypal"


@pytest.fixture
async def double() -> AsyncIterator[PayPalDouble]:
    fake = PayPalDouble()
    async with serve(fake.app()) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


@pytest.fixture
def settings(settings: Settings, double: PayPalDouble) -> Settings:
    return settings.replace(
        commerce_gateway="paypal",
        commerce_paypal_client_id=CLIENT_ID,
        commerce_paypal_client_secret=SecretStr(CLIENT_SECRET),
        commerce_paypal_webhook_id=WEBHOOK_ID,
        commerce_paypal_api_base=double.url,
    )


async def deliver(
    client: AsyncClient, double: PayPalDouble, body: bytes, *, webhook_id: str | None = None
) -> Response:
    return await client.post(URL, content=body, headers=double.sign(body, webhook_id=webhook_id))


@pytest.fixture
async def paying(
    app: FastAPI, commerce: CommerceFactory, db: Database
) -> tuple[OrderRecord, PaymentRecord]:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course("JPY")])
    return order, await start(app, order)


async def captured(app: FastAPI, double: PayPalDouble, payment: PaymentRecord) -> bytes:
    """The buyer approves on PayPal and the order is captured; PayPal's webhook body for it."""
    assert payment.gateway_payment_id is not None
    double.approve(payment.gateway_payment_id)
    gateway = build_gateway(app.state.settings)
    assert isinstance(gateway, PayPalGateway)
    try:
        await gateway.capture_payment(payment.gateway_payment_id)
    finally:
        await gateway.aclose()
    [record] = [c for c in double.captures.values() if c["order_id"] == payment.gateway_payment_id]
    resource = {key: value for key, value in record.items() if key != "order_id"}
    resource["supplementary_data"] = {"related_ids": {"order_id": record["order_id"]}}
    return paypal_event("PAYMENT.CAPTURE.COMPLETED", resource)


async def test_paypals_verified_capture_pays_the_order_once_and_an_admin_refund_reaches_paypal(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    commerce: CommerceFactory,
    double: PayPalDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    assert payment.gateway == "paypal"
    assert payment.gateway_payment_id in double.orders
    assert payment.next_action_url == (
        f"https://www.sandbox.paypal.com/checkoutnow?token={payment.gateway_payment_id}"
    )
    unit = double.orders[payment.gateway_payment_id]["purchase_units"][0]
    assert unit["amount"] == {"currency_code": "JPY", "value": str(order.total_minor)}

    body = await captured(app, double, payment)
    first = ok(await deliver(client, double, body))
    again = ok(await deliver(client, double, body))
    await relay.drain()

    assert (first["outcome"], again["duplicate"]) == ("applied", True)
    state = await snapshot(db, order.id)
    assert (state["status"], state["entitlements"]) == ("paid", 1)

    admin = await commerce.admin()
    refund = ok(
        await client.post(
            f"{API}/orders/{order.id}/refunds",
            json={"reason": "duplicate purchase"},
            headers={**admin.headers, "Idempotency-Key": "refund-1"},
        ),
        201,
    )
    assert refund["gatewayRefundId"] in double.refunds
    paypal_refund = double.refunds[refund["gatewayRefundId"]]
    assert paypal_refund["amount"] == {"currency_code": "JPY", "value": str(order.total_minor)}
    await relay.drain()
    assert (await snapshot(db, order.id))["status"] == "refunded"


async def test_a_paypal_delivery_paypal_does_not_verify_is_400_and_changes_nothing(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    double: PayPalDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    body = await captured(app, double, payment)
    before = await snapshot(db, order.id)

    answer = await deliver(client, double, body, webhook_id="ANOTHERWEBHOOK")

    assert answer.status_code == 400
    assert await snapshot(db, order.id) == before


async def test_the_buyer_back_from_approving_on_paypal_finds_the_order_paid(
    client: AsyncClient,
    db: Database,
    relay: Relay,
    double: PayPalDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    assert payment.gateway_payment_id is not None
    double.approve(payment.gateway_payment_id)

    ok(
        await client.get(
            f"{API}/orders/{order.id}/return",
            params={"token": payment.gateway_payment_id, "PayerID": "QYR5Z8XDVJNXQ"},
        )
    )
    await relay.drain()

    assert [c["order_id"] for c in double.captures.values()] == [payment.gateway_payment_id]
    state = await snapshot(db, order.id)
    assert (state["status"], state["entitlements"]) == ("paid", 1)


async def test_a_delivery_paypal_cannot_verify_for_now_is_a_server_error_so_paypal_retries(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    double: PayPalDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    body = await captured(app, double, payment)
    before = await snapshot(db, order.id)
    double.fail_next(503)  # the token call of the app's own gateway

    answer = await deliver(client, double, body)

    assert answer.status_code >= 500
    assert await snapshot(db, order.id) == before
