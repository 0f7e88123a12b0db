"""Public catalog reads as wire-format dicts built from Core rows (no queries here).

The course list and the course page are the catalog's hottest reads, so they skip ORM objects
and pydantic validation: repository rows become the camelCase dicts that ``CourseCard``,
``CourseDetail`` and ``CoursePage`` describe (those models document the routes; tests check
that the bodies are exactly what the models would serialise), and ``dump`` writes the whole
response once with pydantic-core's serialiser.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pydantic_core

from campus.catalog import i18n
from campus.catalog.service.records import seconds_of
from campus.identity.data import InstructorSummary
from campus.kernel.money import Money

Wire = dict[str, Any]
_CENTS = Decimal("0.01")


def dump(body: Any) -> bytes:
    """The JSON body (UUIDs, datetimes and decimals as pydantic writes them)."""
    return pydantic_core.to_json(body)


def money(minor: int, currency: str) -> Wire:
    return {"amount": str(Money(minor, currency).amount), "currency": currency}


def rating(hundredths: int) -> Decimal:
    return (Decimal(hundredths) / 100).quantize(_CENTS)


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


def _instructors(row: Any, cards: Mapping[uuid.UUID, InstructorSummary]) -> list[Wire]:
    out: list[Wire] = []
    for _, user, is_primary in json_list(row.instructors):
        user_id = as_uuid(user)
        card = cards.get(user_id)
        out.append(
            {
                "userId": user_id,
                "displayName": card.display_name if card else None,
                "headline": card.headline if card else None,
                "avatarUrl": card.avatar_url if card else None,
                "isPrimary": bool(is_primary),
            }
        )
    return out


def _track(row: Any) -> Wire:
    """The track card of a course row that is a programming-language track."""
    return {
        "slug": row.track_slug,
        "name": row.track_name or row.track_slug,
        "icon": row.track_icon,
        "difficulty": row.track_difficulty,
    }


def card(row: Any, texts: Texts, cards: Mapping[uuid.UUID, InstructorSummary]) -> Wire:
    """``CourseCard`` on the wire, from a ``repository.browse`` card row."""
    return {
        "id": row.id,
        "slug": row.slug,
        "title": texts.title,
        "subtitle": texts.subtitle,
        "language": texts.language,
        "defaultLanguage": row.language,
        "level": row.level,
        "category": None
        if row.category_id is None
        else {"id": row.category_id, "slug": row.category_slug, "name": row.category_name},
        "tags": [{"slug": slug, "label": label} for _, slug, label in json_list(row.tags)],
        "thumbnailUrl": row.thumbnail_url,
        "isFree": row.is_free,
        "price": None if row.is_free else money(row.price_minor, row.currency),
        "ratingAverage": rating(row.rating_hundredths),
        "ratingCount": row.rating_count,
        "enrollmentCount": row.enrollment_count,
        "durationSeconds": row.duration_seconds,
        "moduleCount": row.module_count,
        "lessonCount": row.lesson_count,
        "hasCertificate": row.has_certificate,
        "instructors": _instructors(row, cards),
        "track": None if row.track_slug is None else _track(row),
        "publishedAt": row.published_at,
    }


def cards_of(
    rows: Sequence[Any], cards: Mapping[uuid.UUID, InstructorSummary], prefs: tuple[str, ...]
) -> tuple[list[Wire], set[str]]:
    """Cards of a page of rows, and the languages they are served in."""
    out: list[Wire] = []
    served: set[str] = set()
    for row in rows:
        translations = json_list(row.translations) if prefs else []
        texts = localize(row, translations, prefs)
        served.add(texts.language)
        out.append(card(row, texts, cards))
    return out, served


def page(
    items: list[Wire], total: int, total_capped: bool, page_no: int, limit: int, has_next: bool
) -> Wire:
    """``CoursePage`` on the wire: the list envelope plus ``totalCapped``."""
    return {
        "items": items,
        "total": total,
        "page": page_no,
        "limit": limit,
        "hasNext": has_next,
        "hasPrev": page_no > 1,
        "totalCapped": total_capped,
    }


# --------------------------------------------------------------------------- course page


def _pricing(row: Any) -> list[Wire]:
    return [
        {
            "tier": tier,
            "price": money(price, row.currency),
            "originalPrice": None if original is None else money(original, row.currency),
            "features": list(features or []),
            "isActive": bool(active),
        }
        for _, tier, price, original, features, active in json_list(row.pricing_tiers)
    ]


def _chosen(own: Iterable[Any], default: str, prefs: tuple[str, ...]) -> tuple[str, Any | None]:
    """(language served, translation row or None when the default language is served)."""
    rows = list(own)
    if not rows:
        return default, None
    language = i18n.choose([t.language for t in rows], default, prefs)
    if language == default:
        return language, None
    return language, next((t for t in rows if t.language == language), None)


def outline(
    rows: Sequence[Any],
    translations: Sequence[Any],
    default_language: str,
    prefs: tuple[str, ...],
) -> list[Wire]:
    """``ModuleOutlineOut`` list from ``repository.browse.outline_rows`` (and
    ``outline_translations`` rows when languages were asked for)."""
    module_tr: dict[uuid.UUID, list[Any]] = defaultdict(list)
    lesson_tr: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for t in translations:
        (module_tr if t.kind == "module" else lesson_tr)[t.owner_id].append(t)
    modules: list[Wire] = []
    current: Wire | None = None
    for row in rows:
        if current is None or current["id"] != row.module_id:
            m_lang, m_tr = _chosen(module_tr.get(row.module_id, ()), default_language, prefs)
            current = {
                "id": row.module_id,
                "lineageId": row.module_lineage_id,
                "title": m_tr.title if m_tr else row.module_title,
                "language": m_lang,
                "description": m_tr.text if m_tr and m_tr.text else row.module_description,
                "position": row.module_position,
                "estimatedMinutes": row.module_estimated_minutes,
                "isLocked": row.is_locked,
                "isSequential": row.is_sequential,
                "durationSeconds": 0,
                "lessons": [],
            }
            modules.append(current)
        if row.id is None:  # a module without published lessons
            continue
        l_lang, l_tr = _chosen(lesson_tr.get(row.id, ()), default_language, prefs)
        body = row.preview_body
        if l_tr is not None and l_tr.text is not None and row.is_preview:
            body = l_tr.text
        urls = row.preview_urls
        seconds = seconds_of(row.video_duration_seconds, row.estimated_minutes)
        current["durationSeconds"] += seconds
        current["lessons"].append(
            {
                "id": row.id,
                "lineageId": row.lineage_id,
                "title": l_tr.title if l_tr else row.title,
                "language": l_lang,
                "type": row.type,
                "position": row.position,
                "durationSeconds": seconds,
                "isPreview": row.is_preview,
                "isRequired": row.is_required,
                "body": body,
                "videoUrl": row.preview_video,
                "contentUrls": None
                if urls is None
                else [{"type": u["type"], "url": u["url"]} for u in urls],
            }
        )
    return modules


def detail(
    row: Any,
    prefs: tuple[str, ...],
    cards: Mapping[uuid.UUID, InstructorSummary],
    curriculum: list[Wire],
) -> Wire:
    """``CourseDetail`` on the wire, from ``repository.browse.published_course_row``."""
    translations = json_list(row.translations)
    texts = localize(row, translations, prefs, row.description)
    return {
        **card(row, texts, cards),
        "description": texts.description,
        "trailerUrl": row.trailer_url,
        "requirements": list(row.requirements or []),
        "objectives": list(row.objectives or []),
        "pricingTiers": _pricing(row),
        "currentVersion": None
        if row.version_number is None
        else {
            "id": row.current_version_id,
            "number": row.version_number,
            "publishedAt": row.version_published_at,
        },
        "availableLanguages": sorted({row.language} | {t[0] for t in translations}),
        "curriculum": curriculum,
    }


def track_detail(row: Any, course: Wire) -> Wire:
    """``TrackDetail`` on the wire: the track card over its course, then the course page."""
    return {
        **_track(row),
        "courseId": row.id,
        "courseSlug": row.slug,
        "title": row.title,
        "language": row.language,
        "moduleCount": row.module_count,
        "lessonCount": row.lesson_count,
        "enrollmentCount": row.enrollment_count,
        "course": course,
    }
