"""Saved payment method queries (gateway tokens and display data only)."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.models import PaymentMethod
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id


async def save(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    gateway: str,
    token: str,
    brand: str,
    last4: str,
    exp_month: int,
    exp_year: int,
    now: datetime,
) -> bool:
    """Keep a method the gateway saved (once per token); the user's first becomes the default.
    True when this call saved it."""
    has_default = await session.scalar(
        sa.select(sa.literal(True)).where(
            PaymentMethod.user_id == user_id, PaymentMethod.is_default.is_(True)
        )
    )
    values = {
        "id": new_id(),
        "user_id": user_id,
        "gateway": gateway,
        "token": token,
        "brand": brand[:30],
        "last4": last4[-4:],
        "exp_month": exp_month,
        "exp_year": exp_year,
        "created_at": now,
    }
    statement = dialect_insert(session, PaymentMethod).on_conflict_do_nothing(
        index_elements=["token"]
    )
    try:
        async with session.begin_nested():
            result = await session.execute(statement.values(**values, is_default=not has_default))
    except IntegrityError:
        # Another method became the default meanwhile: keep this one as a plain method.
        result = await session.execute(statement.values(**values, is_default=False))
    return rowcount(result) == 1


async def list_for(
    session: AsyncSession, user_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[PaymentMethod], int]:
    where = PaymentMethod.user_id == user_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(PaymentMethod).where(where))
    rows = await session.scalars(
        sa.select(PaymentMethod)
        .where(where)
        .order_by(PaymentMethod.is_default.desc(), PaymentMethod.created_at.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def get_for(
    session: AsyncSession, user_id: uuid.UUID, method_id: uuid.UUID
) -> PaymentMethod | None:
    return await session.scalar(
        sa.select(PaymentMethod)
        .where(PaymentMethod.id == method_id, PaymentMethod.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def set_default(session: AsyncSession, user_id: uuid.UUID, method_id: uuid.UUID) -> bool:
    """Make one method the user's default: clear the others, then set it (two statements, so
    the one-default index never sees two)."""
    await session.execute(
        sa.update(PaymentMethod)
        .where(
            PaymentMethod.user_id == user_id,
            PaymentMethod.id != method_id,
            PaymentMethod.is_default.is_(True),
        )
        .values(is_default=False)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(
        sa.update(PaymentMethod)
        .where(PaymentMethod.id == method_id, PaymentMethod.user_id == user_id)
        .values(is_default=True)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def delete(session: AsyncSession, user_id: uuid.UUID, method_id: uuid.UUID) -> bool:
    result = await session.execute(
        sa.delete(PaymentMethod)
        .where(PaymentMethod.id == method_id, PaymentMethod.user_id == user_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def promote_newest(session: AsyncSession, user_id: uuid.UUID) -> None:
    """After the default was removed: the newest remaining method becomes the default."""
    newest = (
        sa.select(PaymentMethod.id)
        .where(PaymentMethod.user_id == user_id)
        .order_by(PaymentMethod.created_at.desc(), PaymentMethod.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        sa.update(PaymentMethod)
        .where(PaymentMethod.id == newest)
        .values(is_default=True)
        .execution_options(synchronize_session=False)
    )
