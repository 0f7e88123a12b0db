"""Invoice numbers under concurrency (PostgreSQL): 50 paid orders invoiced at once get the
numbers 1 to 50, each once, with a control showing that numbering by "read the counter, then
write it back" without the row lock hands out the same number twice."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from fastapi import FastAPI

from campus.commerce.models import Invoice, LedgerEntry
from campus.commerce.service import invoices
from campus.kernel.db import Database
from tests.commerce.conftest import CommerceFactory
from tests.commerce.invoice_helpers import paid_order
from tests.conftest import postgres_only

N = 50
#: Sessions racing at a barrier each hold a pooled connection there: fewer than the pool's 20.
RACERS = 16


@postgres_only
async def test_control_reading_then_writing_the_counter_hands_out_duplicate_numbers(
    db: Database,
) -> None:
    """The control: concurrent issuers, each reading the counter and writing it
    back plus one without holding the row's lock, take some number more than once. So the
    invariant below is not luck."""
    async with db.engine.begin() as conn:
        await conn.execute(
            sa.text("CREATE TABLE IF NOT EXISTS race_counter (id int primary key, next int)")
        )
        await conn.execute(sa.text("DELETE FROM race_counter"))
        await conn.execute(sa.text("INSERT INTO race_counter VALUES (1, 1)"))
    barrier = asyncio.Barrier(RACERS)
    taken: list[int] = []

    async def naive_issue() -> None:
        async with db.session() as session:
            number = await session.scalar(sa.text("SELECT next FROM race_counter WHERE id = 1"))
            await barrier.wait()  # everyone has read before anyone writes
            await session.execute(
                sa.text("UPDATE race_counter SET next = :n WHERE id = 1"), {"n": number + 1}
            )
            taken.append(int(number))

    try:
        await asyncio.gather(*(naive_issue() for _ in range(RACERS)))
        assert len(set(taken)) < RACERS, "the control did not race; the test proves nothing"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS race_counter"))


@postgres_only
async def test_fifty_orders_invoiced_at_once_get_gap_free_unique_numbers(
    app: FastAPI, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("USD")
    orders = [await paid_order(db, buyer, [course]) for _ in range(N)]
    settings = app.state.settings

    async def issue(order_id: uuid.UUID) -> None:
        async with db.session() as session:
            await invoices.issue_invoice(session, settings, order_id)

    # All at once (as many at a time as the pool serves), each order twice: a redelivered
    # handler racing the first must not issue a second invoice.
    await asyncio.gather(*(issue(o.id) for o in orders + orders))

    async with db.read_session() as session:
        rows = (await session.execute(sa.select(Invoice.sequence, Invoice.order_id))).all()
        postings = await session.scalar(
            sa.select(sa.func.count(sa.distinct(LedgerEntry.posting_id)))
        )
    assert sorted(sequence for sequence, _ in rows) == list(range(1, N + 1))
    assert len({order_id for _, order_id in rows}) == N
    assert postings == N  # one sale posting per order, none twice
