"""Order queries: every read and write of orders and their lines."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderStatus
from campus.commerce.models import Order, OrderLine
from campus.kernel.db import dialect_insert, rowcount


async def insert_order(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an order unless this buyer already placed one with the same idempotency key;
    True when this call inserted it."""
    statement = (
        dialect_insert(session, Order)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
    )
    return rowcount(await session.execute(statement)) == 1


async def insert_lines(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(sa.insert(OrderLine), list(rows))


async def get(session: AsyncSession, order_id: uuid.UUID) -> Order | None:
    return await session.scalar(
        sa.select(Order).where(Order.id == order_id).execution_options(populate_existing=True)
    )


async def get_by_key(session: AsyncSession, user_id: uuid.UUID, key: str) -> Order | None:
    return await session.scalar(
        sa.select(Order).where(Order.user_id == user_id, Order.idempotency_key == key)
    )


async def lines_of(
    session: AsyncSession, order_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[OrderLine]]:
    out: dict[uuid.UUID, list[OrderLine]] = {i: [] for i in order_ids}
    if not order_ids:
        return out
    rows = await session.scalars(
        sa.select(OrderLine)
        .where(OrderLine.order_id.in_(list(order_ids)))
        .order_by(OrderLine.order_id, OrderLine.position)
    )
    for line in rows:
        out[line.order_id].append(line)
    return out


def _filtered(
    *,
    user_id: uuid.UUID | None = None,
    status: OrderStatus | None = None,
    course_id: uuid.UUID | None = None,
    currency: str | None = None,
    created_from: datetime | None = None,
    created_to: datetime | None = None,
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if user_id is not None:
        where.append(Order.user_id == user_id)
    if status is not None:
        where.append(Order.status == status.value)
    if currency is not None:
        where.append(Order.currency == currency)
    if created_from is not None:
        where.append(Order.created_at >= created_from)
    if created_to is not None:
        where.append(Order.created_at < created_to)
    if course_id is not None:
        where.append(
            Order.id.in_(sa.select(OrderLine.order_id).where(OrderLine.course_id == course_id))
        )
    return where


async def list_orders(
    session: AsyncSession, *, limit: int, offset: int, **filters: Any
) -> tuple[list[Order], int]:
    """Orders matching ``filters`` (see ``_filtered``), newest first, and their count."""
    where = _filtered(**filters)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Order).where(*where))
    rows = await session.scalars(
        sa.select(Order)
        .where(*where)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def iter_orders(session: AsyncSession, *, chunk: int, **filters: Any) -> list[Order]:
    """Every order matching ``filters``, oldest first (for exports), read ``chunk`` at a time
    by keyset."""
    where = _filtered(**filters)
    out: list[Order] = []
    after: uuid.UUID | None = None
    while True:
        query = sa.select(Order).where(*where)
        if after is not None:
            query = query.where(Order.id > after)
        batch = list(await session.scalars(query.order_by(Order.id).limit(chunk)))
        out.extend(batch)
        if len(batch) < chunk:
            return out
        after = batch[-1].id


async def has_paid_order(session: AsyncSession, user_id: uuid.UUID) -> bool:
    """Whether the user has ever completed a purchase (first-purchase-only coupons)."""
    found = await session.scalar(
        sa.select(Order.id)
        .where(
            Order.user_id == user_id,
            Order.status.in_(
                [
                    OrderStatus.PAID.value,
                    OrderStatus.PARTIALLY_REFUNDED.value,
                    OrderStatus.REFUNDED.value,
                ]
            ),
        )
        .limit(1)
    )
    return found is not None


async def move(
    session: AsyncSession,
    order_id: uuid.UUID,
    *,
    from_statuses: Collection[OrderStatus],
    to: OrderStatus,
    **values: Any,
) -> bool:
    """Move an order from one of ``from_statuses`` to ``to`` (a conditional UPDATE: exactly
    one of concurrent callers wins); True when this call moved it."""
    result = await session.execute(
        sa.update(Order)
        .where(Order.id == order_id, Order.status.in_([s.value for s in from_statuses]))
        .values(status=to.value, **values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def add_refunded(
    session: AsyncSession, order_id: uuid.UUID, amount_minor: int, now: datetime
) -> bool:
    """Add a succeeded refund to the order (never past its total); the status follows."""
    new_refunded = Order.refunded_minor + amount_minor
    result = await session.execute(
        sa.update(Order)
        .where(
            Order.id == order_id,
            Order.status.in_([OrderStatus.PAID.value, OrderStatus.PARTIALLY_REFUNDED.value]),
            new_refunded <= Order.total_minor,
        )
        .values(
            refunded_minor=new_refunded,
            status=sa.case(
                (new_refunded >= Order.total_minor, OrderStatus.REFUNDED.value),
                else_=OrderStatus.PARTIALLY_REFUNDED.value,
            ),
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def set_fulfilled(session: AsyncSession, order_id: uuid.UUID, now: datetime) -> bool:
    result = await session.execute(
        sa.update(Order)
        .where(Order.id == order_id, Order.fulfilled_at.is_(None))
        .values(fulfilled_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def due_for_expiry(session: AsyncSession, now: datetime, limit: int) -> list[uuid.UUID]:
    rows = await session.scalars(
        sa.select(Order.id)
        .where(Order.status == OrderStatus.PENDING.value, Order.expires_at <= now)
        .order_by(Order.expires_at)
        .limit(limit)
    )
    return list(rows)
