"""Refund queries: every read and write of ``commerce_refunds``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import RefundStatus
from campus.commerce.models import Refund
from campus.kernel.db import rowcount


async def insert(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(Refund).values(**values))


async def get(session: AsyncSession, refund_id: uuid.UUID) -> Refund | None:
    return await session.scalar(
        sa.select(Refund).where(Refund.id == refund_id).execution_options(populate_existing=True)
    )


async def get_by_gateway_id(session: AsyncSession, gateway_refund_id: str) -> Refund | None:
    return await session.scalar(
        sa.select(Refund)
        .where(Refund.gateway_refund_id == gateway_refund_id)
        .execution_options(populate_existing=True)
    )


async def set_gateway_id(
    session: AsyncSession, refund_id: uuid.UUID, gateway_refund_id: str
) -> None:
    await session.execute(
        sa.update(Refund)
        .where(Refund.id == refund_id, Refund.gateway_refund_id.is_(None))
        .values(gateway_refund_id=gateway_refund_id)
        .execution_options(synchronize_session=False)
    )


async def complete(
    session: AsyncSession,
    refund_id: uuid.UUID,
    *,
    status: RefundStatus,
    failure_code: str | None,
    now: datetime,
) -> bool:
    """``pending → succeeded | failed`` once."""
    result = await session.execute(
        sa.update(Refund)
        .where(Refund.id == refund_id, Refund.status == RefundStatus.PENDING.value)
        .values(status=status.value, failure_code=failure_code, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def list_refunds(
    session: AsyncSession,
    *,
    offset: int,
    limit: int,
    status: str | None = None,
    order_id: uuid.UUID | None = None,
) -> tuple[list[Refund], int]:
    where: list[sa.ColumnElement[bool]] = []
    if status:
        where.append(Refund.status == status)
    if order_id:
        where.append(Refund.order_id == order_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Refund).where(*where))
    rows = await session.scalars(
        sa.select(Refund)
        .where(*where)
        .order_by(Refund.created_at.desc(), Refund.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def sum_succeeded(session: AsyncSession, order_id: uuid.UUID) -> int:
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Refund.amount_minor), 0)).where(
            Refund.order_id == order_id, Refund.status == RefundStatus.SUCCEEDED.value
        )
    )
    return int(total or 0)


async def unanswered(session: AsyncSession, before: datetime, limit: int) -> list[Refund]:
    """Pending refunds without a provider id (its answer never came), asked before
    ``before``, oldest first."""
    rows = await session.scalars(
        sa.select(Refund)
        .where(
            Refund.status == RefundStatus.PENDING.value,
            Refund.gateway_refund_id.is_(None),
            Refund.created_at < before,
        )
        .order_by(Refund.created_at)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(rows)
