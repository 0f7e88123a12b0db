"""Fulfilment (WH-08 and the saga): a paid order grants each course exactly once, even when
``OrderPaid`` arrives twice; a failing fulfilment is retried with backoff, and past
``CAMPUS_COMMERCE_FULFILMENT_MAX_ATTEMPTS`` the buyer is refunded instead. The reconciler
recovers a success whose webhook never came (PAY-04), and a payment that lands on an order
closed meanwhile is given back."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.events import OrderPaid
from campus.commerce.gateways import sandbox
from campus.commerce.models import Order, Refund
from campus.commerce.service import reconcile
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from campus.kernel.errors import Conflict
from campus.kernel.events import publish
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage, enqueue_job
from campus.learning import api as learning_api
from campus.learning.data import EnrollmentSummary
from tests.commerce.conftest import CommerceFactory
from tests.commerce.payment_helpers import (
    SUCCESS,
    Browser,
    paid_order,
    place_order,
    snapshot,
    start,
)


@pytest.fixture
def app(served_app: FastAPI) -> FastAPI:
    return served_app


async def refund_rows(db: Database) -> list[tuple[str, str | None, int]]:
    async with db.read_session() as session:
        rows = await session.execute(sa.select(Refund.status, Refund.reason, Refund.amount_minor))
        return [(r.status, r.reason, r.amount_minor) for r in rows]


async def test_order_paid_delivered_twice_grants_each_course_once(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    courses = [await commerce.paid_course(), await commerce.paid_course()]
    order = await paid_order(app, client, relay, await commerce.buyer(), courses)
    state = await snapshot(db, order.id)
    assert state["entitlements"] == 2
    async with db.session() as session:  # a second copy of the event (another message id)
        assert order.paid_at is not None
        await publish(
            session,
            OrderPaid(
                order_id=order.id,
                user_id=order.user_id,
                currency=order.currency,
                subtotal_minor=order.subtotal_minor,
                discount_minor=order.discount_minor,
                tax_minor=order.tax_minor,
                total_minor=order.total_minor,
                course_ids=order.course_ids,
                paid_at=order.paid_at,
            ),
        )
    assert await relay.drain() >= 1
    after = await snapshot(db, order.id)
    assert after["entitlements"] == 2
    assert after["fulfilled_at"] == state["fulfilled_at"]


class Flaky:
    """``enroll_user`` refusing the first ``failures`` calls."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.real = learning_api.enroll_user

    async def __call__(
        self, session: object, user_id: uuid.UUID, course_id: uuid.UUID, *, tier: str | None = None
    ) -> EnrollmentSummary:
        self.calls += 1
        if self.calls <= self.failures:
            raise Conflict("the course is closed for a moment", code="course_unavailable")
        return await self.real(session, user_id, course_id, tier=tier)  # type: ignore[arg-type]


async def test_a_failed_fulfilment_is_retried_and_then_grants_the_course_once(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    db: Database,
    frozen_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flaky = Flaky(failures=2)
    monkeypatch.setattr(learning_api, "enroll_user", flaky)
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    await Browser(client).pay(await start(app, order), SUCCESS)
    await relay.drain()
    state = await snapshot(db, order.id)
    assert (state["status"], state["fulfilled_at"], state["entitlements"]) == ("paid", None, 0)
    for _ in range(2):
        frozen_clock.advance(seconds=60)
        await relay.drain()
    state = await snapshot(db, order.id)
    assert state["fulfilled_at"] is not None
    assert state["entitlements"] == 1
    assert flaky.calls == 3


async def test_past_its_attempts_an_unfulfillable_order_is_refunded(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    db: Database,
    frozen_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flaky = Flaky(failures=1000)
    monkeypatch.setattr(learning_api, "enroll_user", flaky)
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    await Browser(client).pay(await start(app, order), SUCCESS)
    await relay.drain()
    for _ in range(6):
        frozen_clock.advance(seconds=120)
        await relay.drain()
    assert flaky.calls == 5  # CAMPUS_COMMERCE_FULFILMENT_MAX_ATTEMPTS
    state = await snapshot(db, order.id)
    assert state["status"] == "refunded"
    assert state["entitlements"] == 0
    assert state["events"].get("commerce.order_refunded") == 1
    assert await refund_rows(db) == [
        ("succeeded", "the order could not be fulfilled", order.total_minor)
    ]


async def test_the_reconciler_recovers_a_success_whose_webhook_never_came(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    db: Database,
    frozen_clock: Clock,
) -> None:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    await Browser(client).pay(await start(app, order), SUCCESS)
    async with db.session() as session:  # the provider never delivers its event
        await session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.name == sandbox.DELIVER_JOB)
        )
    async with db.session() as session:
        await enqueue_job(session, reconcile.RECONCILE_JOB, {"scheduledAt": utcnow().isoformat()})
    await relay.drain()
    assert (await snapshot(db, order.id))["status"] == "pending"  # too recent to look up

    frozen_clock.advance(minutes=11)
    async with db.session() as session:
        await enqueue_job(session, reconcile.RECONCILE_JOB, {"scheduledAt": utcnow().isoformat()})
    await relay.drain()
    state = await snapshot(db, order.id)
    assert (state["status"], state["entitlements"]) == ("paid", 1)
    assert state["webhooks"] == 0


async def test_a_payment_landing_on_an_expired_order_is_given_back(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course()])
    payment = await start(app, order)
    async with db.session() as session:
        await session.execute(sa.update(Order).where(Order.id == order.id).values(status="expired"))
    await Browser(client).pay(payment, SUCCESS)
    await relay.drain()
    state = await snapshot(db, order.id)
    assert state["status"] == "expired"
    assert state["entitlements"] == 0
    assert state["payments"] == [("succeeded", order.total_minor, order.total_minor)]
    assert await refund_rows(db) == [("succeeded", "surplus payment", order.total_minor)]
