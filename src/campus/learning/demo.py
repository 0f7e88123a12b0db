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
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.module import SeedState
from campus.learning.data import CompletionSource, EnrollmentSource, EntitlementSource
from campus.learning.service import curricula, enrollments, entitlements, progress

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


#: (student, course slug, share of required lessons done, days since the last activity)
_DEMO_LEARNING = (
    ("maria@campus.example", "python-programming", 1.0, 6),
    ("maria@campus.example", "web-accessibility-in-practice", 0.5, 1),
    ("maria@campus.example", "modern-javascript", 0.25, 3),
    ("kenji@campus.example", "python-programming", 0.3, 0),
    ("kenji@campus.example", "color-theory-for-designers", 0.0, 2),
    ("kenji@campus.example", "data-analysis-with-pandas", 0.75, 4),
    ("amara@campus.example", "web-accessibility-in-practice", 0.8, 0),
    ("amara@campus.example", "machine-learning-foundations", 0.1, 5),
    ("lucas@campus.example", "color-theory-for-designers", 0.6, 1),
    ("priya@campus.example", "python-programming", 0.1, 2),
    ("priya@campus.example", "web-accessibility-in-practice", 0.0, 0),
)


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """The demo students' enrollments at different progress levels (Maria finished Python)."""
    del settings
    slugs = await catalog.find_course_ids_by_slugs(session, {s for _, s, _, _ in _DEMO_LEARNING})
    plan = [
        DemoEnrollment(state.user_ids[email], slugs[slug], share, days)
        for email, slug, share, days in _DEMO_LEARNING
        if email in state.user_ids and slug in slugs
    ]
    await seed_demo(session, plan, state.user_ids.get("admin@campus.example"))
