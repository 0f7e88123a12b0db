"""Refunds (PAY-01, PAY-05): an admin's full and partial refunds with an Idempotency-Key, the
buyer's own refund within the window and under the progress limit, refund records with the
gateway's ids, ``OrderRefunded``, access revoked by a full refund, and the sum of refunds never
above what was paid, also under 50 concurrent requests (PostgreSQL, with a control)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.models import Order, Refund, SandboxRefund
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from campus.learning.models import Enrollment, Entitlement
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import paid_order, snapshot
from tests.conftest import postgres_only
from tests.fixtures.catalog import ok


@pytest.fixture
def app(served_app: FastAPI) -> FastAPI:
    return served_app


def refund_url(order_id: uuid.UUID) -> str:
    return f"{API}/orders/{order_id}/refunds"


async def entitlement_statuses(db: Database, order_id: uuid.UUID) -> list[str]:
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(Entitlement.status).where(Entitlement.reference == str(order_id))
        )
        return sorted(rows)


async def test_an_admin_full_refund_refunds_the_order_and_revokes_access(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    admin = await commerce.admin()
    courses = [await commerce.paid_course(), await commerce.paid_course()]
    order = await paid_order(app, client, relay, buyer, courses)
    assert await entitlement_statuses(db, order.id) == ["active", "active"]

    refund = ok(
        await client.post(
            refund_url(order.id),
            json={"reason": "duplicate purchase"},
            headers={**admin.headers, "Idempotency-Key": "refund-1"},
        ),
        201,
    )
    assert (refund["amountMinor"], refund["status"]) == (order.total_minor, "succeeded")
    assert refund["gatewayRefundId"].startswith("re_")
    state = await snapshot(db, order.id)
    assert (state["status"], state["refunded_minor"]) == ("refunded", order.total_minor)
    assert state["payments"] == [("succeeded", order.total_minor, order.total_minor)]
    assert state["events"]["commerce.order_refunded"] == 1
    assert await entitlement_statuses(db, order.id) == ["revoked", "revoked"]
    learning = ok(await client.get(f"{API}/me/learning", headers=buyer.headers))
    assert learning["items"] == []
    async with db.read_session() as session:
        payload = await session.scalar(
            sa.select(OutboxMessage.payload).where(OutboxMessage.name == "commerce.order_refunded")
        )
    assert payload is not None
    assert (payload["full"], payload["amountMinor"]) == (True, order.total_minor)
    listed = ok(await client.get(f"{API}/admin/refunds", headers=admin.headers))
    assert [r["id"] for r in listed["items"]] == [refund["id"]]


async def test_partial_refunds_add_up_to_the_total_and_never_beyond(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    admin = await commerce.admin()
    order = await paid_order(app, client, relay, buyer, [await commerce.paid_course()])
    first = ok(
        await client.post(
            refund_url(order.id),
            json={"amountMinor": 1000},
            headers={**admin.headers, "Idempotency-Key": "part-1"},
        ),
        201,
    )
    assert first["amountMinor"] == 1000
    state = await snapshot(db, order.id)
    assert (state["status"], state["refunded_minor"]) == ("partially_refunded", 1000)
    assert await entitlement_statuses(db, order.id) == ["active"]  # a partial refund keeps it

    too_much = await client.post(
        refund_url(order.id),
        json={"amountMinor": order.total_minor},
        headers={**admin.headers, "Idempotency-Key": "part-2"},
    )
    assert too_much.status_code == 409
    assert too_much.json()["error"]["code"] == "refund_exceeds_paid"
    assert too_much.json()["error"]["details"]["remainingMinor"] == order.total_minor - 1000

    rest = ok(
        await client.post(
            refund_url(order.id), json={}, headers={**admin.headers, "Idempotency-Key": "part-3"}
        ),
        201,
    )
    assert rest["amountMinor"] == order.total_minor - 1000
    state = await snapshot(db, order.id)
    assert (state["status"], state["refunded_minor"]) == ("refunded", order.total_minor)
    async with db.read_session() as session:
        provider_side = await session.scalar(sa.select(sa.func.count()).select_from(SandboxRefund))
    assert provider_side is not None


async def test_the_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    admin = await commerce.admin()
    order = await paid_order(
        app, client, relay, await commerce.buyer(), [await commerce.paid_course()]
    )
    headers = {**admin.headers, "Idempotency-Key": "same-key"}
    first = await client.post(refund_url(order.id), json={"amountMinor": 500}, headers=headers)
    again = await client.post(refund_url(order.id), json={"amountMinor": 500}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    other = await client.post(refund_url(order.id), json={"amountMinor": 600}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    missing = await client.post(refund_url(order.id), json={}, headers=admin.headers)
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "idempotency_key_required"
    async with db.read_session() as session:
        refunds = await session.scalar(sa.select(sa.func.count()).select_from(Refund))
    assert refunds == 1
    assert (await snapshot(db, order.id))["refunded_minor"] == 500


async def test_only_refund_holders_refund_and_unpaid_orders_are_not_refundable(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    order = await paid_order(app, client, relay, buyer, [await commerce.paid_course()])
    refused = await client.post(
        refund_url(order.id), json={}, headers={**buyer.headers, "Idempotency-Key": "k"}
    )
    assert refused.status_code == 403
    assert (await client.get(f"{API}/admin/refunds", headers=buyer.headers)).status_code == 403
    admin = await commerce.admin()
    missing = await client.post(
        refund_url(uuid.uuid4()), json={}, headers={**admin.headers, "Idempotency-Key": "k2"}
    )
    assert missing.status_code == 404
    assert (await snapshot(db, order.id))["refunded_minor"] == 0


async def test_the_buyer_refunds_within_the_window_and_not_after(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course()
    late = await paid_order(app, client, relay, buyer, [course])
    assert late.paid_at is not None
    async with db.session() as session:  # paid 14 days and a minute ago
        await session.execute(
            sa.update(Order)
            .where(Order.id == late.id)
            .values(paid_at=late.paid_at - timedelta(days=14, minutes=1))
        )
    closed = await client.post(
        f"{API}/orders/{late.id}/refund-request", json={}, headers=buyer.headers
    )
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "refund_window_closed"

    order = await paid_order(app, client, relay, buyer, [await commerce.paid_course()])
    stranger = await commerce.buyer("Sly")
    hidden = await client.post(
        f"{API}/orders/{order.id}/refund-request", json={}, headers=stranger.headers
    )
    assert hidden.status_code == 404
    refund = ok(
        await client.post(
            f"{API}/orders/{order.id}/refund-request",
            json={"reason": "not for me"},
            headers=buyer.headers,
        ),
        201,
    )
    assert (refund["amountMinor"], refund["requestedBy"]) == (order.total_minor, str(buyer.id))
    assert (await snapshot(db, order.id))["status"] == "refunded"
    twice = await client.post(
        f"{API}/orders/{order.id}/refund-request", json={}, headers=buyer.headers
    )
    assert twice.status_code == 409


async def test_the_buyer_cannot_refund_a_course_past_the_progress_limit(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course()
    order = await paid_order(app, client, relay, buyer, [course])
    async with db.session() as session:
        await session.execute(
            sa.update(Enrollment)
            .where(Enrollment.user_id == buyer.id, Enrollment.course_id == course.id)
            .values(progress_percent=30)
        )
    refused = await client.post(
        f"{API}/orders/{order.id}/refund-request", json={}, headers=buyer.headers
    )
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "refund_progress_too_high"
    assert (await snapshot(db, order.id))["status"] == "paid"


N = 50


@postgres_only
async def test_control_a_read_then_write_refund_overshoots_the_amount_paid(db: Database) -> None:
    """The control: 20 concurrent refunds of 100 against 1,000 paid (as many as the pool has
    connections), each reading what is left and then writing the new sum, return more than was
    paid. So the guard below is needed."""
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.text("CREATE TABLE IF NOT EXISTS refund_race (id int, paid int, refunded int)")
        )
        await conn.execute(sa.text("INSERT INTO refund_race VALUES (1, 1000, 0)"))
    racers = 20
    barrier = asyncio.Barrier(racers)
    accepted = 0

    async def naive_refund() -> None:
        nonlocal accepted
        async with db.session() as session:
            refunded = await session.scalar(sa.text("SELECT refunded FROM refund_race"))
            await barrier.wait()
            if refunded is not None and refunded + 100 <= 1000:
                await session.execute(
                    sa.text("UPDATE refund_race SET refunded = :r"), {"r": refunded + 100}
                )
                accepted += 1

    try:
        await asyncio.gather(*(naive_refund() for _ in range(racers)))
        assert accepted * 100 > 1000, "the control did not race; the test proves nothing"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS refund_race"))


@postgres_only
async def test_fifty_concurrent_refunds_never_return_more_than_was_paid(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    admin = await commerce.admin()
    order = await paid_order(
        app,
        client,
        relay,
        await commerce.buyer(),
        [await commerce.paid_course("EUR", amount="40.00")],
    )
    assert order.total_minor == 4000

    async def refund(index: int) -> int:
        response = await client.post(
            refund_url(order.id),
            json={"amountMinor": 100},
            headers={**admin.headers, "Idempotency-Key": f"race-{index}"},
        )
        return response.status_code

    statuses = await asyncio.gather(*(refund(i) for i in range(N)))
    assert sorted(statuses) == [201] * 40 + [409] * 10
    state = await snapshot(db, order.id)
    assert (state["refunded_minor"], state["status"]) == (4000, "refunded")
    assert state["payments"] == [("succeeded", 4000, 4000)]
    async with db.read_session() as session:
        total = await session.scalar(
            sa.select(sa.func.sum(Refund.amount_minor)).where(Refund.status == "succeeded")
        )
    assert total == 4000
