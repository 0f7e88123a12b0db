"""What learners see: "my learning", the progress outline of an enrollment, where to continue,
and the activity feed. Every list loads in a fixed number of queries (bulk reads of courses,
curricula and progress), whatever its length."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import LessonOutline
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.ids import parse_id
from campus.kernel.pagination import CursorPage, Page, PageParams, decode_cursor, encode_cursor
from campus.learning.data import ActivityType, ProgressStatus
from campus.learning.models import Enrollment
from campus.learning.repository import progress as progress_repo
from campus.learning.repository import reports as reports_repo
from campus.learning.schemas.enrollments import (
    ContinueOut,
    LessonRef,
    LessonStateOut,
    LockOut,
    ModuleStateOut,
    ProgressOutline,
)
from campus.learning.schemas.me import ActivityOut, CourseRef, MyCourseOut
from campus.learning.service import curricula, enrollments
from campus.learning.service.conversions import enrollment_out
from campus.learning.service.curricula import Curriculum
from campus.learning.service.enrollment_status import effective_status


def lesson_ref(curriculum: Curriculum, lesson: LessonOutline | None) -> LessonRef | None:
    if lesson is None:
        return None
    module = curriculum.module_of(lesson)
    return LessonRef(
        id=lesson.id,
        lineage_id=lesson.lineage_id,
        title=lesson.title,
        type=lesson.type,
        module_id=module.id,
        module_title=module.title,
        duration_seconds=lesson.duration_seconds,
    )


async def my_learning(
    session: AsyncSession, principal: Principal, statuses: Sequence[str], page: PageParams
) -> Page[MyCourseOut]:
    """The caller's courses with progress and the next lesson, most recent activity first."""
    now = utcnow()
    rows, total = await reports_repo.my_enrollments(
        session, principal.user_id, statuses, page.offset, page.limit
    )
    course_ids = {r.course_id for r in rows}
    courses = await catalog.get_course_summaries(session, course_ids)
    found = await curricula.curricula(session, {r.version_id for r in rows})
    done: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for course_id, lineage, _started, completed in await progress_repo.lesson_rows_of_courses(
        session, principal.user_id, course_ids
    ):
        if completed is not None:
            done[course_id].add(lineage)
    items = []
    for row in rows:
        course = courses.get(row.course_id)
        if course is None:  # only never-published drafts are ever deleted
            continue
        curriculum = found.get(row.version_id)
        following = None
        if curriculum is not None:
            lesson, _ = curriculum.next_lesson(done[row.course_id], row.last_lesson_lineage_id)
            following = lesson_ref(curriculum, lesson)
        items.append(
            MyCourseOut(
                enrollment_id=row.id,
                course=CourseRef(
                    id=course.id,
                    slug=course.slug,
                    title=course.title,
                    thumbnail_url=course.thumbnail_url,
                ),
                status=effective_status(row, now),
                progress_percent=row.progress_percent,
                completed_items=row.completed_items,
                total_items=row.total_items,
                enrolled_at=row.enrolled_at,
                completed_at=row.completed_at,
                expires_at=row.expires_at,
                last_activity_at=row.last_activity_at,
                next_lesson=following,
                upgrade_available=course.current_version_id not in (None, row.version_id),
            )
        )
    return Page[MyCourseOut].build(items, total, page)


async def outline(session: AsyncSession, row: Enrollment) -> ProgressOutline:
    """The enrolled version with the learner's progress, locks and next lesson."""
    now = utcnow()
    curriculum = await curricula.curriculum(session, row.version_id)
    lessons = {
        r.lesson_lineage_id: r
        for r in await progress_repo.lesson_rows(session, row.user_id, row.course_id)
    }
    modules = {
        m.module_lineage_id: m
        for m in await progress_repo.module_rows(session, row.user_id, row.course_id)
    }
    current = await catalog.get_current_version_id(session, row.course_id)
    if curriculum is None:
        return ProgressOutline(
            enrollment=enrollment_out(row, now),
            version_number=0,
            upgrade_available=False,
            next_lesson=None,
            modules=[],
        )
    done = {k for k, v in lessons.items() if v.completed_at is not None}
    figures = curriculum.figures(done, set(lessons))
    out_modules = []
    for mf in figures.modules:
        stored = modules.get(mf.module.lineage_id)
        states = []
        for lesson in mf.module.lessons:
            p = lessons.get(lesson.lineage_id)
            lock = curriculum.lock_of(lesson, done)
            status = ProgressStatus.NOT_STARTED
            if p is not None:
                status = ProgressStatus.COMPLETED if p.completed_at else ProgressStatus.IN_PROGRESS
            states.append(
                LessonStateOut(
                    id=lesson.id,
                    lineage_id=lesson.lineage_id,
                    title=lesson.title,
                    type=lesson.type,
                    position=lesson.position,
                    duration_seconds=lesson.duration_seconds,
                    is_required=lesson.is_required,
                    status=status,
                    lock=None
                    if lock is None
                    else LockOut(
                        reason=lock.reason,
                        blocking_lesson_id=lock.blocking_lesson_id,
                        blocking_module_id=lock.blocking_module_id,
                    ),
                    view_count=0 if p is None else p.view_count,
                    position_seconds=0 if p is None else p.position_seconds,
                    watched_seconds=0 if p is None else p.watched_seconds,
                    last_viewed_at=None if p is None else p.last_viewed_at,
                    completed_at=None if p is None else p.completed_at,
                )
            )
        out_modules.append(
            ModuleStateOut(
                id=mf.module.id,
                lineage_id=mf.module.lineage_id,
                title=mf.module.title,
                position=mf.module.position,
                is_locked=mf.module.is_locked,
                is_sequential=mf.module.is_sequential,
                status=mf.status,
                progress_percent=mf.percent,
                completed_items=mf.completed,
                total_items=mf.total,
                started_at=None if stored is None else stored.started_at,
                completed_at=None if stored is None else stored.completed_at,
                last_accessed_at=None if stored is None else stored.last_accessed_at,
                lessons=states,
            )
        )
    following, _ = curriculum.next_lesson(done, row.last_lesson_lineage_id)
    return ProgressOutline(
        enrollment=enrollment_out(row, now),
        version_number=curriculum.structure.number,
        upgrade_available=current not in (None, row.version_id),
        next_lesson=lesson_ref(curriculum, following),
        modules=out_modules,
    )


async def enrollment_outline(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> ProgressOutline:
    row = await enrollments.visible(session, principal, enrollment_id)
    return await outline(session, row)


async def continue_at(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> ContinueOut:
    """The resume point: the lesson to open next, and where in it."""
    row = await enrollments.visible(session, principal, enrollment_id)
    curriculum = await curricula.curriculum(session, row.version_id)
    lessons = {
        r.lesson_lineage_id: r
        for r in await progress_repo.lesson_rows(session, row.user_id, row.course_id)
    }
    if curriculum is None:
        return ContinueOut(
            enrollment_id=row.id, reason="completed", lesson=None, position_seconds=0
        )
    done = {k for k, v in lessons.items() if v.completed_at is not None}
    lesson, reason = curriculum.next_lesson(done, row.last_lesson_lineage_id)
    position = 0
    if lesson is not None and reason == "resume" and lesson.lineage_id in lessons:
        position = lessons[lesson.lineage_id].position_seconds
    return ContinueOut(
        enrollment_id=row.id,
        reason="resume" if reason == "resume" else "next" if lesson else "completed",
        lesson=lesson_ref(curriculum, lesson),
        position_seconds=position,
    )


# --------------------------------------------------------------------------- activity feed

_CURSOR_KEYS = ("at", "id")


def _before(cursor: str | None) -> tuple[datetime, uuid.UUID] | None:
    if cursor is None:
        return None
    data = decode_cursor(cursor, _CURSOR_KEYS)
    last_id = parse_id(str(data["id"]))
    try:
        at = datetime.fromisoformat(str(data["at"]))
    except ValueError:
        at = None
    if last_id is None or at is None or at.tzinfo is None:
        raise field_error("cursor", "The cursor is invalid.")
    return at, last_id


async def activity_feed(
    session: AsyncSession, principal: Principal, cursor: str | None, limit: int
) -> CursorPage[ActivityOut]:
    """The caller's learning events, newest first (cursor pagination)."""
    rows = await reports_repo.activity_page(session, principal.user_id, _before(cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    courses = await catalog.get_course_summaries(session, {r.course_id for r in rows})
    items = [
        ActivityOut(
            id=r.id,
            type=ActivityType(r.type),
            occurred_at=r.occurred_at,
            course_id=r.course_id,
            course_title=courses[r.course_id].title if r.course_id in courses else None,
            module_id=r.module_id,
            lesson_id=r.lesson_id,
            data=dict(r.data or {}),
        )
        for r in rows
    ]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor({"at": last.occurred_at.isoformat(), "id": str(last.id)})
    return CursorPage[ActivityOut](items=items, next_cursor=next_cursor, limit=limit)
