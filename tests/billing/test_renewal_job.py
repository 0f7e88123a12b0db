"""The renewal job charges each period of each subscription exactly once: when it runs twice,
when workers run it at the same moment (PostgreSQL, with a control that races), and when a run
dies between the gateway's charge and the database record."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from campus.billing.models import Subscription
from campus.billing.service import renewals
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from tests.billing.conftest import BillingFactory
from tests.conftest import postgres_only

START = datetime(2026, 1, 1, tzinfo=UTC)
RACERS = 8


async def active_subscription(billing: BillingFactory, plan_id: str) -> str:
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan_id, paymentMethodId=str(card))
    return str(sub["id"])


async def test_running_the_renewal_job_twice_charges_each_period_once(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    sub = await active_subscription(billing, plan["id"])
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    assert await billing.run_renewals() == 1
    assert await billing.run_renewals() == 0
    assert [key for key, *_ in await billing.gateway_payments(sub)] == [
        f"sub:{sub}:period:1",
        f"sub:{sub}:period:2",
    ]
    assert [(k, p) for k, p, *_ in await billing.charges(sub)] == [("initial", 1), ("renewal", 2)]


async def test_a_crash_between_the_charge_and_its_record_ends_with_one_charge_and_one_renewal(
    billing: BillingFactory, frozen_clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    sub = await active_subscription(billing, plan["id"])
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))

    async def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the worker died after the gateway charged")

    monkeypatch.setattr(renewals, "_paid", crash)
    with pytest.raises(RuntimeError):
        await billing.run_renewals()
    # The gateway took the payment; Campus recorded nothing.
    assert len(await billing.gateway_payments(sub)) == 2
    assert [k for k, *_ in await billing.charges(sub)] == ["initial"]

    monkeypatch.undo()
    assert await billing.run_renewals() == 1
    payments = await billing.gateway_payments(sub)
    assert [(key, amount, status) for key, amount, status in payments] == [
        (f"sub:{sub}:period:1", 3000, "succeeded"),
        (f"sub:{sub}:period:2", 3000, "succeeded"),
    ]
    assert [(k, p, s) for k, p, _, _, s in await billing.charges(sub)] == [
        ("initial", 1, "succeeded"),
        ("renewal", 2, "succeeded"),
    ]
    assert (await billing.state(sub))[:2] == (2, "active")


@postgres_only
async def test_control_reading_due_subscriptions_without_a_claim_charges_twice(
    billing: BillingFactory, db: Database, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    await active_subscription(billing, plan["id"])
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS race_renewals (sub uuid)"))
    barrier = asyncio.Barrier(RACERS)

    async def naive_run() -> None:
        async with db.session() as session:
            due = list(
                await session.scalars(
                    sa.select(Subscription.id).where(Subscription.current_period_end <= utcnow())
                )
            )
            await barrier.wait()  # every run has looked before any charges
            for subscription_id in due:
                await session.execute(
                    sa.text("INSERT INTO race_renewals VALUES (:s)"), {"s": subscription_id}
                )

    try:
        await asyncio.gather(*(naive_run() for _ in range(RACERS)))
        async with db.engine.begin() as conn:
            charged = await conn.scalar(sa.text("SELECT count(*) FROM race_renewals"))
        assert charged is not None
        assert charged > 1, "the control did not race; the test proves nothing"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS race_renewals"))


@postgres_only
async def test_workers_running_the_renewal_job_at_once_charge_each_subscription_once(
    billing: BillingFactory, db: Database, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    subs = [await active_subscription(billing, plan["id"]) for _ in range(4)]
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    barrier = asyncio.Barrier(RACERS)

    async def run() -> int:
        async with db.session() as session:
            await barrier.wait()
            return await renewals.run_due(session, billing.settings, utcnow())

    await asyncio.gather(*(run() for _ in range(RACERS)))
    for sub in subs:
        assert len(await billing.gateway_payments(sub)) == 2
        assert [(k, p) for k, p, *_ in await billing.charges(sub)] == [
            ("initial", 1),
            ("renewal", 2),
        ]
        assert (await billing.state(sub))[0] == 2
