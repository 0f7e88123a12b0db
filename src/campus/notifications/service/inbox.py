"""The in-app inbox: a user reads and changes only their own notifications (another user's
is a 404)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.pagination import decode_cursor, encode_cursor
from campus.notifications.exceptions import NotificationNotFound
from campus.notifications.models import Notification
from campus.notifications.repository import inbox as repo
from campus.notifications.service.records import InboxItem


def _item(row: Notification) -> InboxItem:
    return InboxItem(
        row.id,
        row.type_code,
        row.category,
        row.title,
        row.body,
        row.url,
        row.read_at,
        row.archived_at,
        row.created_at,
    )


async def list_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    cursor: str | None,
    limit: int,
    unread_first: bool,
    archived: bool,
) -> tuple[list[InboxItem], str | None]:
    after = None
    if cursor is not None:
        data = decode_cursor(cursor, ("r", "id"))
        try:
            after = (int(data["r"]), uuid.UUID(str(data["id"])))
        except (TypeError, ValueError):
            raise field_error("cursor", "The cursor is invalid.") from None
    rows = await repo.page(
        session, user_id, archived=archived, unread_first=unread_first, after=after, limit=limit
    )
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        rank = 0 if not unread_first or last.read_at is None else 1
        next_cursor = encode_cursor({"r": rank, "id": str(last.id)})
    return [_item(row) for row in rows], next_cursor


async def unread_count(session: AsyncSession, user_id: uuid.UUID) -> int:
    return await repo.unread_count(session, user_id)


async def _changed(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID, touched: int
) -> InboxItem:
    if touched == 0:
        raise NotificationNotFound()
    row = await repo.get(session, user_id, notification_id)
    if row is None:
        raise NotificationNotFound()
    await session.refresh(row)
    return _item(row)


async def mark_read(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID, read: bool
) -> InboxItem:
    touched = await repo.set_read(session, user_id, notification_id, utcnow() if read else None)
    return await _changed(session, user_id, notification_id, touched)


async def archive(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID, archived: bool
) -> InboxItem:
    touched = await repo.set_archived(
        session, user_id, notification_id, utcnow() if archived else None
    )
    return await _changed(session, user_id, notification_id, touched)


async def read_all(session: AsyncSession, user_id: uuid.UUID) -> int:
    return await repo.read_all(session, user_id, utcnow())
