"""Concurrency invariants of checkout on PostgreSQL, each with a control that shows the race
is real without the guard: a coupon with 10 uses left gives exactly 10 discounts to 50
simultaneous checkouts; 50 simultaneous checkouts of one cart make one order."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import sqlalchemy as sa
from httpx import AsyncClient, Response

from campus.commerce.models import Coupon, CouponRedemption, Order
from campus.commerce.repository import coupons as coupons_repo
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from tests.commerce.conftest import API, CommerceFactory
from tests.conftest import postgres_only
from tests.fixtures.identity import AppUser

PARALLEL = 50
USES_LEFT = 10
#: Sessions racing at the statement level: each holds a pooled connection at the barrier, so
#: fewer than the pool holds (20); enough to exceed the 10 uses left.
RACERS = 16


async def checkout(client: AsyncClient, buyer: AppUser, key: str, coupon: str | None) -> Response:
    body: dict[str, str] = {"billingName": "B", "billingCountry": "US"}
    if coupon is not None:
        body["couponCode"] = coupon
    return await client.post(
        f"{API}/checkout", json=body, headers={**buyer.headers, "Idempotency-Key": key}
    )


async def naive_take(db: Database, coupon_id: uuid.UUID, gate: asyncio.Barrier) -> bool:
    """Check-then-act: read the count, then write it back plus one."""
    async with db.session() as session:
        coupon = await coupons_repo.get(session, coupon_id)
        assert coupon is not None
        await gate.wait()  # everyone has read before anyone writes
        if coupon.usage_limit is not None and coupon.used_count >= coupon.usage_limit:
            return False
        await session.execute(
            sa.update(Coupon).where(Coupon.id == coupon_id).values(used_count=coupon.used_count + 1)
        )
        return True


async def guarded_take(db: Database, coupon_id: uuid.UUID, gate: asyncio.Barrier) -> bool:
    async with db.session() as session:
        await coupons_repo.get(session, coupon_id)
        await gate.wait()
        return await coupons_repo.take_use(session, coupon_id, utcnow())


async def _used(db: Database, coupon_id: uuid.UUID) -> int:
    async with db.session() as session:
        return int(
            await session.scalar(sa.select(Coupon.used_count).where(Coupon.id == coupon_id)) or 0
        )


@postgres_only
async def test_control_read_then_write_gives_more_uses_than_the_limit(
    db: Database, commerce: CommerceFactory
) -> None:
    coupon = await commerce.coupon("RACE", usage_limit=USES_LEFT)
    gate = asyncio.Barrier(RACERS)
    took = await asyncio.gather(*(naive_take(db, coupon.id, gate) for _ in range(RACERS)))
    # Every caller saw 0 of 10 used: all of them "took" a use, and the count lost updates.
    assert sum(took) == RACERS
    assert sum(took) > USES_LEFT
    assert await _used(db, coupon.id) < sum(took)


@postgres_only
async def test_the_guarded_update_gives_exactly_the_uses_left(
    db: Database, commerce: CommerceFactory
) -> None:
    coupon = await commerce.coupon("GUARD", usage_limit=USES_LEFT)
    gate = asyncio.Barrier(RACERS)
    took = await asyncio.gather(*(guarded_take(db, coupon.id, gate) for _ in range(RACERS)))
    assert sum(took) == USES_LEFT
    assert await _used(db, coupon.id) == USES_LEFT


@postgres_only
async def test_fifty_checkouts_with_ten_coupon_uses_left_make_ten_discounted_orders(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    coupon = await commerce.coupon("TENLEFT", percent_bp=2000, usage_limit=USES_LEFT)
    course = await commerce.paid_course("USD")
    buyers = [await commerce.buyer() for _ in range(PARALLEL)]
    for buyer in buyers:
        added = await client.post(
            f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
        )
        assert added.status_code == 201
    answers = await asyncio.gather(*(checkout(client, buyer, "k", coupon.code) for buyer in buyers))
    outcomes = Counter(
        r.status_code if r.status_code == 201 else r.json()["error"]["code"] for r in answers
    )
    assert outcomes == {201: USES_LEFT, "coupon_exhausted": PARALLEL - USES_LEFT}
    async with db.session() as session:
        discounted = await session.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.coupon_id == coupon.id)
        )
        redemptions = await session.scalar(sa.select(sa.func.count()).select_from(CouponRedemption))
    assert discounted == USES_LEFT
    assert redemptions == USES_LEFT
    assert await _used(db, coupon.id) == USES_LEFT


@postgres_only
async def test_fifty_checkouts_of_one_cart_make_one_order(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("EUR")
    added = await client.post(
        f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
    )
    assert added.status_code == 201
    # Every request with its own key: only the cart's conditional UPDATE decides.
    answers = await asyncio.gather(
        *(checkout(client, buyer, f"key-{n}", None) for n in range(PARALLEL))
    )
    created = [r for r in answers if r.status_code == 201]
    assert len(created) == 1
    assert {r.json()["error"]["code"] for r in answers if r.status_code != 201} <= {
        "cart_already_checked_out",
        "cart_empty",
    }
    async with db.session() as session:
        orders = await session.scalar(sa.select(sa.func.count()).select_from(Order))
    assert orders == 1


@postgres_only
async def test_fifty_checkouts_with_one_key_make_one_order_and_answer_it(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("JPY")
    added = await client.post(
        f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
    )
    assert added.status_code == 201
    answers = await asyncio.gather(
        *(checkout(client, buyer, "one-key", None) for _ in range(PARALLEL))
    )
    statuses = Counter(r.status_code for r in answers)
    assert set(statuses) <= {201, 409}
    orders = {r.json()["order"]["id"] for r in answers if r.status_code == 201}
    assert len(orders) == 1
    assert {r.json()["error"]["code"] for r in answers if r.status_code == 409} <= {
        "idempotency_in_flight"
    }
    replay = await checkout(client, buyer, "one-key", None)
    assert replay.json()["order"]["id"] in orders
    async with db.session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
