"""Exact query budgets of the buyer's hot reads and of checkout (the same on SQLite and
PostgreSQL), and a free order's path to the learner's enrollment."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.learning import api as learning_api
from tests.commerce.conftest import API, CommerceFactory
from tests.fixtures.catalog import ok_object
from tests.fixtures.queries import count_queries


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
