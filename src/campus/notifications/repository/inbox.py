"""Inbox queries: one user's in-app notifications."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.db import rowcount
from campus.notifications.models import Notification


def _mine(user_id: uuid.UUID, archived: bool) -> list[sa.ColumnElement[bool]]:
    return [
        Notification.user_id == user_id,
        Notification.in_inbox.is_(True),
        Notification.archived_at.is_not(None) if archived else Notification.archived_at.is_(None),
    ]


async def page(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    archived: bool,
    unread_first: bool,
    after: tuple[int, uuid.UUID] | None,
    limit: int,
) -> list[Notification]:
    """Newest first (``unread_first``: unread ones first, each group newest first); ``after``
    is the (unread rank, id) of the last item of the previous page."""
    rank = sa.case((Notification.read_at.is_(None), 0), else_=1) if unread_first else sa.literal(0)
    query = sa.select(Notification).where(*_mine(user_id, archived))
    if after is not None:
        last_rank, last_id = after
        query = query.where(
            sa.or_(rank > last_rank, sa.and_(rank == last_rank, Notification.id < last_id))
        )
    query = query.order_by(rank, Notification.id.desc()).limit(limit + 1)
    return list((await session.execute(query)).scalars())


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(Notification)
            .where(*_mine(user_id, False), Notification.read_at.is_(None))
        )
        or 0
    )


async def get(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return await session.scalar(
        sa.select(Notification).where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.in_inbox.is_(True),
        )
    )


async def set_read(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID, at: datetime | None
) -> int:
    result = await session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.in_inbox.is_(True),
        )
        .values(read_at=at)
    )
    return rowcount(result)


async def read_all(session: AsyncSession, user_id: uuid.UUID, at: datetime) -> int:
    result = await session.execute(
        sa.update(Notification)
        .where(*_mine(user_id, False), Notification.read_at.is_(None))
        .values(read_at=at)
    )
    return rowcount(result)


async def set_archived(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID, at: datetime | None
) -> int:
    result = await session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.in_inbox.is_(True),
        )
        .values(archived_at=at)
    )
    return rowcount(result)
