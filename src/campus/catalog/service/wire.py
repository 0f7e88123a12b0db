"""Turning loaded rows into wire models (no queries here)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from campus.catalog.data import (
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
from campus.catalog.schemas.courses import (
    AuthoringCourse,
    AuthoringCourseCard,
    CategoryRef,
    CourseInstructorOut,
    CourseTranslationOut,
    MoneyWire,
    PricingTierOut,
    TagRef,
    TrackOut,
    VersionSummaryOut,
)
from campus.catalog.schemas.structure import (
    AuthoringAttachmentOut,
    AuthoringLessonOut,
    AuthoringModuleOut,
    ContentUrlOut,
    TranslationRef,
)
from campus.identity.data import InstructorSummary


def seconds_of(video_seconds: int | None, estimated_minutes: int | None) -> int:
    if video_seconds is not None:
        return video_seconds
    return (estimated_minutes or 0) * 60


def rating_of(course: Course) -> Decimal:
    return (Decimal(course.rating_hundredths) / 100).quantize(Decimal("0.01"))


def price_of(course: Course) -> MoneyWire | None:
    return None if course.is_free else MoneyWire.parts(course.price_minor, course.currency)


def track_of(course: Course) -> TrackOut | None:
    if course.track_slug is None:
        return None
    return TrackOut(
        slug=course.track_slug,
        name=course.track_name or course.track_slug,
        icon=course.track_icon,
        difficulty=course.track_difficulty,
    )


def category_of(course: Course) -> CategoryRef | None:
    category = course.category
    if category is None:
        return None
    return CategoryRef(id=category.id, slug=category.slug, name=category.name)


def tags_of(course: Course) -> list[TagRef]:
    return [TagRef(slug=t.slug, label=t.label) for t in course.tags]


def instructors_of(
    course: Course, cards: dict[uuid.UUID, InstructorSummary]
) -> list[CourseInstructorOut]:
    out = []
    for link in course.instructors:
        card = cards.get(link.user_id)
        out.append(
            CourseInstructorOut(
                user_id=link.user_id,
                display_name=card.display_name if card else None,
                headline=card.headline if card else None,
                avatar_url=card.avatar_url if card else None,
                is_primary=link.is_primary,
            )
        )
    return out


def pricing_of(course: Course) -> list[PricingTierOut]:
    return [
        PricingTierOut(
            tier=PricingTier(t.tier),
            price=MoneyWire.parts(t.price_minor, course.currency),
            original_price=(
                None
                if t.original_price_minor is None
                else MoneyWire.parts(t.original_price_minor, course.currency)
            ),
            features=list(t.features or []),
            is_active=t.is_active,
        )
        for t in course.pricing_tiers
    ]


def _group(items: Iterable[Any], key: str) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for item in items:
        grouped[getattr(item, key)].append(item)
    return grouped


# --------------------------------------------------------------------------- authoring


def version_summary(version: CourseVersion, current_id: uuid.UUID | None) -> VersionSummaryOut:
    return VersionSummaryOut(
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


def authoring_lesson(lesson: Lesson, refs: Sequence[Any] = ()) -> AuthoringLessonOut:
    return AuthoringLessonOut(
        id=lesson.id,
        lineage_id=lesson.lineage_id,
        module_id=lesson.module_id,
        version_id=lesson.version_id,
        position=lesson.position,
        title=lesson.title,
        type=LessonType(lesson.type),
        status=LessonStatus(lesson.status),
        body=lesson.body,
        content_urls=[
            ContentUrlOut(type=ContentUrlType(u["type"]), url=u["url"])
            for u in lesson.content_urls or []
        ],
        video_url=lesson.video_url,
        video_duration_seconds=lesson.video_duration_seconds,
        presentation_url=lesson.presentation_url,
        attachments=[AuthoringAttachmentOut(**a) for a in lesson.attachments or []],
        quiz_id=lesson.quiz_id,
        assignment_id=lesson.assignment_id,
        is_preview=lesson.is_preview,
        is_required=lesson.is_required,
        estimated_minutes=lesson.estimated_minutes,
        duration_seconds=seconds_of(lesson.video_duration_seconds, lesson.estimated_minutes),
        translations=[TranslationRef(language=r.language, title=r.title) for r in refs],
    )


def authoring_modules(
    modules: Sequence[Module],
    lessons: Sequence[Lesson],
    module_translations: Sequence[ModuleTranslation],
    lesson_translations: Sequence[Any],
) -> list[AuthoringModuleOut]:
    by_module = _group(lessons, "module_id")
    module_tr = _group(module_translations, "module_id")
    lesson_tr = _group(lesson_translations, "lesson_id")
    out = []
    for module in modules:
        lesson_outs = [
            authoring_lesson(x, sorted(lesson_tr[x.id], key=lambda r: r.language))
            for x in sorted(by_module[module.id], key=lambda x: x.position)
        ]
        out.append(
            AuthoringModuleOut(
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
                    x.duration_seconds for x in lesson_outs if x.status is LessonStatus.PUBLISHED
                ),
                translations=[
                    TranslationRef(language=t.language, title=t.title)
                    for t in sorted(module_tr[module.id], key=lambda t: t.language)
                ],
                lessons=lesson_outs,
            )
        )
    return out


def authoring_course(
    course: Course,
    cards: dict[uuid.UUID, InstructorSummary],
    current: CourseVersion | None,
    draft: CourseVersion | None,
    curriculum: list[AuthoringModuleOut],
    translations: Sequence[CourseTranslation],
) -> AuthoringCourse:
    return AuthoringCourse(
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
        requirements=list(course.requirements or []),
        objectives=list(course.objectives or []),
        has_certificate=course.has_certificate,
        is_free=course.is_free,
        price=price_of(course),
        pricing_tiers=pricing_of(course),
        track=track_of(course),
        primary_instructor_id=course.primary_instructor_id,
        instructors=instructors_of(course, cards),
        enrollment_count=course.enrollment_count,
        rating_average=rating_of(course),
        rating_count=course.rating_count,
        duration_seconds=course.duration_seconds,
        published_at=course.published_at,
        archived_at=course.archived_at,
        current_version=None
        if current is None
        else version_summary(current, course.current_version_id),
        draft_version=None if draft is None else version_summary(draft, course.current_version_id),
        curriculum=curriculum,
        translations=[
            CourseTranslationOut(
                language=t.language, title=t.title, subtitle=t.subtitle, description=t.description
            )
            for t in translations
        ],
        created_at=course.created_at,
        updated_at=course.updated_at,
    )


def authoring_card(
    course: Course, user_id: uuid.UUID, draft: CourseVersion | None
) -> AuthoringCourseCard:
    return AuthoringCourseCard(
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
