"""A purchase on a deployment configured for Stripe, end to end against the Stripe double: the
payment is a PaymentIntent at Stripe, Stripe's signed ``payment_intent.succeeded`` delivered to
Campus's webhook endpoint pays the order once and grants the course, an admin's refund is a
Stripe refund, and a delivery that does not verify changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import stripe
from fastapi import FastAPI
from httpx import AsyncClient, Response
from pydantic import SecretStr

from campus.commerce.data import OrderRecord, PaymentRecord
from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import place_order, snapshot, start
from tests.fixtures.catalog import ok

from .doubles.server import serve
from .doubles.stripe_double import API_KEY, StripeDouble, event

SECRET = "whsec_campus_purchase"
URL = f"{API}/commerce/webhooks/stripe"

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
async def double() -> AsyncIterator[StripeDouble]:
    fake = StripeDouble()
    async with serve(fake.app()) as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake.release()


@pytest.fixture
def settings(settings: Settings, double: StripeDouble) -> Settings:
    return settings.replace(
        commerce_gateway="stripe",
        commerce_stripe_api_key=SecretStr(API_KEY),
        commerce_stripe_webhook_secret=SecretStr(SECRET),
        commerce_stripe_api_base=double.url,
    )


async def deliver(client: AsyncClient, body: str, *, secret: str = SECRET) -> Response:
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    return await client.post(
        URL,
        content=body.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": header},
    )


@pytest.fixture
async def paying(
    app: FastAPI, commerce: CommerceFactory, db: Database
) -> tuple[OrderRecord, PaymentRecord]:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course("EUR")])
    return order, await start(app, order)


async def test_stripes_signed_success_pays_the_order_once_and_an_admin_refund_reaches_stripe(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    commerce: CommerceFactory,
    double: StripeDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    assert payment.gateway == "stripe"
    assert payment.gateway_payment_id is not None
    intent = double.intents[payment.gateway_payment_id]
    assert (intent["amount"], intent["currency"]) == (order.total_minor, "eur")
    assert intent["metadata"]["order_id"] == str(order.id)

    # The buyer pays on Stripe; Stripe tells Campus.
    double.settle(payment.gateway_payment_id)
    body = event("payment_intent.succeeded", double.intents[payment.gateway_payment_id])
    first = ok(await deliver(client, body))
    again = ok(await deliver(client, body))
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
    stripe_refund = double.refunds[refund["gatewayRefundId"]]
    assert (stripe_refund["amount"], stripe_refund["payment_intent"]) == (
        order.total_minor,
        payment.gateway_payment_id,
    )
    await relay.drain()
    assert (await snapshot(db, order.id))["status"] == "refunded"


async def test_a_stripe_delivery_signed_with_another_secret_is_400_and_changes_nothing(
    client: AsyncClient,
    db: Database,
    double: StripeDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    assert payment.gateway_payment_id is not None
    before = await snapshot(db, order.id)
    double.settle(payment.gateway_payment_id)
    body = event("payment_intent.succeeded", double.intents[payment.gateway_payment_id])

    answer = await deliver(client, body, secret="whsec_someone_else")

    assert answer.status_code == 400
    assert await snapshot(db, order.id) == before
