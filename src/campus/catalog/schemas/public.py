"""The bodies of the public list, course page and track page, written without model validation.

These are the catalog's hottest reads: their records become the camelCase dicts that
``CoursePage``, ``CourseDetail`` and ``TrackDetail`` describe (those models document the
routes; tests check that the bodies are exactly what the models would serialise), and ``dump``
writes the whole response once with pydantic-core's serialiser. Enum members are written as
their values (pydantic-core's enum path costs several times a string's).
"""

from __future__ import annotations

from typing import Any

import pydantic_core

from campus.catalog.service.records import (
    CourseCardRecord,
    CourseListing,
    CoursePageRecord,
    InstructorCredit,
    OutlineModule,
    TierPrice,
    TrackInfo,
    TrackPageRecord,
)
from campus.kernel.money import Money
from campus.kernel.pagination import PageParams

Wire = dict[str, Any]


def dump(body: Any) -> bytes:
    """The JSON body (UUIDs, datetimes and decimals as pydantic writes them)."""
    return pydantic_core.to_json(body)


def _money(money: Money) -> Wire:
    return {"amount": str(money.amount), "currency": money.currency}


def _instructor(credit: InstructorCredit) -> Wire:
    return {
        "userId": credit.user_id,
        "displayName": credit.display_name,
        "headline": credit.headline,
        "avatarUrl": credit.avatar_url,
        "isPrimary": credit.is_primary,
    }


def _track(track: TrackInfo) -> Wire:
    return {
        "slug": track.slug,
        "name": track.name,
        "icon": track.icon,
        "difficulty": track.difficulty,
    }


def card(record: CourseCardRecord) -> Wire:
    """``CourseCard`` on the wire."""
    category = record.category
    return {
        "id": record.id,
        "slug": record.slug,
        "title": record.title,
        "subtitle": record.subtitle,
        "language": record.language,
        "defaultLanguage": record.default_language,
        "level": record.level.value,
        "category": None
        if category is None
        else {"id": category.id, "slug": category.slug, "name": category.name},
        "tags": [{"slug": t.slug, "label": t.label} for t in record.tags],
        "thumbnailUrl": record.thumbnail_url,
        "isFree": record.is_free,
        "price": None if record.price is None else _money(record.price),
        "ratingAverage": record.rating_average,
        "ratingCount": record.rating_count,
        "enrollmentCount": record.enrollment_count,
        "durationSeconds": record.duration_seconds,
        "moduleCount": record.module_count,
        "lessonCount": record.lesson_count,
        "hasCertificate": record.has_certificate,
        "instructors": [_instructor(i) for i in record.instructors],
        "track": None if record.track is None else _track(record.track),
        "publishedAt": record.published_at,
    }


def course_page(listing: CourseListing, page: PageParams) -> Wire:
    """``CoursePage`` on the wire: the list envelope plus ``totalCapped``."""
    return {
        "items": [card(item) for item in listing.items],
        "total": listing.total,
        "page": page.page,
        "limit": page.limit,
        "hasNext": listing.has_next,
        "hasPrev": page.page > 1,
        "totalCapped": listing.total_capped,
    }


def _tier(tier: TierPrice) -> Wire:
    return {
        "tier": tier.tier.value,
        "price": _money(tier.price),
        "originalPrice": None if tier.original_price is None else _money(tier.original_price),
        "features": list(tier.features),
        "isActive": tier.is_active,
    }


def _module(module: OutlineModule) -> Wire:
    """``ModuleOutlineOut`` on the wire."""
    return {
        "id": module.id,
        "lineageId": module.lineage_id,
        "title": module.title,
        "language": module.language,
        "description": module.description,
        "position": module.position,
        "estimatedMinutes": module.estimated_minutes,
        "isLocked": module.is_locked,
        "isSequential": module.is_sequential,
        "durationSeconds": module.duration_seconds,
        "lessons": [
            {
                "id": lesson.id,
                "lineageId": lesson.lineage_id,
                "title": lesson.title,
                "language": lesson.language,
                "type": lesson.type.value,
                "position": lesson.position,
                "durationSeconds": lesson.duration_seconds,
                "isPreview": lesson.is_preview,
                "isRequired": lesson.is_required,
                "body": lesson.body,
                "videoUrl": lesson.video_url,
                "contentUrls": None
                if lesson.content_urls is None
                else [{"type": u.type.value, "url": u.url} for u in lesson.content_urls],
            }
            for lesson in module.lessons
        ],
    }


def course_detail(record: CoursePageRecord) -> Wire:
    """``CourseDetail`` on the wire: the card, then the page's own parts."""
    version = record.current_version
    return {
        **card(record.card),
        "description": record.description,
        "trailerUrl": record.trailer_url,
        "requirements": list(record.requirements),
        "objectives": list(record.objectives),
        "pricingTiers": [_tier(t) for t in record.pricing_tiers],
        "currentVersion": None
        if version is None
        else {"id": version.id, "number": version.number, "publishedAt": version.published_at},
        "availableLanguages": list(record.available_languages),
        "curriculum": [_module(m) for m in record.curriculum],
    }


def track_detail(record: TrackPageRecord) -> Wire:
    """``TrackDetail`` on the wire: the track card over its course, then the course page."""
    track = record.card
    return {
        **_track(track.track),
        "courseId": track.course_id,
        "courseSlug": track.course_slug,
        "title": track.title,
        "language": track.language,
        "moduleCount": track.module_count,
        "lessonCount": track.lesson_count,
        "enrollmentCount": track.enrollment_count,
        "course": course_detail(record.course),
    }
