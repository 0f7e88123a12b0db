"""Promo duration per coupon: one row per coupon of commerce's, written as an upsert."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.models import CouponTerms
from campus.kernel.db import dialect_insert, rowcount


async def upsert(session: AsyncSession, values: dict[str, Any]) -> None:
    statement = dialect_insert(session, CouponTerms).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["coupon_id"],
        set_={
            key: statement.excluded[key]
            for key in ("code", "duration", "periods", "updated_by", "updated_at")
        },
    )
    await session.execute(statement)


async def get(session: AsyncSession, coupon_id: uuid.UUID) -> CouponTerms | None:
    return await session.get(CouponTerms, coupon_id, populate_existing=True)


async def delete(session: AsyncSession, coupon_id: uuid.UUID) -> bool:
    result = await session.execute(sa.delete(CouponTerms).where(CouponTerms.coupon_id == coupon_id))
    return rowcount(result) == 1
