"""Payout queries: periods and payouts."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.models import Payout, PayoutPeriod
from campus.kernel.db import dialect_insert, rowcount

#: Any constant works; it names the advisory lock that serialises payout runs on PostgreSQL.
_RUN_LOCK_KEY = 0x0C0FFEE5


async def lock_runs(session: AsyncSession) -> None:
    """Serialise payout runs (of any month) until the end of the transaction, so a run always
    sees the payouts of the run before it (SQLite transactions are exclusive already)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_RUN_LOCK_KEY)))


async def ensure_period(
    session: AsyncSession, *, starts_at: datetime, ends_at: datetime, now: datetime
) -> PayoutPeriod:
    await session.execute(
        dialect_insert(session, PayoutPeriod)
        .values(id=uuid.uuid4(), starts_at=starts_at, ends_at=ends_at, created_at=now)
        .on_conflict_do_nothing(index_elements=["starts_at"])
    )
    period = await session.scalar(
        sa.select(PayoutPeriod)
        .where(PayoutPeriod.starts_at == starts_at)
        .execution_options(populate_existing=True)
    )
    assert period is not None
    return period


async def period_computed(session: AsyncSession, starts_at: datetime) -> bool:
    found = await session.scalar(
        sa.select(PayoutPeriod.id).where(
            PayoutPeriod.starts_at == starts_at, PayoutPeriod.computed_at.is_not(None)
        )
    )
    return found is not None


async def mark_computed(session: AsyncSession, period_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        sa.update(PayoutPeriod).where(PayoutPeriod.id == period_id).values(computed_at=now)
    )


async def get_period(session: AsyncSession, period_id: uuid.UUID) -> PayoutPeriod | None:
    return await session.scalar(sa.select(PayoutPeriod).where(PayoutPeriod.id == period_id))


async def periods(
    session: AsyncSession, period_ids: list[uuid.UUID]
) -> dict[uuid.UUID, PayoutPeriod]:
    if not period_ids:
        return {}
    rows = await session.scalars(sa.select(PayoutPeriod).where(PayoutPeriod.id.in_(period_ids)))
    return {p.id: p for p in rows}


async def insert_payout(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless this instructor already has a payout for the period in this currency;
    True when this call inserted it."""
    result = await session.execute(
        dialect_insert(session, Payout)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["period_id", "instructor_id", "currency"])
    )
    return rowcount(result) == 1


async def get(session: AsyncSession, payout_id: uuid.UUID) -> Payout | None:
    return await session.scalar(
        sa.select(Payout).where(Payout.id == payout_id).execution_options(populate_existing=True)
    )


async def settle(
    session: AsyncSession,
    payout_id: uuid.UUID,
    *,
    status: str,
    reference: str | None,
    failure: str | None,
    now: datetime,
) -> bool:
    """``pending → completed | failed`` once; True when this call moved it."""
    result = await session.execute(
        sa.update(Payout)
        .where(Payout.id == payout_id, Payout.status == "pending")
        .values(status=status, reference=reference, failure=failure, executed_at=now)
    )
    return rowcount(result) == 1


async def list_payouts(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    instructor_id: uuid.UUID | None = None,
    status: str | None = None,
    period_id: uuid.UUID | None = None,
) -> tuple[list[Payout], int]:
    where: list[sa.ColumnElement[bool]] = []
    if instructor_id is not None:
        where.append(Payout.instructor_id == instructor_id)
    if status is not None:
        where.append(Payout.status == status)
    if period_id is not None:
        where.append(Payout.period_id == period_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Payout).where(*where))
    rows = await session.scalars(
        sa.select(Payout)
        .where(*where)
        .order_by(Payout.created_at.desc(), Payout.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def of_period(session: AsyncSession, period_id: uuid.UUID) -> list[Payout]:
    rows = await session.scalars(
        sa.select(Payout)
        .where(Payout.period_id == period_id)
        .order_by(Payout.instructor_id, Payout.currency)
    )
    return list(rows)


async def totals_of(session: AsyncSession, instructor_id: uuid.UUID) -> list[tuple[str, str, int]]:
    """(status, currency, amount) summed over one instructor's payouts."""
    rows = await session.execute(
        sa.select(Payout.status, Payout.currency, sa.func.sum(Payout.amount_minor))
        .where(Payout.instructor_id == instructor_id)
        .group_by(Payout.status, Payout.currency)
    )
    return [(s, c, int(a or 0)) for s, c, a in rows]
