"""Announcements: an instructor to the learners of a course they teach, an admin to everyone
enrolled in a course; scheduled or immediate, cancellable until they go out, fanned out in
batches by jobs (each batch notifies ``announcement_batch`` learners and enqueues the next)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog_api
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.db import rowcount
from campus.kernel.outbox import enqueue_job
from campus.learning import api as learning_api
from campus.notifications.data import NOTIFICATION_ADMIN, NOTIFICATION_ANNOUNCE
from campus.notifications.events import ANNOUNCEMENT_JOB
from campus.notifications.exceptions import AnnouncementNotFound, AnnouncementNotScheduled
from campus.notifications.models import Announcement
from campus.notifications.service import pipeline
from campus.notifications.settings import NotificationsSettings


@dataclass(frozen=True, slots=True)
class AnnouncementRecord:
    id: uuid.UUID
    course_id: uuid.UUID | None
    title: str
    message: str
    send_at: datetime
    status: str
    recipients: int
    created_at: datetime


def _record(row: Announcement) -> AnnouncementRecord:
    return AnnouncementRecord(
        row.id,
        row.course_id,
        row.title,
        row.message,
        row.send_at,
        row.status,
        row.recipients,
        row.created_at,
    )


async def _may_announce(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> bool:
    if principal.has(NOTIFICATION_ADMIN):
        return await catalog_api.get_course_summary(session, course_id) is not None
    if not principal.has(NOTIFICATION_ANNOUNCE):
        return False
    return principal.user_id in await catalog_api.course_instructor_ids(session, course_id)


async def create(
    session: AsyncSession,
    principal: Principal,
    *,
    course_id: uuid.UUID,
    title: str,
    message: str,
    send_at: datetime | None,
) -> AnnouncementRecord:
    """A course one does not teach is a 404 (its existence is not revealed)."""
    if not await _may_announce(session, principal, course_id):
        raise AnnouncementNotFound("No such course among the ones you teach.")
    now = utcnow()
    due = max(send_at or now, now)
    row = Announcement(
        author_id=principal.user_id,
        course_id=course_id,
        title=title,
        message=message,
        send_at=due,
        status="scheduled",
    )
    session.add(row)
    await session.flush()
    await enqueue_job(
        session,
        ANNOUNCEMENT_JOB,
        {"announcementId": str(row.id), "after": None},
        run_at=due if due > now else None,
    )
    return _record(row)


async def cancel(
    session: AsyncSession, principal: Principal, announcement_id: uuid.UUID
) -> AnnouncementRecord:
    row = await session.get(Announcement, announcement_id)
    if row is None or (
        row.author_id != principal.user_id and not principal.has(NOTIFICATION_ADMIN)
    ):
        raise AnnouncementNotFound()
    done = await session.execute(
        sa.update(Announcement)
        .where(Announcement.id == announcement_id, Announcement.status == "scheduled")
        .values(status="cancelled", updated_at=utcnow())
    )
    if rowcount(done) == 0:
        raise AnnouncementNotScheduled()
    await session.refresh(row)
    return _record(row)


async def send_batch(session: AsyncSession, settings: Settings, payload: dict[str, Any]) -> None:
    announcement_id = uuid.UUID(str(payload["announcementId"]))
    after = payload.get("after")
    if after is None:
        started = await session.execute(
            sa.update(Announcement)
            .where(Announcement.id == announcement_id, Announcement.status == "scheduled")
            .values(status="sending", updated_at=utcnow())
        )
        if rowcount(started) == 0:
            return  # cancelled, or started already
    row = await session.get(Announcement, announcement_id)
    if row is None or row.course_id is None:
        return
    size = NotificationsSettings.of(settings).announcement_batch
    learners = await learning_api.enrolled_user_ids(session, row.course_id)
    if after is not None:
        cursor = uuid.UUID(str(after))
        learners = [uid for uid in learners if uid > cursor]
    batch = learners[:size]
    title = await catalog_api.get_course_summary(session, row.course_id)
    course_title = title.title if title is not None else ""
    sent = 0
    for uid in batch:
        if uid == row.author_id:
            continue
        created = await pipeline.notify(
            session,
            settings,
            pipeline.Intent(
                uid,
                "learning.course_announcement",
                f"announcement:{row.id}",
                {"course_title": course_title, "title": row.title, "message": row.message},
            ),
        )
        sent += created is not None
    if len(learners) > size:
        await enqueue_job(
            session, ANNOUNCEMENT_JOB, {"announcementId": str(row.id), "after": str(batch[-1])}
        )
        status = "sending"
    else:
        status = "sent"
    await session.execute(
        sa.update(Announcement)
        .where(Announcement.id == row.id)
        .values(status=status, recipients=Announcement.recipients + sent, updated_at=utcnow())
    )
