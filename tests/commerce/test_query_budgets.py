"""Exact query budgets of the buyer's hot reads and of checkout (the same on SQLite and
PostgreSQL), and a free order's path to the learner's enrollment."""

from __future__ import annotations

import uuid

from fastapi import FastAPI
from httpx import AsyncClient

from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.learning import api as learning_api
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import SUCCESS, Browser, place_order, start
from tests.commerce.test_webhooks import event_for, send
from tests.fixtures.catalog import ok_object
from tests.fixtures.queries import count_queries

#: A sandbox ``payment_intent.succeeded`` for a pending order (see the test).
WEBHOOK_QUERIES = 9
#: The return URL of an order still unpaid at the gateway, of one it paid (applied by the
#: return) and of one paid already.
RETURN_PENDING_QUERIES = 5
RETURN_APPLYING_QUERIES = 13
RETURN_PAID_QUERIES = 4


async def test_reading_the_cart_and_the_orders_runs_a_fixed_number_of_queries(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course("USD") for _ in range(3)]
    for course in courses:
        await client.post(f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers)
    # The token check, the cart, its items, the courses with their instructors and tiers.
    with count_queries(db, expect=6, what="GET /cart"):
        ok_object(await client.get(f"{API}/cart", headers=buyer.headers))
    for n in range(2):
        await client.post(
            f"{API}/checkout",
            json={"billingName": "B", "billingCountry": "US"},
            headers={**buyer.headers, "Idempotency-Key": f"k{n}"},
        )
        await client.post(
            f"{API}/cart/items", json={"courseId": courses[n].key}, headers=buyer.headers
        )
    # The token check, the count, the page, all their lines at once.
    with count_queries(db, expect=4, what="GET /orders"):
        page = ok_object(await client.get(f"{API}/orders", headers=buyer.headers))
    assert page["total"] == 2
    with count_queries(db, expect=3, what="GET /orders/{id}"):
        ok_object(await client.get(f"{API}/orders/{page['items'][0]['id']}", headers=buyer.headers))


async def test_a_free_order_ends_with_the_buyer_enrolled(
    client: AsyncClient, commerce: CommerceFactory, db: Database, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("EUR")
    await commerce.coupon("GIFT", percent_bp=10_000)
    await client.post(f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers)
    placed = await client.post(
        f"{API}/checkout",
        json={"billingName": "B", "billingCountry": "FR", "couponCode": "GIFT"},
        headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex},
    )
    order = ok_object(placed, 201)["order"]
    assert order["status"] == "paid"
    await relay.drain()
    async with db.session() as session:
        assert await learning_api.is_enrolled(session, buyer.id, course.id)
    fulfilled = ok_object(await client.get(f"{API}/orders/{order['id']}", headers=buyer.headers))
    assert fulfilled["fulfilledAt"] is not None
    # Owned now: the course cannot go back into a cart.
    again = await client.post(
        f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
    )
    assert ok_object(again, 409)["error"]["code"] == "course_already_owned"


async def test_a_checkout_of_three_courses_with_a_coupon_and_tax_runs_a_fixed_number_of_queries(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course("USD") for _ in range(3)]
    await commerce.coupon("TENOFF", percent_bp=1000)
    await commerce.tax_rate("US", 700, state="CA", type="sales_tax")
    for course in courses:
        await client.post(f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers)
    # The token check, the idempotency claim; the cart, its items, the courses with their
    # instructors and tiers; whether the buyer owns any of them (one query for all); the
    # coupon and the buyer's uses of it; the tax rate; the cart closed, the order and its
    # lines written; the buyer's email, the payment; the coupon's use taken (global, the
    # buyer's, the redemption); the stored answer. Where the sandbox keeps its records in
    # Campus's database (PostgreSQL), its intent is one more statement of the same unit of
    # work, instead of a transaction of its own (on SQLite it lives in a file of its own).
    shared = db.engine.dialect.name != "sqlite"
    with count_queries(db) as queries:
        placed = await client.post(
            f"{API}/checkout",
            json={
                "billingName": "B",
                "billingCountry": "US",
                "billingState": "CA",
                "couponCode": "TENOFF",
            },
            headers={**buyer.headers, "Idempotency-Key": uuid.uuid4().hex},
        )
    body = ok_object(placed, 201)
    assert body["order"]["status"] == "pending"
    assert body["order"]["discount"]["amount"] != "0.00"
    assert body["order"]["tax"]["amount"] != "0.00"
    assert body["payment"]["gateway"] == "sandbox"
    queries.assert_count(21 if shared else 20, "POST /checkout")


async def test_a_payment_webhook_runs_a_fixed_number_of_queries_and_a_duplicate_one(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course("EUR")])
    payment = await start(app, order)
    event = event_for(payment)
    # The event's record (the dedupe), the payment by its gateway id and its conditional
    # UPDATE, the order's conditional UPDATE to paid and its coupon's redemption, the order
    # and its lines for the event, the outbox row, the record's outcome.
    with count_queries(db) as queries:
        first = await send(client, app, event)
    assert ok_object(first)["duplicate"] is False
    queries.assert_count(WEBHOOK_QUERIES, "POST /commerce/webhooks/sandbox")
    # A duplicate stops at the record's insert.
    with count_queries(db, expect=1, what="duplicate webhook"):
        again = await send(client, app, event)
    assert ok_object(again)["duplicate"] is True


async def test_the_return_from_the_gateway_runs_a_fixed_number_of_queries(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    order = await place_order(db, buyer, [await commerce.paid_course("EUR")])
    payment = await start(app, order)
    url = f"{API}/orders/{order.id}/return?payment_intent={payment.gateway_payment_id}"
    # Still unpaid at the gateway: the token check, the order and its lines, its payments, the
    # payment's conditional UPDATE (nothing moved: nothing is read again).
    with count_queries(db) as pending:
        answer = ok_object(await client.get(url, headers=buyer.headers))
    assert answer["orderStatus"] == "pending"
    pending.assert_count(RETURN_PENDING_QUERIES, "GET /orders/{id}/return (pending)")
    paid = await Browser(client).pay(payment, SUCCESS)
    assert paid.status_code == 303, paid.text[:300]
    # Paid at the gateway (its webhook not delivered yet): the return applies the success:
    # the reads above, the payment's and the order's conditional UPDATEs, the coupon's
    # redemption, the order and its lines for the event, the outbox row, then the order, its
    # lines and the payment as they are now.
    with count_queries(db) as applying:
        answer = ok_object(await client.get(url, headers=buyer.headers))
    assert answer["orderStatus"] == "paid"
    applying.assert_count(RETURN_APPLYING_QUERIES, "GET /orders/{id}/return (applying)")
    # Back again once paid: the reads only; the gateway is not asked.
    with count_queries(db) as settled:
        answer = ok_object(await client.get(url, headers=buyer.headers))
    assert answer["orderStatus"] == "paid"
    settled.assert_count(RETURN_PAID_QUERIES, "GET /orders/{id}/return (paid)")
