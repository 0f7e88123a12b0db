"""Progress figures, lesson/module/course completion, and the assessment context's events.

Lock order, everywhere: the lesson progress row first, then the enrollment row (``lock``). The
figures are computed after both, so of two transactions completing a learner's last two lessons
at once the second waits for the first and sees both lessons done: the course completes once,
by a conditional ``UPDATE ... WHERE status = 'active'`` (ADR 0011).
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.data import LessonOutline
from campus.kernel.clock import utcnow
from campus.kernel.events import publish
from campus.kernel.logging import get_logger
from campus.learning import events
from campus.learning.data import ActivityType, CompletionSource, EnrollmentStatus, ProgressStatus
from campus.learning.models import Enrollment
from campus.learning.repository import enrollments as enrollment_repo
from campus.learning.repository import progress as progress_repo
from campus.learning.service import curricula
from campus.learning.service.activity import record_activity
from campus.learning.service.curricula import CourseFigures, Curriculum
from campus.learning.service.enrollment_status import has_access

log = get_logger("campus.learning")


def epoch(now: datetime) -> int:
    return math.floor(now.timestamp())


async def refresh(
    session: AsyncSession,
    enrollment: Enrollment,
    now: datetime,
    *,
    touched: uuid.UUID | None = None,
) -> CourseFigures:
    """Recompute the module and course figures of a (locked) enrollment from its lesson rows,
    store what changed, and complete modules and the course when they are done (each once).
    ``touched``: the lesson lineage just opened or completed (its module's last access)."""
    curriculum = await curricula.curriculum(session, enrollment.version_id)
    if curriculum is None:  # the version vanished (a deleted draft): nothing to measure
        return CourseFigures(0, 0, 0, ())
    rows = await progress_repo.lesson_rows(session, enrollment.user_id, enrollment.course_id)
    done = {r.lesson_lineage_id for r in rows if r.completed_at is not None}
    started = {r.lesson_lineage_id: r.started_at for r in rows}
    figures = curriculum.figures(done, set(started))
    stored = {
        m.module_lineage_id: m
        for m in await progress_repo.module_rows(session, enrollment.user_id, enrollment.course_id)
    }
    for mf in figures.modules:
        lineage = mf.module.lineage_id
        row = stored.get(lineage)
        lessons = {x.lineage_id for x in mf.module.lessons}
        is_touched = touched is not None and touched in lessons
        if row is None and mf.status is ProgressStatus.NOT_STARTED:
            continue
        changed = row is None or (row.status, row.progress_percent, row.total_items) != (
            mf.status.value,
            mf.percent,
            mf.total,
        )
        if changed or row is None or row.completed_items != mf.completed or is_touched:
            first_start = min((started[x] for x in lessons if x in started), default=now)
            last_access = now if is_touched or row is None else row.last_accessed_at
            await progress_repo.upsert_module(
                session,
                {
                    "user_id": enrollment.user_id,
                    "course_id": enrollment.course_id,
                    "module_lineage_id": lineage,
                    "status": mf.status.value,
                    "progress_percent": mf.percent,
                    "completed_items": mf.completed,
                    "total_items": mf.total,
                    "started_at": first_start,
                    "last_accessed_at": last_access,
                    "updated_at": now,
                },
            )
        newly_done = mf.status is ProgressStatus.COMPLETED and (
            row is None or row.completed_at is None
        )
        if newly_done and await progress_repo.mark_module_completed(
            session, enrollment.user_id, lineage, now
        ):
            await _module_completed(session, enrollment, curriculum, mf.module.id, now)
    if (enrollment.completed_items, enrollment.total_items, enrollment.progress_percent) != (
        figures.completed,
        figures.total,
        figures.percent,
    ):
        await enrollment_repo.update(
            session,
            enrollment.id,
            {
                "completed_items": figures.completed,
                "total_items": figures.total,
                "progress_percent": figures.percent,
            },
        )
    if (
        figures.all_done
        and enrollment.status == EnrollmentStatus.ACTIVE
        and has_access(enrollment, now)
        and await enrollment_repo.mark_completed(session, enrollment.id, now)
    ):
        await publish(
            session,
            events.CourseCompleted(
                enrollment_id=enrollment.id,
                user_id=enrollment.user_id,
                course_id=enrollment.course_id,
                version_id=enrollment.version_id,
                completed_at=now,
            ),
        )
        await record_activity(
            session, kind=ActivityType.COURSE_COMPLETED, enrollment=enrollment, now=now
        )
    return figures


async def _module_completed(
    session: AsyncSession,
    enrollment: Enrollment,
    curriculum: Curriculum,
    module_id: uuid.UUID,
    now: datetime,
) -> None:
    module = next(m for m in curriculum.modules if m.id == module_id)
    await publish(
        session,
        events.ModuleCompleted(
            enrollment_id=enrollment.id,
            user_id=enrollment.user_id,
            course_id=enrollment.course_id,
            version_id=curriculum.id,
            module_id=module.id,
            module_lineage_id=module.lineage_id,
            completed_at=now,
        ),
    )
    await record_activity(
        session,
        kind=ActivityType.MODULE_COMPLETED,
        enrollment=enrollment,
        now=now,
        module_id=module.id,
        data={"moduleTitle": module.title},
    )


async def complete_lesson(
    session: AsyncSession,
    enrollment: Enrollment,
    curriculum: Curriculum,
    lesson: LessonOutline,
    completed_by: CompletionSource,
    now: datetime,
) -> bool:
    """Complete one lesson (once per learner and lineage) and everything that follows from it.
    ``False`` when it was already complete."""
    if not await progress_repo.complete_lesson(
        session,
        user_id=enrollment.user_id,
        course_id=enrollment.course_id,
        lineage_id=lesson.lineage_id,
        lesson_id=lesson.id,
        now=now,
        epoch=epoch(now),
        completed_by=completed_by.value,
    ):
        return False
    locked = await enrollment_repo.lock(session, enrollment.id, now, lesson.lineage_id)
    assert locked is not None
    module = curriculum.module_of(lesson)
    await publish(
        session,
        events.LessonCompleted(
            enrollment_id=enrollment.id,
            user_id=enrollment.user_id,
            course_id=enrollment.course_id,
            version_id=curriculum.id,
            module_id=module.id,
            lesson_id=lesson.id,
            lesson_lineage_id=lesson.lineage_id,
            completed_by=completed_by.value,
            completed_at=now,
        ),
    )
    await record_activity(
        session,
        kind=ActivityType.LESSON_COMPLETED,
        enrollment=enrollment,
        now=now,
        module_id=module.id,
        lesson_id=lesson.id,
        data={
            "lessonTitle": lesson.title,
            "moduleTitle": module.title,
            "completedBy": completed_by.value,
        },
    )
    await refresh(session, locked, now, touched=lesson.lineage_id)
    return True


# --------------------------------------------------------------------------- assessment events


async def assessment_passed(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    completed_by: CompletionSource,
    lesson_id: uuid.UUID | None = None,
    quiz_id: uuid.UUID | None = None,
    assignment_id: uuid.UUID | None = None,
) -> int:
    """A quiz or assignment was passed: complete the matching lessons of the learner's version
    (by the lesson's lineage when the event names a lesson, else by quiz/assignment id).
    Returns how many lessons this completed; events for people without access are ignored."""
    now = utcnow()
    enrollment = await enrollment_repo.get_for(session, user_id, course_id)
    if enrollment is None or not has_access(enrollment, now):
        log.info("assessment_event_without_enrollment", course_id=str(course_id))
        return 0
    curriculum = await curricula.curriculum(session, enrollment.version_id)
    if curriculum is None:
        return 0
    targets: list[LessonOutline] = []
    if lesson_id is not None:
        home = await curricula.lesson_home(session, lesson_id)
        if home is not None and home[0].course_id == course_id:
            mine = curriculum.by_lineage(home[1].lineage_id)
            targets = [mine] if mine is not None else []
    else:
        targets = curriculum.lessons_with(quiz_id=quiz_id, assignment_id=assignment_id)
    completed = 0
    for lesson in targets:
        if await complete_lesson(session, enrollment, curriculum, lesson, completed_by, now):
            completed += 1
    return completed
