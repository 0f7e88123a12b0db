"""The whole purchase on the sandbox gateway, through HTTP: the hosted page, 3-D Secure, a
decline, an asynchronous success, and signed webhooks delivered over real HTTP (a uvicorn
server on 127.0.0.1) by the relay, each applied exactly once (WH-01, WH-06, WH-07)."""

from __future__ import annotations

import socket
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.gateways import sandbox
from campus.commerce.models import PaymentMethod
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage, enqueue_job
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import (
    ASYNC,
    DECLINE,
    NO_FUNDS,
    SUCCESS,
    THREE_DS,
    Browser,
    form_token_in,
    path_of,
    place_order,
    snapshot,
    start,
)
from tests.fixtures.catalog import ok


@pytest.fixture
def app(served_app: FastAPI) -> FastAPI:
    return served_app


async def delivered_events(db: Database) -> list[dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.name == sandbox.DELIVER_JOB)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
        return [dict(row.payload["event"]) for row in rows if row.payload]


async def test_a_card_paid_on_the_hosted_page_pays_the_order_once_and_grants_every_course(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course("EUR"), await commerce.paid_course("EUR")]
    order = await place_order(db, buyer, courses)
    payment = await start(app, order)
    assert payment.status == "requires_payment_method"
    assert payment.next_action_url is not None
    assert "/commerce/sandbox/pay/pi_" in payment.next_action_url

    paid = await Browser(client).pay(payment, SUCCESS)
    assert paid.status_code == 303
    back = paid.headers["location"]
    assert back.startswith(f"{app.state.settings.base_url}/api/v1/orders/{order.id}/return?")
    assert f"payment_intent={payment.gateway_payment_id}" in back
    assert "redirect_status=succeeded" in back
    assert paid.headers["content-security-policy"].startswith("default-src 'none'")

    await relay.drain()  # the webhook travels over HTTP, then fulfilment runs
    state = await snapshot(db, order.id)
    assert state["status"] == "paid"
    assert state["payments"] == [("succeeded", order.total_minor, 0)]
    assert state["entitlements"] == 2
    assert state["fulfilled_at"] is not None
    assert state["events"].get("commerce.order_paid") == 1
    assert state["webhooks"] == 1

    # The buyer's browser arrives afterwards, without a token: the payment id is enough.
    answer = ok(await client.get(path_of(back)))
    assert answer["orderStatus"] == "paid"
    assert answer["payment"]["status"] == "succeeded"
    learning = ok(await client.get(f"{API}/me/learning", headers=buyer.headers))
    assert {item["course"]["id"] for item in learning["items"]} == {str(c.id) for c in courses}
    assert (await snapshot(db, order.id)) == state


async def test_three_d_secure_completed_pays_and_failed_declines(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("USD")
    browser = Browser(client)

    order = await place_order(db, buyer, [course])
    payment = await start(app, order)
    challenged = await browser.pay(payment, THREE_DS)
    assert challenged.status_code == 303
    challenge_url = challenged.headers["location"]
    assert challenge_url == f"/api/v1/commerce/sandbox/3ds/{payment.gateway_payment_id}"
    done = await browser.authenticate(challenge_url, "complete")
    assert done.status_code == 303
    assert "redirect_status=succeeded" in done.headers["location"]
    await relay.drain()
    assert (await snapshot(db, order.id))["status"] == "paid"

    other = await place_order(db, await commerce.buyer("Cy"), [course])
    failing = await start(app, other)
    challenged = await browser.pay(failing, THREE_DS)
    refused = await browser.authenticate(challenged.headers["location"], "fail")
    assert refused.status_code == 402
    assert "authentication failed" in refused.text
    await relay.drain()
    state = await snapshot(db, other.id)
    assert state["status"] == "pending"
    assert state["payments"] == [("requires_payment_method", 0, 0)]
    assert state["entitlements"] == 0


async def test_a_declined_card_keeps_the_order_pending_and_another_card_then_pays(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    order = await place_order(db, buyer, [await commerce.paid_course("JPY")])
    payment = await start(app, order)
    browser = Browser(client)

    declined = await browser.pay(payment, DECLINE)
    assert declined.status_code == 402
    assert "Your card was declined." in declined.text
    poor = await browser.pay(payment, NO_FUNDS)
    assert "insufficient funds" in poor.text
    await relay.drain()
    state = await snapshot(db, order.id)
    assert state["status"] == "pending"
    assert state["entitlements"] == 0
    view = ok(await client.get(f"{API}/orders/{order.id}/return", headers=buyer.headers))
    assert view["payment"]["failureCode"] == "insufficient_funds"
    events = [e["type"] for e in await delivered_events(db)]
    assert events == ["payment_intent.payment_failed", "payment_intent.payment_failed"]

    paid = await browser.pay(payment, SUCCESS)
    assert paid.status_code == 303
    await relay.drain()
    state = await snapshot(db, order.id)
    assert state["status"] == "paid"
    assert state["entitlements"] == 1


async def test_bad_card_input_is_shown_on_the_page_and_changes_nothing(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    payment = await start(app, order)
    before = await snapshot(db, order.id)
    expired = await Browser(client).pay(payment, SUCCESS, exp=("01", "2020"))
    assert expired.status_code == 402
    assert "The card has expired." in expired.text
    assert await delivered_events(db) == []
    assert await snapshot(db, order.id) == before


async def test_a_form_posted_without_the_pages_token_is_refused(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    payment = await start(app, order)
    assert payment.next_action_url is not None
    forged = await client.post(
        path_of(payment.next_action_url),
        data={
            "formToken": "0" * 64,
            "cardNumber": SUCCESS,
            "expMonth": "12",
            "expYear": "2030",
            "cvc": "123",
        },
    )
    assert forged.status_code == 403
    assert await delivered_events(db) == []
    assert (await snapshot(db, order.id))["payments"] == [("requires_payment_method", 0, 0)]


async def test_the_hosted_page_escapes_what_it_shows(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    course = await commerce.paid_course(title="<script>alert(1)</script>")
    order = await place_order(db, await commerce.buyer(), [course])
    payment = await start(app, order)
    assert payment.next_action_url is not None
    page = await client.get(path_of(payment.next_action_url))
    assert "<script>" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert (await client.get(f"{API}/commerce/sandbox/pay/pi_doesnotexist")).status_code == 404


async def test_an_asynchronous_success_whose_webhook_arrives_before_the_redirect(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    db: Database,
    frozen_clock: Clock,
) -> None:
    buyer = await commerce.buyer()
    order = await place_order(db, buyer, [await commerce.paid_course()])
    payment = await start(app, order)
    processing = await Browser(client).pay(payment, ASYNC)
    assert processing.status_code == 303
    back = processing.headers["location"]
    assert "redirect_status=processing" in back

    await relay.drain()  # the processing event only
    assert (await snapshot(db, order.id))["payments"] == [("processing", 0, 0)]
    frozen_clock.advance(seconds=5)
    await relay.drain()  # settled, delivered, applied, fulfilled: all before the buyer returns
    state = await snapshot(db, order.id)
    assert state["status"] == "paid"
    assert state["entitlements"] == 1

    answer = ok(await client.get(path_of(back)))
    assert (answer["orderStatus"], answer["payment"]["status"]) == ("paid", "succeeded")
    assert await snapshot(db, order.id) == state
    types = [e["type"] for e in await delivered_events(db)]
    assert types == ["payment_intent.processing", "payment_intent.succeeded"]


async def test_the_redirect_may_pay_the_order_first_and_the_late_webhook_then_changes_nothing(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    order = await place_order(db, buyer, [await commerce.paid_course()])
    payment = await start(app, order)
    paid = await Browser(client).pay(payment, SUCCESS)
    answer = ok(await client.get(path_of(paid.headers["location"])))
    assert answer["orderStatus"] == "paid"
    await relay.drain()  # the late webhook, then fulfilment
    state = await snapshot(db, order.id)
    assert state["status"] == "paid"
    assert state["events"]["commerce.order_paid"] == 1
    assert state["entitlements"] == 1
    async with db.read_session() as session:
        outcome = await session.scalar(sa.text("SELECT outcome FROM commerce_webhook_events"))
    assert outcome == "ignored"


async def test_a_webhook_delivered_twice_is_applied_once(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    order = await place_order(db, buyer, [await commerce.paid_course()])
    payment = await start(app, order)
    await Browser(client).pay(payment, SUCCESS)
    await relay.drain()
    state = await snapshot(db, order.id)
    (event,) = await delivered_events(db)
    async with db.session() as session:  # the provider delivers the same event again
        await enqueue_job(session, sandbox.DELIVER_JOB, {"event": event})
    assert await relay.drain() >= 1
    assert await snapshot(db, order.id) == state


async def test_a_card_saved_at_payment_pays_the_next_order_after_a_confirmation(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    first = await place_order(db, buyer, [await commerce.paid_course()])
    await Browser(client).pay(await start(app, first, save=True), SUCCESS)
    await relay.drain()
    methods = ok(await client.get(f"{API}/payment-methods", headers=buyer.headers))
    (method,) = methods["items"]
    assert (method["brand"], method["last4"], method["isDefault"]) == ("visa", "4242", True)
    assert (method["expMonth"], method["expYear"]) == (12, 2030)
    async with db.read_session() as session:
        token = await session.scalar(sa.select(PaymentMethod.token))
    assert token is not None
    assert token.startswith("pm_")
    assert "4242424242424242" not in str(methods)

    second = await place_order(db, buyer, [await commerce.paid_course()])
    payment = await start(app, second, payment_method_id=uuid.UUID(method["id"]))
    assert payment.status == "requires_action"
    confirmed = await Browser(client).pay_saved(payment)
    assert confirmed.status_code == 303
    await relay.drain()
    assert (await snapshot(db, second.id))["status"] == "paid"


async def test_the_whole_purchase_through_http_cart_checkout_3ds_return_and_access(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course(), await commerce.paid_course()]
    for course in courses:
        ok(
            await client.post(
                f"{API}/cart/items", json={"courseId": str(course.id)}, headers=buyer.headers
            ),
            201,
        )
    placed = ok(
        await client.post(
            f"{API}/checkout",
            json={"billingName": "Bea Buyer", "billingCountry": "US", "savePaymentMethod": True},
            headers={**buyer.headers, "Idempotency-Key": "buy-two"},
        ),
        201,
    )
    order_id = placed["order"]["id"]
    assert placed["payment"]["status"] == "requires_payment_method"
    pay_url = path_of(placed["nextActionUrl"])
    browser = Browser(client)
    page = await client.get(pay_url)
    challenged = await client.post(
        pay_url,
        data={
            "formToken": form_token_in(page),
            "cardNumber": THREE_DS,
            "expMonth": "12",
            "expYear": "2031",
            "cvc": "123",
        },
    )
    assert challenged.status_code == 303
    done = await browser.authenticate(challenged.headers["location"], "complete")
    back = path_of(done.headers["location"])
    answer = ok(await client.get(back))  # the browser returns before the webhook
    assert (answer["orderStatus"], answer["payment"]["status"]) == ("paid", "succeeded")
    await relay.drain()

    state = await snapshot(db, uuid.UUID(order_id))
    assert state["status"] == "paid"
    assert state["entitlements"] == 2
    assert state["events"]["commerce.order_paid"] == 1
    order = ok(await client.get(f"{API}/orders/{order_id}", headers=buyer.headers))
    assert order["status"] == "paid"
    learning = ok(await client.get(f"{API}/me/learning", headers=buyer.headers))
    assert {item["course"]["id"] for item in learning["items"]} == {str(c.id) for c in courses}
    methods = ok(await client.get(f"{API}/payment-methods", headers=buyer.headers))
    assert [m["last4"] for m in methods["items"]] == ["3155"]
    admin = await commerce.admin()
    listed = ok(await client.get(f"{API}/admin/payments", headers=admin.headers))
    assert [p["orderId"] for p in listed["items"]] == [order_id]
    assert (await client.get(f"{API}/admin/payments", headers=buyer.headers)).status_code == 403


async def test_a_webhook_delivery_that_fails_is_retried_with_backoff_until_it_lands(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    db: Database,
    frozen_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    await Browser(client).pay(await start(app, order), SUCCESS)
    real_url = sandbox.SandboxGateway.webhook_url
    with socket.socket() as closed:  # a port nothing listens on: the endpoint is "down"
        closed.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{closed.getsockname()[1]}{sandbox.WEBHOOK_PATH}"
    monkeypatch.setattr(sandbox.SandboxGateway, "webhook_url", lambda self: down)
    await relay.drain()
    async with db.read_session() as session:
        job = (
            await session.execute(
                sa.select(
                    OutboxMessage.status, OutboxMessage.attempts, OutboxMessage.last_error
                ).where(OutboxMessage.name == sandbox.DELIVER_JOB)
            )
        ).one()
    assert (job.status, job.attempts) == ("pending", 1)
    assert "WebhookDeliveryFailed" in (job.last_error or "")
    assert (await snapshot(db, order.id))["status"] == "pending"

    monkeypatch.setattr(sandbox.SandboxGateway, "webhook_url", real_url)
    frozen_clock.advance(seconds=3)  # the job's backoff (2 s after the first attempt)
    await relay.drain()
    state = await snapshot(db, order.id)
    assert (state["status"], state["entitlements"], state["webhooks"]) == ("paid", 1, 1)
