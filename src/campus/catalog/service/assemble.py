"""Loading what an authoring view needs in a fixed number of queries, then building its domain
records from the loaded rows (the builders run no query)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.data import (
    Attachment,
    ContentUrl,
    ContentUrlType,
    CourseLevel,
    CourseStatus,
    LessonStatus,
    LessonType,
    PricingTier,
    VersionStatus,
)
from campus.catalog.models import (
    Course,
    CourseTranslation,
    CourseVersion,
    Lesson,
    Module,
    ModuleTranslation,
)
from campus.catalog.repository import courses as repo
from campus.catalog.repository import structure as structure_repo
from campus.catalog.service import people
from campus.catalog.service.access import displayed_version_id
from campus.catalog.service.records import (
    AuthoringCardRecord,
    AuthoringCourseRecord,
    CategoryLabel,
    CourseTranslationRecord,
    InstructorCredit,
    LessonRecord,
    ModuleRecord,
    TagLabel,
    TierPrice,
    TrackInfo,
    TranslationLabel,
    VersionRecord,
    rating_of,
    seconds_of,
)
from campus.identity.data import InstructorSummary
from campus.kernel.money import Money

# --------------------------------------------------------------------------- course parts


def price_of(course: Course) -> Money | None:
    return None if course.is_free else Money(course.price_minor, course.currency)


def track_of(course: Course) -> TrackInfo | None:
    if course.track_slug is None:
        return None
    return TrackInfo(
        slug=course.track_slug,
        name=course.track_name or course.track_slug,
        icon=course.track_icon,
        difficulty=course.track_difficulty,
    )


def category_of(course: Course) -> CategoryLabel | None:
    category = course.category
    if category is None:
        return None
    return CategoryLabel(id=category.id, slug=category.slug, name=category.name)


def tags_of(course: Course) -> tuple[TagLabel, ...]:
    return tuple(TagLabel(slug=t.slug, label=t.label) for t in course.tags)


def instructors_of(
    course: Course, cards: Mapping[uuid.UUID, InstructorSummary]
) -> tuple[InstructorCredit, ...]:
    out = []
    for link in course.instructors:
        card = cards.get(link.user_id)
        out.append(
            InstructorCredit(
                user_id=link.user_id,
                display_name=card.display_name if card else None,
                headline=card.headline if card else None,
                avatar_url=card.avatar_url if card else None,
                is_primary=link.is_primary,
            )
        )
    return tuple(out)


def pricing_of(course: Course) -> tuple[TierPrice, ...]:
    return tuple(
        TierPrice(
            tier=PricingTier(t.tier),
            price=Money(t.price_minor, course.currency),
            original_price=(
                None
                if t.original_price_minor is None
                else Money(t.original_price_minor, course.currency)
            ),
            features=tuple(t.features or ()),
            is_active=t.is_active,
        )
        for t in course.pricing_tiers
    )


def _group(items: Iterable[Any], key: str) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for item in items:
        grouped[getattr(item, key)].append(item)
    return grouped


# --------------------------------------------------------------------------- builders


def version_record(version: CourseVersion, current_id: uuid.UUID | None) -> VersionRecord:
    return VersionRecord(
        id=version.id,
        number=version.number,
        status=VersionStatus(version.status),
        is_current=version.id == current_id,
        changelog=version.changelog,
        min_quiz_score_for_certificate=version.min_quiz_score,
        submitted_at=version.submitted_at,
        reviewed_at=version.reviewed_at,
        review_notes=version.review_notes,
        published_at=version.published_at,
        duration_seconds=version.duration_seconds,
        module_count=version.module_count,
        lesson_count=version.lesson_count,
        created_at=version.created_at,
    )


def _attachment(stored: Mapping[str, Any]) -> Attachment:
    return Attachment(
        name=stored["name"],
        url=stored["url"],
        size_bytes=stored.get("size_bytes"),
        mime_type=stored.get("mime_type"),
    )


def lesson_record(lesson: Lesson, refs: Sequence[Any] = ()) -> LessonRecord:
    """``refs``: the lesson's translation rows (language, title), in the order to show."""
    return LessonRecord(
        id=lesson.id,
        lineage_id=lesson.lineage_id,
        module_id=lesson.module_id,
        version_id=lesson.version_id,
        position=lesson.position,
        title=lesson.title,
        type=LessonType(lesson.type),
        status=LessonStatus(lesson.status),
        body=lesson.body,
        content_urls=tuple(
            ContentUrl(type=ContentUrlType(u["type"]), url=u["url"])
            for u in lesson.content_urls or []
        ),
        video_url=lesson.video_url,
        video_duration_seconds=lesson.video_duration_seconds,
        presentation_url=lesson.presentation_url,
        attachments=tuple(_attachment(a) for a in lesson.attachments or []),
        quiz_id=lesson.quiz_id,
        assignment_id=lesson.assignment_id,
        is_preview=lesson.is_preview,
        is_required=lesson.is_required,
        estimated_minutes=lesson.estimated_minutes,
        duration_seconds=seconds_of(lesson.video_duration_seconds, lesson.estimated_minutes),
        translations=tuple(TranslationLabel(language=r.language, title=r.title) for r in refs),
    )


def module_records(
    modules: Sequence[Module],
    lessons: Sequence[Lesson],
    module_translations: Sequence[ModuleTranslation],
    lesson_translations: Sequence[Any],
) -> list[ModuleRecord]:
    by_module = _group(lessons, "module_id")
    module_tr = _group(module_translations, "module_id")
    lesson_tr = _group(lesson_translations, "lesson_id")
    out = []
    for module in modules:
        records = tuple(
            lesson_record(x, sorted(lesson_tr[x.id], key=lambda r: r.language))
            for x in sorted(by_module[module.id], key=lambda x: x.position)
        )
        out.append(
            ModuleRecord(
                id=module.id,
                lineage_id=module.lineage_id,
                version_id=module.version_id,
                position=module.position,
                title=module.title,
                description=module.description,
                estimated_minutes=module.estimated_minutes,
                is_locked=module.is_locked,
                is_sequential=module.is_sequential,
                duration_seconds=sum(
                    x.duration_seconds for x in records if x.status is LessonStatus.PUBLISHED
                ),
                translations=tuple(
                    TranslationLabel(language=t.language, title=t.title)
                    for t in sorted(module_tr[module.id], key=lambda t: t.language)
                ),
                lessons=records,
            )
        )
    return out


def course_record(
    course: Course,
    cards: Mapping[uuid.UUID, InstructorSummary],
    current: CourseVersion | None,
    draft: CourseVersion | None,
    curriculum: Sequence[ModuleRecord],
    translations: Sequence[CourseTranslation],
) -> AuthoringCourseRecord:
    return AuthoringCourseRecord(
        id=course.id,
        slug=course.slug,
        title=course.title,
        subtitle=course.subtitle,
        description=course.description,
        status=CourseStatus(course.status),
        language=course.language,
        level=CourseLevel(course.level),
        category=category_of(course),
        tags=tags_of(course),
        thumbnail_url=course.thumbnail_url,
        trailer_url=course.trailer_url,
        requirements=tuple(course.requirements or ()),
        objectives=tuple(course.objectives or ()),
        has_certificate=course.has_certificate,
        is_free=course.is_free,
        price=price_of(course),
        pricing_tiers=pricing_of(course),
        track=track_of(course),
        primary_instructor_id=course.primary_instructor_id,
        instructors=instructors_of(course, cards),
        enrollment_count=course.enrollment_count,
        rating_average=rating_of(course.rating_hundredths),
        rating_count=course.rating_count,
        duration_seconds=course.duration_seconds,
        published_at=course.published_at,
        archived_at=course.archived_at,
        current_version=None
        if current is None
        else version_record(current, course.current_version_id),
        draft_version=None if draft is None else version_record(draft, course.current_version_id),
        curriculum=tuple(curriculum),
        translations=tuple(
            CourseTranslationRecord(
                language=t.language, title=t.title, subtitle=t.subtitle, description=t.description
            )
            for t in translations
        ),
        created_at=course.created_at,
        updated_at=course.updated_at,
    )


def authoring_card(
    course: Course, user_id: uuid.UUID, draft: CourseVersion | None
) -> AuthoringCardRecord:
    return AuthoringCardRecord(
        id=course.id,
        slug=course.slug,
        title=course.title,
        status=CourseStatus(course.status),
        language=course.language,
        level=CourseLevel(course.level),
        primary_instructor_id=course.primary_instructor_id,
        is_primary_instructor=course.primary_instructor_id == user_id,
        draft_version_status=None if draft is None else VersionStatus(draft.status),
        review_notes=None if draft is None else draft.review_notes,
        enrollment_count=course.enrollment_count,
        published_at=course.published_at,
        updated_at=course.updated_at,
    )


# --------------------------------------------------------------------------- loading


async def version_modules(session: AsyncSession, version_id: uuid.UUID) -> list[ModuleRecord]:
    """A version's modules with full lessons and translation references."""
    modules = await structure_repo.modules_of(session, version_id)
    lessons = await structure_repo.lessons_of(session, version_id)
    module_tr = await structure_repo.module_translations(session, [m.id for m in modules])
    lesson_tr = await structure_repo.lesson_translations(
        session, [x.id for x in lessons], bodies="none"
    )
    return module_records(modules, lessons, module_tr, lesson_tr)


async def authoring_view(session: AsyncSession, course_id: uuid.UUID) -> AuthoringCourseRecord:
    """The author's view of a course, freshly loaded (call after changing it)."""
    course = await repo.get_course(session, course_id)
    assert course is not None
    return await authoring_view_of(session, course)


async def authoring_view_of(session: AsyncSession, course: Course) -> AuthoringCourseRecord:
    """The author's view of an already loaded, current course (links loaded)."""
    versions = await repo.get_versions(
        session, [v for v in (course.current_version_id, course.draft_version_id) if v]
    )
    by_id = {v.id: v for v in versions}
    shown = displayed_version_id(course)
    curriculum = [] if shown is None else await version_modules(session, shown)
    translations = await repo.course_translations(session, [course.id])
    cards = await people.instructor_cards(session, course.instructor_ids)
    return course_record(
        course,
        cards,
        by_id.get(course.current_version_id) if course.current_version_id else None,
        by_id.get(course.draft_version_id) if course.draft_version_id else None,
        curriculum,
        translations,
    )
