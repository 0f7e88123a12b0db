"""Lesson access and progress: open (view), start, video heartbeats, explicit completion.

A learner opens a lesson only with access to the course (an active or completed enrollment,
not expired) and only in the version they are pinned to: a lesson id of another version of the
course resolves, by lineage, to their version's lesson. Locks (module ``is_locked``,
``is_sequential``) are answered as a 403 ``lesson_locked`` with the blocking lesson.
Instructors of the course and administrators read any lesson, without progress.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import LessonContent, LessonOutline, LessonType, VersionStatus
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden
from campus.kernel.events import publish
from campus.learning import events, policies
from campus.learning.data import ActivityType, CompletionSource, EnrollmentStatus
from campus.learning.exceptions import (
    CompletedByAssessment,
    EnrollmentInactive,
    EnrollmentRequired,
    EnrollmentRevoked,
    LessonLocked,
    LessonNotFound,
    LessonNotInVersion,
    LessonNotStarted,
    NotAVideo,
    VideoNotWatched,
)
from campus.learning.models import Enrollment, LessonProgress
from campus.learning.repository import enrollments as enrollment_repo
from campus.learning.repository import progress as progress_repo
from campus.learning.service import curricula, progress
from campus.learning.service.activity import record_activity
from campus.learning.service.conversions import lesson_progress
from campus.learning.service.curricula import ASSESSED_TYPES, Curriculum
from campus.learning.service.enrollment_status import effective_status
from campus.learning.service.records import HeartbeatCredit, LessonProgressUpdate, LessonReading
from campus.learning.service.rules import Rules


@dataclass(frozen=True, slots=True)
class Resolved:
    enrollment: Enrollment
    curriculum: Curriculum
    lesson: LessonOutline


async def _resolve(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, now: datetime
) -> Resolved:
    """The caller's enrollment and their version's lesson for ``lesson_id``, or the reason why
    not (404 unknown/unpublished lesson, 403 no enrollment/no access/not in their version)."""
    home = await curricula.lesson_home(session, lesson_id)
    if home is None or home[0].structure.status is not VersionStatus.PUBLISHED:
        raise LessonNotFound()
    found, lesson = home
    enrollment = await enrollment_repo.get_for(session, principal.user_id, found.course_id)
    if enrollment is None:
        raise EnrollmentRequired()
    status = effective_status(enrollment, now)
    if status is EnrollmentStatus.REVOKED_BY_ADMIN:
        raise EnrollmentRevoked()
    if status not in (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED):
        raise EnrollmentInactive(status.value)
    if enrollment.version_id != found.id:
        mine = await curricula.curriculum(session, enrollment.version_id)
        same = None if mine is None else mine.by_lineage(lesson.lineage_id)
        if mine is None or same is None:
            raise LessonNotInVersion(enrollment.id)
        found, lesson = mine, same
    return Resolved(enrollment, found, lesson)


async def _check_open(session: AsyncSession, r: Resolved) -> set[uuid.UUID]:
    """Raise ``LessonLocked`` when the lesson is closed; returns the completed lineages."""
    rows = await progress_repo.lesson_rows(session, r.enrollment.user_id, r.enrollment.course_id)
    done = {x.lesson_lineage_id for x in rows if x.completed_at is not None}
    lock = r.curriculum.lock_of(r.lesson, done)
    if lock is not None:
        raise LessonLocked(lock.reason.value, lock.blocking_lesson_id, lock.blocking_module_id)
    return done


async def _open(
    session: AsyncSession, r: Resolved, now: datetime, *, count_view: bool
) -> LessonProgress:
    """Record the opening (and the first start: event, feed line, module progress)."""
    row, started = await progress_repo.open_lesson(
        session,
        user_id=r.enrollment.user_id,
        course_id=r.enrollment.course_id,
        lineage_id=r.lesson.lineage_id,
        lesson_id=r.lesson.id,
        now=now,
        epoch=progress.epoch(now),
        count_view=count_view,
    )
    if started:
        module = r.curriculum.module_of(r.lesson)
        await publish(
            session,
            events.LessonStarted(
                enrollment_id=r.enrollment.id,
                user_id=r.enrollment.user_id,
                course_id=r.enrollment.course_id,
                version_id=r.curriculum.id,
                module_id=module.id,
                lesson_id=r.lesson.id,
                lesson_lineage_id=r.lesson.lineage_id,
                started_at=now,
            ),
        )
        await record_activity(
            session,
            kind=ActivityType.LESSON_STARTED,
            enrollment=r.enrollment,
            now=now,
            module_id=module.id,
            lesson_id=r.lesson.id,
            data={"lessonTitle": r.lesson.title, "moduleTitle": module.title},
        )
    locked = await enrollment_repo.lock(session, r.enrollment.id, now, r.lesson.lineage_id)
    assert locked is not None
    await progress.refresh(session, locked, now, touched=r.lesson.lineage_id)
    return row


async def staff_of(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> bool:
    """Whether the caller is course staff (reads any lesson of the course, locked or not)."""
    return await policies.is_course_staff(session, principal, course_id)


def _reading(
    content: LessonContent, enrollment_id: uuid.UUID | None, row: LessonProgress | None
) -> LessonReading:
    progress = None if enrollment_id is None else lesson_progress(row)
    return LessonReading(content, enrollment_id, progress)


async def view_lesson(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, language: str | None
) -> LessonReading:
    """The lesson's full content for the learner (counted as a view; the first view starts the
    lesson), or for the course's instructors and administrators."""
    now = utcnow()
    try:
        r = await _resolve(session, principal, lesson_id, now)
    except (Forbidden, LessonNotFound):
        content = await catalog.get_lesson_content(session, lesson_id, language=language)
        if content is not None and await staff_of(session, principal, content.course_id):
            return _reading(content, None, None)
        raise
    try:
        await _check_open(session, r)
    except LessonLocked:
        if not await staff_of(session, principal, r.curriculum.course_id):
            raise
    row = await _open(session, r, now, count_view=True)
    content = await catalog.get_lesson_content(session, r.lesson.id, language=language)
    if content is None:  # pragma: no cover - published lessons are never deleted
        raise LessonNotFound()
    return _reading(content, r.enrollment.id, row)


async def _result(session: AsyncSession, r: Resolved, now: datetime) -> LessonProgressUpdate:
    row = await progress_repo.get_lesson_row(session, r.enrollment.user_id, r.lesson.lineage_id)
    fresh = await enrollment_repo.get(session, r.enrollment.id)
    assert fresh is not None
    return LessonProgressUpdate(
        lesson_id=r.lesson.id,
        lineage_id=r.lesson.lineage_id,
        enrollment_id=fresh.id,
        progress=lesson_progress(row),
        course_progress_percent=fresh.progress_percent,
        completed_items=fresh.completed_items,
        total_items=fresh.total_items,
        enrollment_status=effective_status(fresh, now),
    )


async def start_lesson(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID
) -> LessonProgressUpdate:
    """Start (idempotent): the lesson must be open; heartbeats are credited from now on."""
    now = utcnow()
    r = await _resolve(session, principal, lesson_id, now)
    await _check_open(session, r)
    await _open(session, r, now, count_view=False)
    return await _result(session, r, now)


async def heartbeat(
    session: AsyncSession,
    principal: Principal,
    lesson_id: uuid.UUID,
    *,
    position_seconds: float,
    watched_seconds: float,
    rules: Rules,
) -> HeartbeatCredit:
    """Credit the ``watched_seconds`` played since the previous heartbeat and record the
    playback position (see ``progress_repo.heartbeat``), and complete the video once the
    configured share was watched. The hot path is one UPDATE (it checks access itself) and, at
    most once a minute, the enrollment's last activity; the curriculum comes from the cache.
    When the UPDATE finds nothing, the full resolution says why (404/403/409)."""
    now = utcnow()
    home = await curricula.lesson_home(session, lesson_id)
    if home is None or home[0].structure.status is not VersionStatus.PUBLISHED:
        raise LessonNotFound()
    found, lesson = home
    if lesson.type is not LessonType.VIDEO:
        raise NotAVideo()
    duration = lesson.duration_seconds
    row = await progress_repo.heartbeat(
        session,
        user_id=principal.user_id,
        course_id=found.course_id,
        lineage_id=lesson.lineage_id,
        watched=int(watched_seconds),
        position=min(int(position_seconds), duration),
        duration=duration,
        epoch=progress.epoch(now),
        tolerance=rules.heartbeat_tolerance_seconds,
        now=now,
    )
    if row is None:
        await _resolve(session, principal, lesson_id, now)  # raises the precise refusal
        raise LessonNotStarted()
    required = rules.required_seconds(duration)
    completed = row.completed_at is not None
    if not completed and duration > 0 and row.watched_seconds >= required:
        r = await _resolve(session, principal, lesson_id, now)
        await progress.complete_lesson(
            session, r.enrollment, r.curriculum, r.lesson, CompletionSource.VIDEO, now
        )
        completed = True
    elif now - row.last_activity_at >= timedelta(seconds=rules.activity_touch_seconds):
        await enrollment_repo.touch_activity_for(
            session, principal.user_id, found.course_id, now, lesson.lineage_id
        )
    return HeartbeatCredit(
        lesson_id=lesson.id,
        position_seconds=row.position_seconds,
        watched_seconds=row.watched_seconds,
        duration_seconds=duration,
        required_seconds=required,
        completed=completed,
    )


async def complete(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID, rules: Rules
) -> LessonProgressUpdate:
    """Explicit completion of text, document, code and interactive lessons (idempotent); a
    video completes by being watched, quiz and assignment lessons by their assessment."""
    now = utcnow()
    r = await _resolve(session, principal, lesson_id, now)
    await _check_open(session, r)
    if r.lesson.type in ASSESSED_TYPES:
        raise CompletedByAssessment()
    source = CompletionSource.MANUAL
    if r.lesson.type is LessonType.VIDEO and r.lesson.duration_seconds > 0:
        row = await progress_repo.get_lesson_row(session, r.enrollment.user_id, r.lesson.lineage_id)
        watched = 0 if row is None else row.watched_seconds
        required = rules.required_seconds(r.lesson.duration_seconds)
        if (row is None or row.completed_at is None) and watched < required:
            raise VideoNotWatched(watched, required)
        source = CompletionSource.VIDEO
    await progress.complete_lesson(session, r.enrollment, r.curriculum, r.lesson, source, now)
    return await _result(session, r, now)
