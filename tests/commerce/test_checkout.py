"""Checkout: server-side totals, idempotent orders, free orders without a gateway, paid
orders handed to the gateway, expiry and cancellation giving coupon uses back."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response

from campus.commerce.events import OrderPaid
from campus.commerce.models import Coupon, Order, Payment
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from campus.learning import api as learning_api
from tests.commerce.conftest import API, CommerceFactory
from tests.fixtures.catalog import ok_object
from tests.fixtures.identity import AppUser

BILLING = {"billingName": "Bea Buyer", "billingCountry": "DE"}


async def fill_cart(client: AsyncClient, buyer: AppUser, *course_ids: uuid.UUID) -> None:
    for course_id in course_ids:
        response = await client.post(
            f"{API}/cart/items", json={"courseId": str(course_id)}, headers=buyer.headers
        )
        assert response.status_code == 201, response.text


async def place(
    client: AsyncClient, buyer: AppUser, key: str | None = "key-1", **body: Any
) -> Response:
    headers = dict(buyer.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return await client.post(f"{API}/checkout", json={**BILLING, **body}, headers=headers)


async def count(db: Database, model: Any, *where: Any) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)) or 0
        )


async def test_checkout_prices_the_cart_on_the_server_with_coupon_and_tax(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    first = await commerce.paid_course("EUR", amount="39.00")
    second = await commerce.paid_course("EUR", amount="10.00")
    await commerce.tax_rate("DE", 1900)
    coupon = await commerce.coupon("TEN", percent_bp=1000)
    await fill_cart(client, buyer, first.id, second.id)
    body = ok_object(await place(client, buyer, couponCode=coupon.code), 201)
    order = body["order"]
    # 49.00 - 10 % = 44.10; 19 % VAT per line: 35.10 * 0.19 = 6.669 -> 6.67, 9.00 -> 1.71.
    assert order["subtotal"] == {"amount": "49.00", "currency": "EUR"}
    assert order["discount"] == {"amount": "4.90", "currency": "EUR"}
    assert order["tax"] == {"amount": "8.38", "currency": "EUR"}
    assert order["total"] == {"amount": "52.48", "currency": "EUR"}
    assert [line["total"]["amount"] for line in order["lines"]] == ["41.77", "10.71"]
    assert order["status"] == "pending"
    assert order["couponCode"] == "TEN"
    assert order["number"].startswith("ORD-")
    # A paid order goes to the gateway: the buyer is sent to its page.
    assert body["payment"]["gateway"] == "sandbox"
    assert body["payment"]["amount"] == order["total"]
    assert body["nextActionUrl"]
    assert await count(db, Payment) == 1
    # The cart is spent.
    cart = ok_object(await client.get(f"{API}/cart", headers=buyer.headers))
    assert cart["id"] is None


async def test_client_sent_prices_totals_status_or_owner_are_refused(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    for extra in (
        {"total": {"amount": "0.01", "currency": "USD"}},
        {"subtotalMinor": 1},
        {"status": "paid"},
        {"userId": str(uuid.uuid4())},
        {"lines": [{"courseId": str(uuid.uuid4()), "unitPrice": "0.01"}]},
    ):
        response = await place(client, buyer, key=f"k-{next(iter(extra))}", **extra)
        assert response.status_code == 422, extra
    assert await count(db, Order) == 0


async def test_checkout_needs_an_idempotency_key(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    response = await place(client, buyer, key=None)
    assert ok_object(response, 400)["error"]["code"] == "idempotency_key_required"


async def test_the_same_key_twice_makes_one_order_and_one_payment(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    first = await place(client, buyer, key="same")
    second = await place(client, buyer, key="same")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert await count(db, Order) == 1
    assert await count(db, Payment) == 1
    other_body = await place(client, buyer, key="same", billingCountry="FR")
    assert ok_object(other_body, 422)["error"]["code"] == "idempotency_key_reused"


async def test_a_refused_checkout_is_replayed_as_the_same_error(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    first = await place(client, buyer, key="empty")
    assert ok_object(first, 409)["error"]["code"] == "cart_empty"
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    again = await place(client, buyer, key="empty")
    assert again.status_code == 409
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"


async def test_parallel_checkouts_of_one_cart_make_one_order(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    answers = await asyncio.gather(*(place(client, buyer, key=f"p-{n}") for n in range(10)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) == 1
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} <= {
        "cart_already_checked_out",
        "cart_empty",
    }
    assert await count(db, Order) == 1


async def test_a_free_order_is_paid_at_once_without_a_gateway(
    client: AsyncClient, commerce: CommerceFactory, db: Database, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("JPY")
    coupon = await commerce.coupon("ALLFREE", percent_bp=10_000)
    await fill_cart(client, buyer, course.id)
    body = ok_object(await place(client, buyer, couponCode=coupon.code), 201)
    assert body["payment"] is None
    assert body["order"]["status"] == "paid"
    assert body["order"]["total"] == {"amount": "0", "currency": "JPY"}
    assert await count(db, Payment) == 0
    async with db.session() as session:
        events = list(
            await session.scalars(
                sa.select(OutboxMessage.payload).where(OutboxMessage.name == OrderPaid.name)
            )
        )
    assert [e["courseIds"] for e in events] == [[course.key]]
    assert events[0]["totalMinor"] == 0


async def test_an_unpaid_order_expires_and_gives_its_coupon_use_back(
    client: AsyncClient, commerce: CommerceFactory, db: Database, frozen_clock: Clock
) -> None:
    from campus.commerce.service import orders

    buyer = await commerce.buyer()
    coupon = await commerce.coupon("ONCE", percent_bp=500, usage_limit=1)
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    order = ok_object(await place(client, buyer, couponCode="ONCE"), 201)["order"]
    assert await _used(db, coupon.id) == 1
    frozen_clock.advance(minutes=59)
    async with db.session() as session:
        assert (await orders.expire_due(session)).expired == 0
    frozen_clock.advance(minutes=2)
    async with db.session() as session:
        assert (await orders.expire_due(session)).expired == 1
    await commerce.identity.start_session(buyer)  # the access token expired meanwhile
    mine = ok_object(await client.get(f"{API}/orders/{order['id']}", headers=buyer.headers))
    assert mine["status"] == "expired"
    assert await _used(db, coupon.id) == 0
    # Expiring twice changes nothing.
    async with db.session() as session:
        assert (await orders.expire_due(session)).expired == 0
    assert await _used(db, coupon.id) == 0


async def test_cancelling_an_unpaid_order_gives_the_coupon_back_once(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    coupon = await commerce.coupon("BACK", percent_bp=500, usage_limit=5)
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    order = ok_object(await place(client, buyer, couponCode="BACK"), 201)["order"]
    url = f"{API}/orders/{order['id']}/cancel"
    cancelled = ok_object(await client.post(url, headers=buyer.headers))
    assert cancelled["status"] == "cancelled"
    assert await _used(db, coupon.id) == 0
    again = await client.post(url, headers=buyer.headers)
    assert ok_object(again, 409)["error"]["code"] == "order_not_cancellable"
    assert await _used(db, coupon.id) == 0
    # The buyer may use the coupon again on a new cart.
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    assert (await place(client, buyer, key="again", couponCode="BACK")).status_code == 201


async def _used(db: Database, coupon_id: uuid.UUID) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(sa.select(Coupon.used_count).where(Coupon.id == coupon_id)) or 0
        )


class _UnreachableGateway:
    name = "sandbox"

    async def create_payment(self, request: object) -> object:
        from campus.commerce.gateways.port import GatewayError

        raise GatewayError("connection refused")


async def test_an_unreachable_gateway_keeps_nothing_and_the_same_key_can_retry(
    client: AsyncClient, commerce: CommerceFactory, db: Database, app: FastAPI
) -> None:
    buyer = await commerce.buyer()
    coupon = await commerce.coupon("KEEP", percent_bp=1000, usage_limit=1)
    await fill_cart(client, buyer, (await commerce.paid_course("USD")).id)
    saved = getattr(app.state, "commerce_gateway", None)
    app.state.commerce_gateway = _UnreachableGateway()
    try:
        failed = await place(client, buyer, key="retry-me", couponCode="KEEP")
    finally:
        app.state.commerce_gateway = saved
        if saved is None:
            del app.state.commerce_gateway
    assert ok_object(failed, 503)["error"]["code"] == "payment_unavailable"
    assert await count(db, Order) == 0
    assert await _used(db, coupon.id) == 0
    # Nothing was kept, the key included: the same request succeeds now.
    again = await place(client, buyer, key="retry-me", couponCode="KEEP")
    assert again.status_code == 201, again.text
    assert "Idempotent-Replayed" not in again.headers


async def test_checkout_refuses_a_cart_naming_a_course_the_buyer_came_to_own_meanwhile(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course("EUR") for _ in range(3)]
    await fill_cart(client, buyer, *(course.id for course in courses))
    # Granted the third course after putting it in the cart (an admin's grant).
    async with db.session() as session:
        await learning_api.grant_entitlement(
            session, user_id=buyer.id, course_id=courses[2].id, source="grant"
        )
        await learning_api.enroll_user(session, buyer.id, courses[2].id)
    refused = await place(client, buyer, **BILLING)
    error = ok_object(refused, 409)["error"]
    assert error["code"] == "course_already_owned"
    assert error["details"]["courseId"] == str(courses[2].id)
    async with db.session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
