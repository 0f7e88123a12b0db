"""Plan queries."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.models import Plan, Subscription
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a plan; False when its code is taken (the unique constraint decides)."""
    now = utcnow()
    statement = (
        dialect_insert(session, Plan)
        .values(**values, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["code"])
    )
    return rowcount(await session.execute(statement)) == 1


async def get(session: AsyncSession, plan_id: uuid.UUID) -> Plan | None:
    return await session.get(Plan, plan_id, populate_existing=True)


async def get_many(session: AsyncSession, plan_ids: set[uuid.UUID]) -> dict[uuid.UUID, Plan]:
    if not plan_ids:
        return {}
    rows = await session.scalars(sa.select(Plan).where(Plan.id.in_(plan_ids)))
    return {row.id: row for row in rows}


async def get_by_code(session: AsyncSession, code: str) -> Plan | None:
    return await session.scalar(sa.select(Plan).where(Plan.code == code))


async def list_plans(
    session: AsyncSession, *, status: str | None, offset: int, limit: int
) -> tuple[list[Plan], int]:
    where = [] if status is None else [Plan.status == status]
    total = await session.scalar(sa.select(sa.func.count()).select_from(Plan).where(*where))
    rows = await session.scalars(
        sa.select(Plan).where(*where).order_by(Plan.created_at, Plan.id).offset(offset).limit(limit)
    )
    return list(rows), int(total or 0)


async def update(session: AsyncSession, plan_id: uuid.UUID, values: dict[str, Any]) -> int:
    result = await session.execute(
        sa.update(Plan).where(Plan.id == plan_id).values(**values, updated_at=utcnow())
    )
    return rowcount(result)


async def retire(session: AsyncSession, plan_id: uuid.UUID) -> int:
    now = utcnow()
    result = await session.execute(
        sa.update(Plan)
        .where(Plan.id == plan_id, Plan.status == "active")
        .values(status="retired", retired_at=now, updated_at=now)
    )
    return rowcount(result)


async def delete_unused(session: AsyncSession, plan_id: uuid.UUID) -> int:
    """Delete the plan unless a subscription holds it (or will): one statement."""
    in_use = sa.exists().where(
        sa.or_(Subscription.plan_id == plan_id, Subscription.pending_plan_id == plan_id)
    )
    result = await session.execute(sa.delete(Plan).where(Plan.id == plan_id, ~in_use))
    return rowcount(result)
