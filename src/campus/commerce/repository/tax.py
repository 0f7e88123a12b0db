"""Tax rate queries."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.models import TaxRate
from campus.kernel.db import rowcount


async def rates_for(
    session: AsyncSession, country: str, state: str | None, at: datetime
) -> list[TaxRate]:
    """Rates of ``country`` valid at ``at``: the country's own (no state) and, when ``state``
    is given, the state's; latest ``valid_from`` first."""
    places: list[sa.ColumnElement[bool]] = [TaxRate.state.is_(None)]
    if state:
        places.append(TaxRate.state == state)
    rows = await session.scalars(
        sa.select(TaxRate)
        .where(
            TaxRate.country == country,
            sa.or_(*places),
            TaxRate.valid_from <= at,
            sa.or_(TaxRate.valid_to.is_(None), TaxRate.valid_to > at),
        )
        .order_by(TaxRate.valid_from.desc(), TaxRate.id.desc())
    )
    return list(rows)


async def get(session: AsyncSession, rate_id: uuid.UUID) -> TaxRate | None:
    return await session.scalar(
        sa.select(TaxRate).where(TaxRate.id == rate_id).execution_options(populate_existing=True)
    )


async def list_rates(
    session: AsyncSession, *, country: str | None, limit: int, offset: int
) -> tuple[list[TaxRate], int]:
    where = [] if country is None else [TaxRate.country == country]
    total = await session.scalar(sa.select(sa.func.count()).select_from(TaxRate).where(*where))
    rows = await session.scalars(
        sa.select(TaxRate)
        .where(*where)
        .order_by(TaxRate.country, TaxRate.state, TaxRate.valid_from.desc(), TaxRate.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def insert(session: AsyncSession, values: dict[str, Any]) -> TaxRate:
    rate = TaxRate(**values)
    session.add(rate)
    await session.flush()
    return rate


async def update(session: AsyncSession, rate_id: uuid.UUID, values: dict[str, Any]) -> bool:
    result = await session.execute(
        sa.update(TaxRate)
        .where(TaxRate.id == rate_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def delete(session: AsyncSession, rate_id: uuid.UUID) -> bool:
    result = await session.execute(
        sa.delete(TaxRate).where(TaxRate.id == rate_id).execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
