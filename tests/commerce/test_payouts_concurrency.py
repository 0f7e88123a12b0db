"""Payout runs under concurrency (PostgreSQL): runs of one month started together pay each
instructor once, with a control showing that "look for the payout, then insert it" without
the unique guard pays twice."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from fastapi import FastAPI

from campus.commerce.models import LedgerEntry, Payout
from campus.commerce.service import payouts
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import CommerceFactory
from tests.commerce.invoice_helpers import paid_order
from tests.conftest import postgres_only

#: Sessions racing at a barrier each hold a pooled connection there: fewer than the pool's 20.
RACERS = 16


@postgres_only
async def test_control_looking_for_the_payout_then_inserting_it_pays_twice(
    db: Database,
) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.text("CREATE TABLE IF NOT EXISTS race_payouts (instructor_id uuid, month int)")
        )
    instructor = uuid.uuid4()
    barrier = asyncio.Barrier(RACERS)

    async def naive_run() -> None:
        async with db.session() as session:
            existing = await session.scalar(
                sa.text("SELECT count(*) FROM race_payouts WHERE instructor_id = :i"),
                {"i": instructor},
            )
            await barrier.wait()  # every run has looked before any inserts
            if existing == 0:
                await session.execute(
                    sa.text("INSERT INTO race_payouts VALUES (:i, 3)"), {"i": instructor}
                )

    try:
        await asyncio.gather(*(naive_run() for _ in range(RACERS)))
        async with db.engine.begin() as conn:
            rows = await conn.scalar(sa.text("SELECT count(*) FROM race_payouts"))
        assert rows is not None
        assert rows > 1, "the control did not race; the test proves nothing"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS race_payouts"))


@postgres_only
async def test_runs_of_one_month_started_together_pay_each_instructor_once(
    app: FastAPI, commerce: CommerceFactory, db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 3, 10, tzinfo=UTC))
    buyer = await commerce.buyer()
    instructors = [await commerce.instructor(name) for name in ("Ida", "Ivo", "Ines")]
    for instructor in instructors:
        course = await commerce.paid_course("USD", amount="100.00", owner=instructor)
        await paid_order(db, buyer, [course])
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 4, 2, tzinfo=UTC))
    settings = app.state.settings
    barrier = asyncio.Barrier(RACERS)

    async def run() -> int:
        async with db.session() as session:
            await barrier.wait()
            return (await payouts.run_period(session, settings, year=2026, month=3)).created

    created = await asyncio.gather(*(run() for _ in range(RACERS)))
    assert sum(created) == len(instructors)
    async with db.read_session() as session:
        amounts = list(await session.scalars(sa.select(Payout.amount_minor)))
        postings = await session.scalar(
            sa.select(sa.func.count(sa.distinct(LedgerEntry.posting_id))).where(
                LedgerEntry.kind == "payout"
            )
        )
    assert amounts == [7000] * len(instructors)
    assert postings == len(instructors)


@postgres_only
async def test_runs_of_two_months_started_together_never_pay_a_balance_twice(
    app: FastAPI, commerce: CommerceFactory, db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 3, 10, tzinfo=UTC))
    ida = await commerce.instructor("Ida")
    course = await commerce.paid_course("USD", amount="100.00", owner=ida)
    await paid_order(db, await commerce.buyer(), [course])
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 5, 2, tzinfo=UTC))
    settings = app.state.settings
    barrier = asyncio.Barrier(RACERS)

    async def run(month: int) -> int:
        async with db.session() as session:
            await barrier.wait()
            return (await payouts.run_period(session, settings, year=2026, month=month)).created

    created = await asyncio.gather(*(run(3 + i % 2) for i in range(RACERS)))
    assert sum(created) == 1
    async with db.read_session() as session:
        amounts = list(await session.scalars(sa.select(Payout.amount_minor)))
    assert amounts == [7000]
