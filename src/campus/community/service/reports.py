"""Filing a report (by a user, or by the content filter) and telling the moderators."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community.data import TargetType
from campus.community.events import ContentReported
from campus.community.repository import forums as forums_repo
from campus.community.repository import moderation as repo
from campus.kernel.clock import utcnow
from campus.kernel.events import publish


async def file_report(
    session: AsyncSession,
    *,
    target_type: TargetType,
    target_id: uuid.UUID,
    course_id: uuid.UUID | None,
    target_author_id: uuid.UUID,
    reporter_id: uuid.UUID | None,
    reason: str,
) -> uuid.UUID | None:
    """Queue the report and publish ``community.content_reported`` once (None: the reporter
    already has an open report on it)."""
    now = utcnow()
    report_id = await repo.add_report(
        session,
        target_type=target_type.value,
        target_id=target_id,
        course_id=course_id,
        target_author_id=target_author_id,
        reporter_id=reporter_id,
        reason=reason,
        created_at=now,
    )
    if report_id is None:
        return None
    recipients: list[uuid.UUID] = []
    if course_id is not None:
        recipients = list(await catalog.course_instructor_ids(session, course_id))
        recipients += await forums_repo.course_moderator_ids(session, course_id)
    excluded = {reporter_id, target_author_id}
    await publish(
        session,
        ContentReported(
            report_id=report_id,
            target_type=target_type.value,
            target_id=target_id,
            course_id=course_id,
            reporter_id=reporter_id,
            reason=reason,
            recipient_ids=tuple(dict.fromkeys(r for r in recipients if r not in excluded)),
            reported_at=now,
        ),
    )
    return report_id
