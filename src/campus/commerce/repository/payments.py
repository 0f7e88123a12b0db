"""Payment queries: every read and write of ``commerce_payments``.

Every status change is a conditional UPDATE, so of a webhook, the return redirect and the
reconciler racing on one payment each change happens once."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderStatus, PaymentStatus
from campus.commerce.models import Order, Payment
from campus.kernel.db import rowcount

#: Statuses a gateway may still move (a payment that succeeded or was canceled never moves).
OPEN_STATUSES: tuple[str, ...] = (
    PaymentStatus.REQUIRES_PAYMENT_METHOD.value,
    PaymentStatus.REQUIRES_ACTION.value,
    PaymentStatus.PROCESSING.value,
)


async def insert(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(Payment).values(**values))


async def count_for_order(session: AsyncSession, order_id: uuid.UUID) -> int:
    found = await session.scalar(
        sa.select(sa.func.count()).select_from(Payment).where(Payment.order_id == order_id)
    )
    return int(found or 0)


async def get(session: AsyncSession, payment_id: uuid.UUID) -> Payment | None:
    return await session.scalar(
        sa.select(Payment).where(Payment.id == payment_id).execution_options(populate_existing=True)
    )


async def get_by_gateway_id(
    session: AsyncSession, gateway: str, gateway_payment_id: str
) -> Payment | None:
    return await session.scalar(
        sa.select(Payment)
        .where(Payment.gateway == gateway, Payment.gateway_payment_id == gateway_payment_id)
        .execution_options(populate_existing=True)
    )


async def for_order(session: AsyncSession, order_id: uuid.UUID) -> list[Payment]:
    """The order's payments, newest first."""
    rows = await session.scalars(
        sa.select(Payment)
        .where(Payment.order_id == order_id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def succeeded_for_order(session: AsyncSession, order_id: uuid.UUID) -> Payment | None:
    """The payment that paid the order (the first that succeeded)."""
    return await session.scalar(
        sa.select(Payment)
        .where(Payment.order_id == order_id, Payment.status == PaymentStatus.SUCCEEDED.value)
        .order_by(Payment.updated_at, Payment.id)
        .limit(1)
        .execution_options(populate_existing=True)
    )


async def record_gateway_view(
    session: AsyncSession, payment_id: uuid.UUID, values: dict[str, Any]
) -> None:
    """Store what the gateway answered when the payment was created."""
    await session.execute(
        sa.update(Payment)
        .where(Payment.id == payment_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def mark_succeeded(
    session: AsyncSession, payment_id: uuid.UUID, *, captured_minor: int, now: datetime
) -> bool:
    """``→ succeeded`` once (from any other status: the gateway's success is the truth)."""
    result = await session.execute(
        sa.update(Payment)
        .where(Payment.id == payment_id, Payment.status != PaymentStatus.SUCCEEDED.value)
        .values(
            status=PaymentStatus.SUCCEEDED.value,
            captured_minor=captured_minor,
            failure_code=None,
            failure_message=None,
            next_action_url=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def move_open(
    session: AsyncSession,
    payment_id: uuid.UUID,
    *,
    to: PaymentStatus,
    now: datetime,
    failure_code: str | None = None,
    failure_message: str | None = None,
    next_action_url: str | None = None,
) -> bool:
    """Move a payment that is still open (never one that succeeded or was canceled) to
    ``to``; True when something changed."""
    current = sa.tuple_(Payment.status, sa.func.coalesce(Payment.failure_code, ""))
    result = await session.execute(
        sa.update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.status.in_(OPEN_STATUSES),
            current != sa.tuple_(sa.literal(to.value), sa.literal(failure_code or "")),
        )
        .values(
            status=to.value,
            failure_code=failure_code,
            failure_message=failure_message,
            next_action_url=next_action_url,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def add_refunded(session: AsyncSession, payment_id: uuid.UUID, amount_minor: int) -> bool:
    """Reserve ``amount_minor`` of a succeeded payment for a refund, never past what was
    captured: one conditional UPDATE, so concurrent refunds queue on the row and each sees
    the sum the previous one left (PAY-05)."""
    result = await session.execute(
        sa.update(Payment)
        .where(
            Payment.id == payment_id,
            Payment.status == PaymentStatus.SUCCEEDED.value,
            Payment.refunded_minor + amount_minor <= Payment.captured_minor,
        )
        .values(refunded_minor=Payment.refunded_minor + amount_minor)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def give_back_refunded(
    session: AsyncSession, payment_id: uuid.UUID, amount_minor: int
) -> None:
    """Undo a reservation whose refund the gateway refused."""
    await session.execute(
        sa.update(Payment)
        .where(Payment.id == payment_id, Payment.refunded_minor >= amount_minor)
        .values(refunded_minor=Payment.refunded_minor - amount_minor)
        .execution_options(synchronize_session=False)
    )


async def stale_open(session: AsyncSession, created_before: datetime, limit: int) -> list[Payment]:
    """Open payments of pending orders created before ``created_before`` (the reconciler's
    work: their outcome may never have reached Campus)."""
    rows = await session.scalars(
        sa.select(Payment)
        .join(Order, Order.id == Payment.order_id)
        .where(
            Payment.status.in_(OPEN_STATUSES),
            Payment.gateway_payment_id.is_not(None),
            Payment.created_at < created_before,
            Order.status == OrderStatus.PENDING.value,
        )
        .order_by(Payment.created_at, Payment.id)
        .limit(limit)
    )
    return list(rows)


def _filters(
    status: str | None, gateway: str | None, order_id: uuid.UUID | None
) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if status:
        where.append(Payment.status == status)
    if gateway:
        where.append(Payment.gateway == gateway)
    if order_id:
        where.append(Payment.order_id == order_id)
    return where


async def list_payments(
    session: AsyncSession,
    *,
    offset: int,
    limit: int,
    status: str | None = None,
    gateway: str | None = None,
    order_id: uuid.UUID | None = None,
) -> tuple[list[Payment], int]:
    where = _filters(status, gateway, order_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Payment).where(*where))
    rows = await session.scalars(
        sa.select(Payment)
        .where(*where)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def orders_of(
    session: AsyncSession, order_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Order]:
    if not order_ids:
        return {}
    rows = await session.scalars(sa.select(Order).where(Order.id.in_(list(order_ids))))
    return {row.id: row for row in rows}
