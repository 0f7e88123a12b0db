"""Demo learning data (development only; ``campus.seed`` runs it through ``learning.api``):
enrollments at different progress levels, one completed course. Idempotent: enrolling again
returns the existing enrollment and completing a completed lesson does nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import CourseStatus, LessonType
from campus.kernel.clock import utcnow
from campus.learning import curriculum as curricula
from campus.learning.data import CompletionSource, EnrollmentSource, EntitlementSource
from campus.learning.service import enrollments, entitlements, progress

_BY_TYPE = {
    LessonType.VIDEO: CompletionSource.VIDEO,
    LessonType.QUIZ: CompletionSource.QUIZ,
    LessonType.ASSIGNMENT: CompletionSource.ASSIGNMENT,
}


@dataclass(frozen=True, slots=True)
class DemoEnrollment:
    user_id: uuid.UUID
    course_id: uuid.UUID
    #: Share of the required lessons to complete, in curriculum order (1.0: the whole course).
    done: float
    days_ago: int = 0


async def seed_demo(
    session: AsyncSession, plan: Sequence[DemoEnrollment], granted_by: uuid.UUID | None
) -> int:
    """Enroll (granting access to paid courses) and complete lessons; returns enrollments made."""
    made = 0
    for item in plan:
        course = await catalog.get_course_summary(session, item.course_id)
        if course is None or course.status is not CourseStatus.PUBLISHED:
            continue
        when = utcnow() - timedelta(days=item.days_ago, hours=1)
        terms = enrollments.Terms(EnrollmentSource.FREE, None, None, None)
        if not course.is_free:
            granted = await entitlements.grant_entitlement(
                session,
                user_id=item.user_id,
                course_id=course.id,
                source=EntitlementSource.GRANT,
                granted_by=granted_by,
                reference="demo",
            )
            terms = enrollments.Terms(EnrollmentSource.GRANT, granted.tier, granted.id, None)
        row, outcome = await enrollments.admit(
            session, user_id=item.user_id, course=course, terms=terms, now=when
        )
        made += outcome != "existing"
        found = await curricula.curriculum(session, row.version_id)
        if found is None:
            continue
        required = found.required()
        for index, lesson in enumerate(required[: round(len(required) * item.done)]):
            moment = when + timedelta(minutes=index + 1)
            by = _BY_TYPE.get(lesson.type, CompletionSource.MANUAL)
            await progress.complete_lesson(session, row, found, lesson, by, moment)
    return made
