"""A purchase on a deployment configured for Stripe, end to end against the Stripe double: the
payment is Stripe's hosted page (a Checkout Session) as the buyer's next action; Stripe's signed
``checkout.session.completed`` delivered to Campus's webhook endpoint pays the order once and
grants the course, as does the buyer's return; an admin's refund is a Stripe refund of the
session's payment; a delivery that does not verify changes nothing."""

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
from tests.commerce.payment_helpers import path_of, place_order, snapshot, start
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
    assert payment.next_action_url == (
        f"https://checkout.stripe.com/c/pay/{payment.gateway_payment_id}"
    )
    session = double.sessions[payment.gateway_payment_id]
    assert (session["amount_total"], session["currency"]) == (order.total_minor, "eur")
    assert session["metadata"]["order_id"] == str(order.id)

    # The buyer pays on Stripe's page; Stripe tells Campus.
    paid = double.pay_session(payment.gateway_payment_id)
    body = event("checkout.session.completed", paid)
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
        paid["payment_intent"],
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
    body = event("checkout.session.completed", double.pay_session(payment.gateway_payment_id))

    answer = await deliver(client, body, secret="whsec_someone_else")

    assert answer.status_code == 400
    assert await snapshot(db, order.id) == before


async def test_the_buyer_back_from_stripes_page_finds_the_order_paid(
    client: AsyncClient,
    db: Database,
    relay: Relay,
    double: StripeDouble,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    assert payment.gateway_payment_id is not None
    paid = double.pay_session(payment.gateway_payment_id)
    # Stripe sends the buyer to the success URL with the session's id filled in.
    back = str(paid["success_url"]).replace("{CHECKOUT_SESSION_ID}", payment.gateway_payment_id)

    ok(await client.get(path_of(back)))
    await relay.drain()

    state = await snapshot(db, order.id)
    assert (state["status"], state["entitlements"]) == ("paid", 1)
