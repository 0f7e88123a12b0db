"""Reports, the moderation queue, actions (approve, hide, delete, warn, mute, ban) and the
moderation log. Course moderators and instructors act in their course's forum; platform
moderators and admins everywhere. Every action is logged."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.community import policies
from campus.community.data import (
    ContentStatus,
    ModerationAction,
    ReviewStatus,
    SanctionKind,
    TargetType,
)
from campus.community.exceptions import PostNotFound, ReportNotFound, ReviewNotFound, TopicNotFound
from campus.community.models import ModerationLogEntry, Report, Sanction
from campus.community.repository import forums as forums_repo
from campus.community.repository import moderation as repo
from campus.community.repository import reviews as reviews_repo
from campus.community.service import reviews as reviews_service
from campus.community.service.records import LogRecord, ReportRecord, SanctionRecord
from campus.community.service.reports import file_report
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict, Forbidden, field_error


def report_record(r: Report) -> ReportRecord:
    return ReportRecord(
        id=r.id,
        target_type=r.target_type,
        target_id=r.target_id,
        course_id=r.course_id,
        target_author_id=r.target_author_id,
        reporter_id=r.reporter_id,
        reason=r.reason,
        status=r.status,
        created_at=r.created_at,
        resolved_at=r.resolved_at,
    )


def log_record(e: ModerationLogEntry) -> LogRecord:
    return LogRecord(
        id=e.id,
        moderator_id=e.moderator_id,
        action=e.action,
        target_type=e.target_type,
        target_id=e.target_id,
        course_id=e.course_id,
        report_id=e.report_id,
        note=e.note,
        created_at=e.created_at,
    )


def sanction_record(s: Sanction) -> SanctionRecord:
    return SanctionRecord(
        id=s.id,
        user_id=s.user_id,
        course_id=s.course_id,
        kind=s.kind,
        reason=s.reason,
        ends_at=s.ends_at,
        moderator_id=s.moderator_id,
        created_at=s.created_at,
    )


async def _target(
    session: AsyncSession, principal: Principal, target_type: TargetType, target_id: uuid.UUID
) -> tuple[uuid.UUID | None, uuid.UUID]:
    """(course id, author id) of content the caller can see."""
    if target_type is TargetType.REVIEW:
        review = await reviews_repo.get(session, target_id)
        if review is None or review.status != ReviewStatus.APPROVED:
            raise ReviewNotFound()
        return review.course_id, review.user_id
    topic_id = target_id
    author_id = None
    if target_type is TargetType.POST:
        post = await forums_repo.get_post(session, target_id)
        if post is None or post.deleted_at is not None:
            raise PostNotFound()
        topic_id, author_id = post.topic_id, post.author_id
    topic = await forums_repo.get_topic(session, topic_id)
    if topic is None:
        raise TopicNotFound()
    access = await policies.forum_access(session, principal, topic.course_id)
    access.require_read()
    return topic.course_id, author_id or topic.author_id


async def report(
    session: AsyncSession,
    principal: Principal,
    target_type: TargetType,
    target_id: uuid.UUID,
    reason: str,
) -> uuid.UUID:
    course_id, author_id = await _target(session, principal, target_type, target_id)
    if author_id == principal.user_id:
        raise field_error("targetId", "You cannot report your own content.")
    report_id = await file_report(
        session,
        target_type=target_type,
        target_id=target_id,
        course_id=course_id,
        target_author_id=author_id,
        reporter_id=principal.user_id,
        reason=reason,
    )
    if report_id is None:
        raise Conflict("You have already reported this.", code="already_reported")
    return report_id


async def _moderated_courses(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID | None
) -> list[uuid.UUID] | None:
    """The forums whose queue the caller sees: every one for platform moderators (``None``),
    else the asked course when the caller moderates it."""
    if policies.is_platform_moderator(principal) and course_id is None:
        return None
    if course_id is None:
        raise field_error("courseId", "Name the course whose queue you moderate.")
    access = await policies.forum_access(session, principal, course_id)
    access.require_moderate()
    return [course_id]


async def queue(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[ReportRecord], int]:
    courses = await _moderated_courses(session, principal, course_id)
    found, total = await repo.queue(session, courses, limit, offset)
    return [report_record(r) for r in found], total


async def moderation_log(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[LogRecord], int]:
    courses = await _moderated_courses(session, principal, course_id)
    found, total = await repo.log_page(session, courses, limit, offset)
    return [log_record(e) for e in found], total


async def _require_moderator_of(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID | None
) -> None:
    if course_id is None or policies.is_platform_moderator(principal):
        if not policies.is_platform_moderator(principal):
            raise Forbidden("Only moderators may do that.")
        return
    access = await policies.forum_access(session, principal, course_id)
    access.require_moderate()


async def _set_content_status(
    session: AsyncSession, target_type: str, target_id: uuid.UUID, status: ContentStatus
) -> None:
    if target_type == TargetType.POST:
        await forums_repo.update_post(session, target_id, status=status.value)
    elif target_type == TargetType.TOPIC:
        await forums_repo.update_topic(session, target_id, status=status.value)


async def act(
    session: AsyncSession,
    principal: Principal,
    report_id: uuid.UUID,
    action: ModerationAction,
    note: str,
    *,
    days: int | None,
) -> ReportRecord:
    """Resolve a report with an action; each is logged. ``approve`` shows the content (and
    approves a review), ``hide`` hides it, ``delete`` deletes it, ``warn`` only logs,
    ``mute``/``ban`` sanction its author in the course's forum (for ``days``, or until
    lifted)."""
    found = await repo.get_report(session, report_id)
    if found is None:
        raise ReportNotFound()
    await _require_moderator_of(session, principal, found.course_id)
    if found.status != "open":
        raise Conflict("The report is already resolved.", code="report_resolved")
    now = utcnow()
    kind = found.target_type
    if action is ModerationAction.APPROVE:
        if kind == TargetType.REVIEW:
            await reviews_service.moderate(
                session, principal, found.target_id, ReviewStatus.APPROVED, note or None
            )
        else:
            await _set_content_status(session, kind, found.target_id, ContentStatus.VISIBLE)
    elif action is ModerationAction.HIDE:
        if kind == TargetType.REVIEW:
            await reviews_service.moderate(
                session, principal, found.target_id, ReviewStatus.REJECTED, note or None
            )
        else:
            await _set_content_status(session, kind, found.target_id, ContentStatus.HIDDEN)
    elif action is ModerationAction.DELETE:
        if kind == TargetType.POST:
            await forums_repo.soft_delete_post(session, found.target_id, now)
        elif kind == TargetType.TOPIC:
            await forums_repo.update_topic(session, found.target_id, deleted_at=now)
            await forums_repo.delete_search_document(session, found.target_id)
        else:
            review = await reviews_repo.get(session, found.target_id)
            if (
                review is not None
                and await reviews_repo.delete(session, review.id)
                and review.status == ReviewStatus.APPROVED
            ):
                await reviews_service.ratings_changed(session, review.course_id)
    elif action in (ModerationAction.MUTE, ModerationAction.BAN):
        await forums_repo.add_sanction(
            session,
            user_id=found.target_author_id,
            course_id=found.course_id,
            kind=SanctionKind(action.value).value,
            reason=note or found.reason,
            ends_at=None if days is None else now + timedelta(days=days),
            moderator_id=principal.user_id,
            created_at=now,
        )
    elif action is not ModerationAction.WARN:
        raise field_error("action", "Not an action on a report.")
    await repo.log(
        session,
        moderator_id=principal.user_id,
        action=action.value,
        target_type=kind,
        target_id=found.target_id,
        course_id=found.course_id,
        report_id=found.id,
        note=note,
        created_at=now,
    )
    await repo.resolve_open_reports(session, found.target_id, principal.user_id, now)
    refreshed = await repo.get_report(session, found.id)
    assert refreshed is not None
    return report_record(refreshed)


async def sanction(
    session: AsyncSession,
    principal: Principal,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID | None,
    kind: SanctionKind,
    reason: str,
    ends_at: datetime | None,
) -> SanctionRecord:
    """Mute or ban a user in a course forum (its moderators) or everywhere (platform
    moderators), with a reason and an optional end."""
    await _require_moderator_of(session, principal, course_id)
    now = utcnow()
    if ends_at is not None and ends_at <= now:
        raise field_error("endsAt", "The end must be in the future.")
    row = await forums_repo.add_sanction(
        session,
        user_id=user_id,
        course_id=course_id,
        kind=kind.value,
        reason=reason,
        ends_at=ends_at,
        moderator_id=principal.user_id,
        created_at=now,
    )
    await repo.log(
        session,
        moderator_id=principal.user_id,
        action=kind.value,
        target_type="user",
        target_id=user_id,
        course_id=course_id,
        report_id=None,
        note=reason,
        created_at=now,
    )
    return sanction_record(row)
