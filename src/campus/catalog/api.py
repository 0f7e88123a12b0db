"""Catalog's doorway for other contexts (ARCHITECTURE.md §3 rule 1).

Reads return frozen DTOs from ``catalog.data`` (or ``None`` when the object does not exist);
writes are the aggregates other contexts own the truth of (enrollments, ratings) and run in the
caller's transaction. None of these check permissions: the calling context has already decided
the caller may see or change what it asks for.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from campus.catalog import i18n, policies
from campus.catalog.data import (
    Attachment,
    ContentUrl,
    ContentUrlType,
    CourseLevel,
    CourseStatus,
    CourseSummary,
    LessonContent,
    LessonOutline,
    LessonStatus,
    LessonType,
    ModuleOutline,
    PricingTier,
    PurchasePrice,
    VersionStatus,
    VersionStructure,
)
from campus.catalog.exceptions import CourseNotFound
from campus.catalog.models import Course, LessonTranslation
from campus.catalog.repository import courses as repo
from campus.catalog.repository import structure as structure_repo
from campus.catalog.service.records import seconds_of
from campus.kernel.auth import Principal
from campus.kernel.errors import field_error
from campus.kernel.money import Money

__all__ = [
    "adjust_enrollment_count",
    "count_counted_courses",
    "counted_course_ids",
    "course_instructor_ids",
    "find_course_ids_by_slugs",
    "get_course_summaries",
    "get_course_summary",
    "get_current_version_id",
    "get_lesson_content",
    "get_purchase_prices",
    "get_version_structure",
    "get_version_structures",
    "is_course_module",
    "is_course_staff",
    "set_enrollment_count",
    "set_lesson_assessment",
    "set_rating",
]


def _summary(course: Course) -> CourseSummary:
    return CourseSummary(
        id=course.id,
        slug=course.slug,
        title=course.title,
        subtitle=course.subtitle,
        status=CourseStatus(course.status),
        language=course.language,
        level=CourseLevel(course.level),
        category_id=course.category_id,
        primary_instructor_id=course.primary_instructor_id,
        thumbnail_url=course.thumbnail_url,
        has_certificate=course.has_certificate,
        is_free=course.is_free,
        price=None if course.is_free else Money(course.price_minor, course.currency),
        current_version_id=course.current_version_id,
        published_at=course.published_at,
        duration_seconds=course.duration_seconds,
        enrollment_count=course.enrollment_count,
        rating_average=(Decimal(course.rating_hundredths) / 100).quantize(Decimal("0.01")),
        rating_count=course.rating_count,
        track_slug=course.track_slug,
    )


async def get_course_summary(session: AsyncSession, course_id: uuid.UUID) -> CourseSummary | None:
    """Any live course (any status: callers decide what an archived course means to them)."""
    found = await repo.get_courses(session, [course_id])
    return _summary(found[0]) if found else None


async def get_course_summaries(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CourseSummary]:
    """Summaries of the live courses among ``ids``, in one query."""
    return {c.id: _summary(c) for c in await repo.get_courses(session, set(ids))}


async def get_current_version_id(session: AsyncSession, course_id: uuid.UUID) -> uuid.UUID | None:
    """The version new learners get (``None`` before the first publication)."""
    found = await repo.get_courses(session, [course_id])
    return found[0].current_version_id if found else None


async def course_instructor_ids(
    session: AsyncSession, course_id: uuid.UUID
) -> tuple[uuid.UUID, ...]:
    """Everyone who teaches the course, primary instructor first."""
    return tuple(await repo.instructor_ids(session, course_id))


async def is_course_staff(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    *,
    any_of: Collection[str] = (),
) -> bool:
    """Whether ``principal`` is staff of the course: one of the ``any_of`` permissions (the
    caller's "any course" powers, e.g. ``course:edit_any``, ``grading:any``,
    ``enrollment:manage_any``), or an instructor of the course who holds the ``instructor``
    role. The one rule every context asks (``catalog.policies.is_staff``); a course that
    does not exist has no staff but the ``any_of`` holders. One query at most."""
    if policies.is_staff(principal, (), any_of):
        return True
    if not policies.holds_teaching_role(principal):
        return False
    return policies.is_staff(principal, await repo.instructor_ids(session, course_id))


async def is_course_module(
    session: AsyncSession, course_id: uuid.UUID, module_id: uuid.UUID
) -> bool:
    """Whether ``module_id`` is a module of the course's working version (its draft, which
    authors edit) or of its current (published) version; two queries. A draft course has no
    published version yet, so its draft is what counts (as for lessons: assessment and coding
    attach to the curriculum authors see)."""
    module = await structure_repo.get_module(session, module_id)
    if module is None:
        return False
    found = await repo.get_courses(session, [course_id])
    if not found:
        return False
    course = found[0]
    return module.version_id in {course.draft_version_id, course.current_version_id} - {None}


async def get_version_structure(
    session: AsyncSession, version_id: uuid.UUID
) -> VersionStructure | None:
    """A version's curriculum as learners see it (published lessons only), in four queries.
    Published versions never change, so callers may pin a learner to one for good."""
    return (await get_version_structures(session, [version_id])).get(version_id)


async def get_lesson_content(
    session: AsyncSession, lesson_id: uuid.UUID, *, language: str | None = None
) -> LessonContent | None:
    """One lesson's full content, translated into ``language`` when a translation exists."""
    loaded = await structure_repo.get_lesson(session, lesson_id)
    if loaded is None:
        return None
    lesson, version = loaded
    found = await repo.get_courses(session, [version.course_id])
    if not found:
        return None
    default = found[0].language
    title, body, served = lesson.title, lesson.body, default
    if language:
        prefs = (language,)
        rows = await structure_repo.lesson_translations(
            session, [lesson.id], i18n.language_filter(LessonTranslation.language, prefs)
        )
        served = i18n.choose([r.language for r in rows], default, prefs)
        chosen = next((r for r in rows if r.language == served), None)
        if chosen is not None and served != default:
            title, body = chosen.title, chosen.body if chosen.body is not None else lesson.body
        else:
            served = default
    return LessonContent(
        id=lesson.id,
        lineage_id=lesson.lineage_id,
        course_id=version.course_id,
        version_id=version.id,
        module_id=lesson.module_id,
        title=title,
        type=LessonType(lesson.type),
        status=LessonStatus(lesson.status),
        language=served,
        body=body,
        content_urls=tuple(
            ContentUrl(type=ContentUrlType(u["type"]), url=u["url"])
            for u in lesson.content_urls or []
        ),
        video_url=lesson.video_url,
        video_duration_seconds=lesson.video_duration_seconds,
        presentation_url=lesson.presentation_url,
        attachments=tuple(
            Attachment(
                name=a["name"],
                url=a["url"],
                size_bytes=a.get("size_bytes"),
                mime_type=a.get("mime_type"),
            )
            for a in lesson.attachments or []
        ),
        quiz_id=lesson.quiz_id,
        assignment_id=lesson.assignment_id,
        is_preview=lesson.is_preview,
        is_required=lesson.is_required,
        estimated_minutes=lesson.estimated_minutes,
    )


# --------------------------------------------------------------------------- aggregates


async def adjust_enrollment_count(session: AsyncSession, course_id: uuid.UUID, delta: int) -> int:
    """Add ``delta`` (may be negative; the count never drops below 0) atomically; returns the
    new count. Cached catalog pages show it within their max-age."""
    count = await repo.adjust_enrollment_count(session, course_id, delta)
    if count is None:
        raise CourseNotFound()
    return count


async def set_enrollment_count(session: AsyncSession, course_id: uuid.UUID, count: int) -> None:
    """Overwrite the count (reconciliation jobs)."""
    if count < 0:
        raise field_error("count", "The enrollment count cannot be negative.")
    if not await repo.set_counters(session, course_id, {"enrollment_count": count}):
        raise CourseNotFound()


async def set_rating(
    session: AsyncSession, course_id: uuid.UUID, average: Decimal, count: int
) -> None:
    """Store the course's rating (average 0..5, rounded to 2 places, and number of ratings)."""
    if not Decimal(0) <= average <= Decimal(5) or count < 0:
        raise field_error("rating", "The average must be within 0..5 and the count not negative.")
    hundredths = int((average * 100).to_integral_value())
    if not await repo.set_counters(
        session, course_id, {"rating_hundredths": hundredths, "rating_count": count}
    ):
        raise CourseNotFound()


# --------------------------------------------------------------------------- bulk reads (learning)


async def get_version_structures(
    session: AsyncSession, version_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, VersionStructure]:
    """Several versions' curricula (as ``get_version_structure``) in a fixed number of queries,
    whatever their number (dashboards list many courses at once)."""
    versions = await repo.get_versions(session, set(version_ids))
    if not versions:
        return {}
    courses = await repo.get_courses(session, {v.course_id for v in versions})
    current = {c.id: c.current_version_id for c in courses}
    versions = [v for v in versions if v.course_id in current]
    ids = [v.id for v in versions]
    modules = await structure_repo.modules_of_versions(session, ids)
    lessons: dict[uuid.UUID, list[LessonOutline]] = {}
    for row in await structure_repo.lesson_outlines(session, ids):
        lessons.setdefault(row.module_id, []).append(
            LessonOutline(
                id=row.id,
                lineage_id=row.lineage_id,
                module_id=row.module_id,
                position=row.position,
                title=row.title,
                type=LessonType(row.type),
                duration_seconds=seconds_of(row.video_duration_seconds, row.estimated_minutes),
                estimated_minutes=row.estimated_minutes,
                is_required=row.is_required,
                is_preview=row.is_preview,
                quiz_id=row.quiz_id,
                assignment_id=row.assignment_id,
            )
        )
    by_version: dict[uuid.UUID, list[ModuleOutline]] = {}
    for m in sorted(modules, key=lambda m: (m.version_id, m.position)):
        by_version.setdefault(m.version_id, []).append(
            ModuleOutline(
                id=m.id,
                lineage_id=m.lineage_id,
                position=m.position,
                title=m.title,
                description=m.description,
                estimated_minutes=m.estimated_minutes,
                is_locked=m.is_locked,
                is_sequential=m.is_sequential,
                lessons=tuple(lessons.get(m.id, ())),
            )
        )
    return {
        v.id: VersionStructure(
            id=v.id,
            course_id=v.course_id,
            number=v.number,
            status=VersionStatus(v.status),
            is_current=v.id == current.get(v.course_id),
            published_at=v.published_at,
            changelog=v.changelog,
            min_quiz_score_for_certificate=v.min_quiz_score,
            modules=tuple(by_version.get(v.id, ())),
        )
        for v in versions
    }


async def find_course_ids_by_slugs(
    session: AsyncSession, slugs: Collection[str]
) -> dict[str, uuid.UUID]:
    """Ids of the live courses among ``slugs``, in one query (bulk enrollment files name
    courses by slug)."""
    return await repo.course_ids_by_slugs(session, set(slugs))


# --------------------------------------------------------------------------- demo data


# --------------------------------------------------------------------------- assessment links


async def set_lesson_assessment(
    session: AsyncSession,
    lesson_id: uuid.UUID,
    *,
    course_id: uuid.UUID,
    quiz_id: uuid.UUID | None = None,
    assignment_id: uuid.UUID | None = None,
) -> None:
    """Point a quiz lesson at its quiz, or an assignment lesson at its assignment (the
    assessment context owns both; catalog keeps the id only). Exactly one of ``quiz_id`` and
    ``assignment_id``; the lesson must be a lesson of ``course_id`` of the matching type, else a
    422 on ``lessonId``. Setting the same reference again changes nothing. Learners' cached
    curricula of published versions pick the reference up when they are next loaded."""
    if (quiz_id is None) == (assignment_id is None):
        raise field_error("lessonId", "Give a quiz or an assignment to link the lesson to.")
    loaded = await structure_repo.get_lesson(session, lesson_id)
    if loaded is None or loaded[1].course_id != course_id:
        raise field_error("lessonId", "Not a lesson of this course.")
    lesson = loaded[0]
    wanted = LessonType.QUIZ if quiz_id is not None else LessonType.ASSIGNMENT
    if lesson.type != wanted.value:
        raise field_error("lessonId", f"Only a {wanted.value} lesson can link to it.")
    values = {"quiz_id": quiz_id} if quiz_id is not None else {"assignment_id": assignment_id}
    if all(getattr(lesson, k) == v for k, v in values.items()):
        return
    await structure_repo.update_lesson(session, lesson.id, values)


async def counted_course_ids(
    session: AsyncSession, *, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    """The next ``limit`` ids of courses whose enrollment count is above zero, in id order
    (keyset after ``after``): reconciliation reaches courses whose count is stale even when
    they have no enrollment left."""
    return await repo.counted_course_ids(session, after, limit)


async def count_counted_courses(session: AsyncSession) -> int:
    """How many courses have an enrollment count above zero."""
    return await repo.count_counted_courses(session)


async def get_purchase_prices(
    session: AsyncSession, course_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, PurchasePrice]:
    """The current prices of the live courses among ``course_ids`` (any status: the caller
    refuses what is not published), with their active tiers and instructors; three queries."""
    if not course_ids:
        return {}
    rows = await session.scalars(
        sa.select(Course)
        .where(Course.id.in_(list(set(course_ids))), Course.deleted_at.is_(None))
        .options(selectinload(Course.instructors), selectinload(Course.pricing_tiers))
    )
    out: dict[uuid.UUID, PurchasePrice] = {}
    for course in rows:
        out[course.id] = PurchasePrice(
            course_id=course.id,
            title=course.title,
            status=CourseStatus(course.status),
            is_free=course.is_free,
            price=None if course.is_free else Money(course.price_minor, course.currency),
            tier_prices={
                PricingTier(tier.tier): Money(tier.price_minor, course.currency)
                for tier in course.pricing_tiers
                if tier.is_active
            },
            instructor_ids=tuple(course.instructor_ids),
            primary_instructor_id=course.primary_instructor_id,
            category_id=course.category_id,
        )
    return out
