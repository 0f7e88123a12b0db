"""Every query of credentials' module and track badges."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.credentials.models import Badge
from campus.kernel.db import dialect_insert, rowcount


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert unless the learner already holds this badge; True when inserted."""
    result = await session.execute(
        dialect_insert(session, Badge)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[Badge.user_id, Badge.kind, Badge.subject_id])
    )
    return rowcount(result) == 1


async def get(session: AsyncSession, badge_id: uuid.UUID) -> Badge | None:
    return await session.get(Badge, badge_id)


async def list_for_user(
    session: AsyncSession, user_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Badge], int]:
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(Badge).where(Badge.user_id == user_id)
    )
    rows = await session.execute(
        sa.select(Badge)
        .where(Badge.user_id == user_id)
        .order_by(Badge.issued_at.desc(), Badge.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.scalars()), int(total or 0)
