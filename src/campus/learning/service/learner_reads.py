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
from campus.kernel.pagination import PageParams, decode_cursor, encode_cursor
from campus.learning.data import ActivityType, ProgressStatus
from campus.learning.models import Enrollment
from campus.learning.repository import progress as progress_repo
from campus.learning.repository import reports as reports_repo
from campus.learning.service import curricula, enrollments
from campus.learning.service.conversions import enrollment_record, summary
from campus.learning.service.curricula import Curriculum
from campus.learning.service.records import (
    ActivityFeed,
    ActivityItem,
    EnrollmentOutline,
    LessonPlace,
    LessonState,
    ModuleState,
    MyCourse,
    ResumePoint,
)


def place(curriculum: Curriculum, lesson: LessonOutline | None) -> LessonPlace | None:
    return None if lesson is None else LessonPlace(lesson, curriculum.module_of(lesson))


async def my_learning(
    session: AsyncSession, principal: Principal, statuses: Sequence[str], page: PageParams
) -> tuple[list[MyCourse], int]:
    """The caller's courses with progress and the next lesson, most recent activity first; and
    how many there are."""
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
            following = place(curriculum, lesson)
        items.append(
            MyCourse(
                enrollment=summary(row, now),
                course=course,
                next_lesson=following,
                upgrade_available=course.current_version_id not in (None, row.version_id),
            )
        )
    return items, total


async def outline(session: AsyncSession, row: Enrollment) -> EnrollmentOutline:
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
        return EnrollmentOutline(
            enrollment=enrollment_record(row, now),
            version_number=0,
            upgrade_available=False,
            next_lesson=None,
            modules=(),
        )
    done = {k for k, v in lessons.items() if v.completed_at is not None}
    figures = curriculum.figures(done, set(lessons))
    states: list[ModuleState] = []
    for mf in figures.modules:
        stored = modules.get(mf.module.lineage_id)
        lesson_states = []
        for lesson in mf.module.lessons:
            p = lessons.get(lesson.lineage_id)
            lock = curriculum.lock_of(lesson, done)
            status = ProgressStatus.NOT_STARTED
            if p is not None:
                status = ProgressStatus.COMPLETED if p.completed_at else ProgressStatus.IN_PROGRESS
            lesson_states.append(
                LessonState(
                    lesson=lesson,
                    status=status,
                    lock=lock,
                    view_count=0 if p is None else p.view_count,
                    position_seconds=0 if p is None else p.position_seconds,
                    watched_seconds=0 if p is None else p.watched_seconds,
                    last_viewed_at=None if p is None else p.last_viewed_at,
                    completed_at=None if p is None else p.completed_at,
                )
            )
        states.append(
            ModuleState(
                figures=mf,
                started_at=None if stored is None else stored.started_at,
                completed_at=None if stored is None else stored.completed_at,
                last_accessed_at=None if stored is None else stored.last_accessed_at,
                lessons=tuple(lesson_states),
            )
        )
    following, _ = curriculum.next_lesson(done, row.last_lesson_lineage_id)
    return EnrollmentOutline(
        enrollment=enrollment_record(row, now),
        version_number=curriculum.structure.number,
        upgrade_available=current not in (None, row.version_id),
        next_lesson=place(curriculum, following),
        modules=tuple(states),
    )


async def enrollment_outline(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentOutline:
    row = await enrollments.visible(session, principal, enrollment_id)
    return await outline(session, row)


async def continue_at(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> ResumePoint:
    """The resume point: the lesson to open next, and where in it."""
    row = await enrollments.visible(session, principal, enrollment_id)
    curriculum = await curricula.curriculum(session, row.version_id)
    lessons = {
        r.lesson_lineage_id: r
        for r in await progress_repo.lesson_rows(session, row.user_id, row.course_id)
    }
    if curriculum is None:
        return ResumePoint(
            enrollment_id=row.id, reason="completed", lesson=None, position_seconds=0
        )
    done = {k for k, v in lessons.items() if v.completed_at is not None}
    lesson, reason = curriculum.next_lesson(done, row.last_lesson_lineage_id)
    position = 0
    if lesson is not None and reason == "resume" and lesson.lineage_id in lessons:
        position = lessons[lesson.lineage_id].position_seconds
    return ResumePoint(
        enrollment_id=row.id,
        reason="resume" if reason == "resume" else "next" if lesson else "completed",
        lesson=place(curriculum, lesson),
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
) -> ActivityFeed:
    """The caller's learning events, newest first (cursor pagination)."""
    rows = await reports_repo.activity_page(session, principal.user_id, _before(cursor), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    courses = await catalog.get_course_summaries(session, {r.course_id for r in rows})
    items = tuple(
        ActivityItem(
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
    )
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor({"at": last.occurred_at.isoformat(), "id": str(last.id)})
    return ActivityFeed(items, next_cursor)
