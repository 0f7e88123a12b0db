"""Public catalog reads as domain records built from Core rows (no queries here).

The course list and the course page are the catalog's hottest reads, so they skip ORM objects:
repository rows become the frozen records of ``records`` directly, and the endpoints write
them as JSON without model validation (``schemas.public``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from campus.catalog import i18n
from campus.catalog.data import ContentUrl, ContentUrlType, CourseLevel, LessonType, PricingTier
from campus.catalog.service.records import (
    CategoryLabel,
    CourseCardRecord,
    CoursePageRecord,
    InstructorCredit,
    OutlineLesson,
    OutlineModule,
    PublishedVersion,
    TagLabel,
    TierPrice,
    TrackCardRecord,
    TrackInfo,
    TrackPageRecord,
    rating_of,
    seconds_of,
)
from campus.identity.data import InstructorSummary
from campus.kernel.money import Money


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID from a row or from JSON (hyphenated on PostgreSQL, 32 hex digits on SQLite)."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def json_list(value: Any) -> list[list[Any]]:
    """A ``json_rows`` aggregate in its sort order (its first element, then the rest)."""
    if not value:
        return []
    return sorted(value, key=_sort_key)


def _sort_key(item: Sequence[Any]) -> tuple[Any, ...]:
    return (item[0], *(str(x) for x in item[1:]))


# --------------------------------------------------------------------------- texts


@dataclass(frozen=True, slots=True)
class Texts:
    language: str
    title: str
    subtitle: str | None
    description: str | None


def localize(
    row: Any,
    translations: Sequence[Sequence[Any]],
    prefs: tuple[str, ...],
    description: str | None = None,
) -> Texts:
    """The course's texts in the best language for ``prefs``; ``translations`` are
    ``[language, title, subtitle, (description)]`` lists. Missing translated fields fall back
    to the course's own (``description`` only on course pages)."""
    if not prefs:
        return Texts(row.language, row.title, row.subtitle, description)
    language = i18n.choose([t[0] for t in translations], row.language, prefs)
    chosen = next((t for t in translations if t[0] == language), None)
    if chosen is None or language == row.language:
        return Texts(row.language, row.title, row.subtitle, description)
    return Texts(
        language,
        chosen[1],
        chosen[2] if chosen[2] is not None else row.subtitle,
        chosen[3] if len(chosen) > 3 and chosen[3] is not None else description,
    )


# --------------------------------------------------------------------------- cards


def instructor_ids(row: Any) -> list[uuid.UUID]:
    """Primary first, then co-instructors (the ``instructors`` JSON list of a card row)."""
    return [as_uuid(link[1]) for link in json_list(row.instructors)]


def _instructors(
    row: Any, cards: Mapping[uuid.UUID, InstructorSummary]
) -> tuple[InstructorCredit, ...]:
    out: list[InstructorCredit] = []
    for _, user, is_primary in json_list(row.instructors):
        user_id = as_uuid(user)
        card = cards.get(user_id)
        out.append(
            InstructorCredit(
                user_id=user_id,
                display_name=card.display_name if card else None,
                headline=card.headline if card else None,
                avatar_url=card.avatar_url if card else None,
                is_primary=bool(is_primary),
            )
        )
    return tuple(out)


def _track(row: Any) -> TrackInfo:
    """The track of a course row that is a programming-language track."""
    return TrackInfo(
        slug=row.track_slug,
        name=row.track_name or row.track_slug,
        icon=row.track_icon,
        difficulty=row.track_difficulty,
    )


def card(row: Any, texts: Texts, cards: Mapping[uuid.UUID, InstructorSummary]) -> CourseCardRecord:
    """A course card from a ``repository.browse`` card row."""
    return CourseCardRecord(
        id=row.id,
        slug=row.slug,
        title=texts.title,
        subtitle=texts.subtitle,
        language=texts.language,
        default_language=row.language,
        level=CourseLevel(row.level),
        category=None
        if row.category_id is None
        else CategoryLabel(id=row.category_id, slug=row.category_slug, name=row.category_name),
        tags=tuple(TagLabel(slug=slug, label=label) for _, slug, label in json_list(row.tags)),
        thumbnail_url=row.thumbnail_url,
        is_free=row.is_free,
        price=None if row.is_free else Money(row.price_minor, row.currency),
        rating_average=rating_of(row.rating_hundredths),
        rating_count=row.rating_count,
        enrollment_count=row.enrollment_count,
        duration_seconds=row.duration_seconds,
        module_count=row.module_count,
        lesson_count=row.lesson_count,
        has_certificate=row.has_certificate,
        instructors=_instructors(row, cards),
        track=None if row.track_slug is None else _track(row),
        published_at=row.published_at,
    )


def cards_of(
    rows: Sequence[Any], cards: Mapping[uuid.UUID, InstructorSummary], prefs: tuple[str, ...]
) -> tuple[list[CourseCardRecord], set[str]]:
    """Cards of a page of rows, and the languages they are served in."""
    out: list[CourseCardRecord] = []
    served: set[str] = set()
    for row in rows:
        translations = json_list(row.translations) if prefs else []
        texts = localize(row, translations, prefs)
        served.add(texts.language)
        out.append(card(row, texts, cards))
    return out, served


# --------------------------------------------------------------------------- course page


def _pricing(row: Any) -> tuple[TierPrice, ...]:
    return tuple(
        TierPrice(
            tier=PricingTier(tier),
            price=Money(price, row.currency),
            original_price=None if original is None else Money(original, row.currency),
            features=tuple(features or ()),
            is_active=bool(active),
        )
        for _, tier, price, original, features, active in json_list(row.pricing_tiers)
    )


def _chosen(own: Iterable[Any], default: str, prefs: tuple[str, ...]) -> tuple[str, Any | None]:
    """(language served, translation row or None when the default language is served)."""
    rows = list(own)
    if not rows:
        return default, None
    language = i18n.choose([t.language for t in rows], default, prefs)
    if language == default:
        return language, None
    return language, next((t for t in rows if t.language == language), None)


def _outline_lesson(
    row: Any, lesson_tr: Mapping[uuid.UUID, list[Any]], default: str, prefs: tuple[str, ...]
) -> OutlineLesson:
    language, translated = _chosen(lesson_tr.get(row.id, ()), default, prefs)
    body = row.preview_body
    if translated is not None and translated.text is not None and row.is_preview:
        body = translated.text
    urls = row.preview_urls
    return OutlineLesson(
        id=row.id,
        lineage_id=row.lineage_id,
        title=translated.title if translated else row.title,
        language=language,
        type=LessonType(row.type),
        position=row.position,
        duration_seconds=seconds_of(row.video_duration_seconds, row.estimated_minutes),
        is_preview=row.is_preview,
        is_required=row.is_required,
        body=body,
        video_url=row.preview_video,
        content_urls=None
        if urls is None
        else tuple(ContentUrl(type=ContentUrlType(u["type"]), url=u["url"]) for u in urls),
    )


def outline(
    rows: Sequence[Any],
    translations: Sequence[Any],
    default_language: str,
    prefs: tuple[str, ...],
) -> list[OutlineModule]:
    """The public outline from ``repository.browse.outline_rows`` (one row per published
    lesson, or per module without any), with ``outline_translations`` rows when languages were
    asked for."""
    module_tr: dict[uuid.UUID, list[Any]] = defaultdict(list)
    lesson_tr: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for t in translations:
        (module_tr if t.kind == "module" else lesson_tr)[t.owner_id].append(t)
    groups: list[tuple[Any, list[OutlineLesson]]] = []
    for row in rows:
        if not groups or groups[-1][0].module_id != row.module_id:
            groups.append((row, []))
        if row.id is not None:  # None: a module without published lessons
            groups[-1][1].append(_outline_lesson(row, lesson_tr, default_language, prefs))
    modules: list[OutlineModule] = []
    for row, lessons in groups:
        language, translated = _chosen(module_tr.get(row.module_id, ()), default_language, prefs)
        modules.append(
            OutlineModule(
                id=row.module_id,
                lineage_id=row.module_lineage_id,
                title=translated.title if translated else row.module_title,
                language=language,
                description=translated.text
                if translated and translated.text
                else row.module_description,
                position=row.module_position,
                estimated_minutes=row.module_estimated_minutes,
                is_locked=row.is_locked,
                is_sequential=row.is_sequential,
                duration_seconds=sum(lesson.duration_seconds for lesson in lessons),
                lessons=tuple(lessons),
            )
        )
    return modules


def detail(
    row: Any,
    prefs: tuple[str, ...],
    cards: Mapping[uuid.UUID, InstructorSummary],
    curriculum: Sequence[OutlineModule],
) -> CoursePageRecord:
    """A course page from ``repository.browse.published_course_row``."""
    translations = json_list(row.translations)
    texts = localize(row, translations, prefs, row.description)
    return CoursePageRecord(
        card=card(row, texts, cards),
        description=texts.description,
        trailer_url=row.trailer_url,
        requirements=tuple(row.requirements or ()),
        objectives=tuple(row.objectives or ()),
        pricing_tiers=_pricing(row),
        current_version=None
        if row.version_number is None
        else PublishedVersion(
            id=row.current_version_id,
            number=row.version_number,
            published_at=row.version_published_at,
        ),
        available_languages=tuple(sorted({row.language} | {t[0] for t in translations})),
        curriculum=tuple(curriculum),
    )


def track_card(row: Any) -> TrackCardRecord:
    """The track card of a course (an ORM course or a course row) that is a track."""
    return TrackCardRecord(
        track=_track(row),
        course_id=row.id,
        course_slug=row.slug,
        title=row.title,
        language=row.language,
        module_count=row.module_count,
        lesson_count=row.lesson_count,
        enrollment_count=row.enrollment_count,
    )


def track_detail(row: Any, course: CoursePageRecord) -> TrackPageRecord:
    """A track page: the track card over its course, then the course page."""
    return TrackPageRecord(card=track_card(row), course=course)
