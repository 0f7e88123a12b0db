"""Creating and editing courses: fields, slugs, prices, tags, instructors, translations."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import events
from campus.catalog.data import CourseStatus, VersionStatus
from campus.catalog.exceptions import (
    NotDeletable,
    SlugTaken,
    TrackTaken,
    TranslationNotFound,
)
from campus.catalog.models import Course
from campus.catalog.policies import (
    COURSE_CREATE,
    Action,
    holds_teaching_role,
    sees_every_course,
)
from campus.catalog.repository import courses as repo
from campus.catalog.repository import taxonomy as taxonomy_repo
from campus.catalog.repository.base import violates
from campus.catalog.service import access, assemble, people, search, taxonomy
from campus.catalog.service.access import mark_public_change
from campus.catalog.service.assemble import authoring_view, authoring_view_of
from campus.catalog.service.inputs import (
    CoInstructors,
    CourseChanges,
    CourseTexts,
    NewCourse,
    PricingTierFields,
    TrackFields,
)
from campus.catalog.service.records import (
    AuthoringCardRecord,
    AuthoringCourseRecord,
    CourseTranslationRecord,
)
from campus.catalog.text import slugify, title_sort_key, with_suffix
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict, ValidationFailed, field_error
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.money import Money, MoneyIn, minor_digits
from campus.kernel.pagination import PageParams

SLUG_ATTEMPTS = 40

# --------------------------------------------------------------------------- field rules


def price_sort(minor: int, currency: str) -> int:
    """Amount in thousandths of the major unit, comparable across currencies' minor units."""
    return int(minor * 10 ** (3 - minor_digits(currency)))


def _pricing(is_free: bool, price: Money | None, currency: str) -> dict[str, Any]:
    if is_free:
        if price is not None and price.minor > 0:
            raise field_error("price", "A free course has no price; set isFree to false.")
        return {"is_free": True, "price_minor": 0, "currency": currency, "price_sort": 0}
    if price is None or price.minor <= 0:
        raise field_error("price", "A paid course needs a price above zero.", code="price_required")
    return {
        "is_free": False,
        "price_minor": price.minor,
        "currency": price.currency,
        "price_sort": price_sort(price.minor, price.currency),
    }


def _tier_rows(
    tiers: Sequence[PricingTierFields], currency: str, is_free: bool
) -> list[dict[str, Any]]:
    if tiers and is_free:
        raise field_error("pricingTiers", "A free course has no pricing tiers.")
    rows = []
    for position, tier in enumerate(tiers):
        if tier.price.currency != currency:
            raise field_error(
                "pricingTiers", f"Tier prices must be in the course currency ({currency})."
            )
        original = tier.original_price.to_money() if tier.original_price else None
        rows.append(
            {
                "id": new_id(),
                "tier": tier.tier.value,
                "position": position,
                "price_minor": tier.price.to_money().minor,
                "original_price_minor": original.minor if original else None,
                "features": list(tier.features),
                "is_active": tier.is_active,
            }
        )
    return rows


def _money(price: MoneyIn | None) -> Money | None:
    return None if price is None else price.to_money()


def _track_values(track: TrackFields | None) -> dict[str, Any]:
    if track is None:
        return {
            "track_slug": None,
            "track_name": None,
            "track_icon": None,
            "track_difficulty": None,
        }
    return {
        "track_slug": track.slug,
        "track_name": track.name,
        "track_icon": track.icon,
        "track_difficulty": track.difficulty.value,
    }


async def _check_category(session: AsyncSession, category_id: uuid.UUID | None) -> None:
    if category_id is not None and not await taxonomy_repo.category_exists(session, category_id):
        raise field_error("categoryId", "Unknown category.", code="unknown_category")


def _raise_conflict(exc: IntegrityError) -> None:
    if violates(exc, "catalog_courses", ["track_slug"]):
        raise TrackTaken()
    if violates(exc, "catalog_courses", ["slug"]):
        raise SlugTaken()
    raise exc


def _next_slug(base: str, taken: set[str], attempt: int) -> str:
    if attempt >= 10:  # heavy contention: stop guessing numbers
        return with_suffix(base, int(secrets.token_hex(3), 16))
    n = 2
    while with_suffix(base, n) in taken:
        n += 1
    return with_suffix(base, n)


# --------------------------------------------------------------------------- create


async def create_course(
    session: AsyncSession, principal: Principal, data: NewCourse
) -> AuthoringCourseRecord:
    principal.require(COURSE_CREATE)
    await _check_category(session, data.category_id)
    price = _money(data.price)
    is_free = data.is_free if data.is_free is not None else price is None
    currency = price.currency if price else "USD"
    pricing = _pricing(is_free, price, currency)
    tiers = _tier_rows(data.pricing_tiers or [], pricing["currency"], is_free)
    course_id, version_id, now = new_id(), new_id(), utcnow()
    values: dict[str, Any] = {
        "id": course_id,
        "title": data.title,
        "title_sort": title_sort_key(data.title),
        "subtitle": data.subtitle,
        "description": data.description,
        "category_id": data.category_id,
        "language": data.language,
        "level": data.level.value,
        "thumbnail_url": data.thumbnail_url,
        "trailer_url": data.trailer_url,
        "requirements": list(data.requirements or []),
        "objectives": list(data.objectives or []),
        "has_certificate": bool(data.has_certificate),
        "primary_instructor_id": principal.user_id,
        "status": CourseStatus.DRAFT.value,
        "draft_version_id": version_id,
        "created_at": now,
        "updated_at": now,
        **pricing,
        **_track_values(data.track),
    }
    # Unique constraint + retry, never check-then-act: concurrent creators of the same title
    # each end up with their own suffix.
    base = slugify(data.title)
    candidate = base
    for attempt in range(SLUG_ATTEMPTS):
        exc = await repo.try_insert_course(session, {**values, "slug": candidate})
        if exc is None:
            break
        if not violates(exc, "catalog_courses", ["slug"]):
            _raise_conflict(exc)
        candidate = _next_slug(base, await repo.slugs_like(session, base), attempt)
    else:
        raise Conflict("Could not find a free slug; try another title.", code="slug_taken")
    await repo.insert_version(
        session,
        {
            "id": version_id,
            "course_id": course_id,
            "number": 1,
            "status": VersionStatus.DRAFT.value,
            "created_at": now,
            "updated_at": now,
        },
    )
    await repo.replace_instructors(session, course_id, principal.user_id, [])
    if data.tags:
        await repo.replace_course_tags(
            session, course_id, await taxonomy.ensure_tags(session, data.tags)
        )
    if tiers:
        await repo.replace_pricing_tiers(session, course_id, tiers)
    return await _fresh_view(session, course_id)


async def _fresh_view(session: AsyncSession, course_id: uuid.UUID) -> AuthoringCourseRecord:
    return await authoring_view(session, course_id)


# --------------------------------------------------------------------------- update

_NOT_NULL = {
    "title": "title",
    "language": "language",
    "level": "level",
    "has_certificate": "hasCertificate",
    "is_free": "isFree",
    "requirements": "requirements",
    "objectives": "objectives",
    "tags": "tags",
    "pricing_tiers": "pricingTiers",
}


async def update_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, data: CourseChanges
) -> AuthoringCourseRecord:
    course = await access.course_for(session, principal, course_id, Action.EDIT, lock=True)
    sent = data.model_fields_set
    for key, field_name in _NOT_NULL.items():
        if key in sent and getattr(data, key) is None:
            raise field_error(field_name, "This field cannot be null.")
    if "slug" in sent and course.published_at is not None:
        raise ValidationFailed(
            "The slug of a published course is stable.",
            code="slug_frozen",
            details={
                "fields": [
                    {
                        "field": "slug",
                        "message": "Published slugs cannot change.",
                        "code": "slug_frozen",
                    }
                ]
            },
        )
    values: dict[str, Any] = {}
    simple = (
        "subtitle",
        "description",
        "thumbnail_url",
        "trailer_url",
        "has_certificate",
        "language",
        "requirements",
        "objectives",
    )
    for key in simple:
        if key in sent:
            values[key] = getattr(data, key)
    if "level" in sent and data.level is not None:
        values["level"] = data.level.value
    if "category_id" in sent:
        await _check_category(session, data.category_id)
        values["category_id"] = data.category_id
    if "title" in sent and data.title is not None:
        values["title"] = data.title
        values["title_sort"] = title_sort_key(data.title)
    if "track" in sent:
        values.update(_track_values(data.track))

    pricing_sent = {"is_free", "price"} & sent
    tiers_rows: list[dict[str, Any]] | None = None
    if pricing_sent or "pricing_tiers" in sent:
        current_price = None if course.is_free else Money(course.price_minor, course.currency)
        price = _money(data.price) if "price" in sent else current_price
        is_free = data.is_free if data.is_free is not None else course.is_free
        if "is_free" in sent and is_free and "price" not in sent:
            price = None
        if "is_free" in sent and not is_free and "price" not in sent and price is None:
            raise field_error(
                "price", "A paid course needs a price above zero.", code="price_required"
            )
        pricing = _pricing(is_free, price, price.currency if price else course.currency)
        values.update(pricing)
        if "pricing_tiers" in sent:
            tiers_rows = _tier_rows(data.pricing_tiers or [], pricing["currency"], is_free)
        elif course.pricing_tiers and (pricing["currency"] != course.currency or is_free):
            raise field_error(
                "pricingTiers", "Restate the pricing tiers for the new price.", code="tiers_stale"
            )

    regenerate = (
        course.published_at is None
        and "slug" not in sent
        and data.title is not None
        and data.title != course.title
    )
    if "slug" in sent and data.slug is not None and data.slug != course.slug:
        values["slug"] = data.slug
    if values:
        exc = await repo.try_update_course(session, course.id, values)
        if exc is not None:
            _raise_conflict(exc)
    if regenerate and data.title is not None and slugify(data.title) != course.slug:
        await _regenerate_slug(session, course.id, slugify(data.title))
    if "tags" in sent:
        await repo.replace_course_tags(
            session, course.id, await taxonomy.ensure_tags(session, data.tags or [])
        )
    if tiers_rows is not None:
        await repo.replace_pricing_tiers(session, course.id, tiers_rows)

    fresh = await repo.get_course(session, course.id)
    assert fresh is not None
    if fresh.status == CourseStatus.PUBLISHED:
        await search.reindex(session, fresh)
        mark_public_change(session)
    if sent:
        await _updated_event(session, principal, fresh, sorted(_wire_names(sent)))
    return await authoring_view_of(session, fresh)


def _wire_names(fields: set[str]) -> list[str]:
    """The changed fields as clients name them (camelCase), for the event."""
    return [to_camel(f) for f in fields]


async def _regenerate_slug(session: AsyncSession, course_id: uuid.UUID, base: str) -> None:
    candidate = base
    for attempt in range(SLUG_ATTEMPTS):
        exc = await repo.try_update_course(session, course_id, {"slug": candidate})
        if exc is None:
            return
        if not violates(exc, "catalog_courses", ["slug"]):
            raise exc
        candidate = _next_slug(base, await repo.slugs_like(session, base), attempt)
    raise SlugTaken()


async def _updated_event(
    session: AsyncSession, principal: Principal, course: Course, fields: list[str]
) -> None:
    await publish(
        session,
        events.CourseUpdated(
            course_id=course.id,
            status=course.status,
            fields=fields,
            updated_by=principal.user_id,
            updated_at=utcnow(),
        ),
    )


# --------------------------------------------------------------------------- delete


async def delete_course(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> None:
    course = await access.course_for(session, principal, course_id, Action.DELETE, lock=True)
    if not await repo.soft_delete_draft(session, course.id):
        raise NotDeletable(
            details={"status": course.status, "enrollmentCount": course.enrollment_count}
        )


# --------------------------------------------------------------------------- reads


async def authoring_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> AuthoringCourseRecord:
    course = await access.course_for(session, principal, course_id, Action.VIEW_AUTHORING)
    return await authoring_view_of(session, course)


async def authoring_courses(
    session: AsyncSession,
    principal: Principal,
    *,
    status: CourseStatus | None,
    mine: bool,
    page: PageParams,
) -> tuple[list[AuthoringCardRecord], int]:
    """A page of the courses the principal teaches (every course for catalog staff, unless
    ``mine``), and how many there are."""
    everyone = sees_every_course(principal) and not mine
    if not everyone and not holds_teaching_role(principal):
        # Membership without the instructor role gives no staff power (catalog.policies).
        return [], 0
    courses, total = await repo.authoring_page(
        session,
        teacher_id=None if everyone else principal.user_id,
        status=status.value if status else None,
        offset=page.offset,
        limit=page.limit,
    )
    drafts = {
        v.id: v
        for v in await repo.get_versions(
            session, [c.draft_version_id for c in courses if c.draft_version_id]
        )
    }
    items = [
        assemble.authoring_card(
            c, principal.user_id, drafts.get(c.draft_version_id) if c.draft_version_id else None
        )
        for c in courses
    ]
    return items, total


# --------------------------------------------------------------------------- instructors


async def _require_instructors(session: AsyncSession, field: str, ids: list[uuid.UUID]) -> None:
    found = await people.are_instructors(session, ids)
    unknown = [str(i) for i in ids if i not in found]
    if unknown:
        raise ValidationFailed(
            details={
                "fields": [
                    {
                        "field": field,
                        "message": "Not an active instructor: " + ", ".join(unknown[:10]),
                        "code": "not_an_instructor",
                    }
                ]
            }
        )


async def set_co_instructors(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, data: CoInstructors
) -> AuthoringCourseRecord:
    course = await access.course_for(
        session, principal, course_id, Action.MANAGE_INSTRUCTORS, lock=True
    )
    co_ids = [
        uid for uid in dict.fromkeys(data.co_instructor_ids) if uid != course.primary_instructor_id
    ]
    await _require_instructors(session, "coInstructorIds", co_ids)
    await repo.replace_instructors(session, course.id, course.primary_instructor_id, co_ids)
    if course.status == CourseStatus.PUBLISHED:
        mark_public_change(session)
    await _updated_event(session, principal, course, ["instructors"])
    return await _fresh_view(session, course.id)


async def transfer_ownership(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    new_owner: uuid.UUID,
    *,
    keep_previous: bool,
) -> AuthoringCourseRecord:
    """Make ``new_owner`` the primary instructor; ``keep_previous`` keeps the former one as
    the first co-instructor."""
    course = await access.course_for(session, principal, course_id, Action.TRANSFER, lock=True)
    if new_owner != course.primary_instructor_id:
        await _require_instructors(session, "newPrimaryInstructorId", [new_owner])
        co_ids = [uid for uid in course.instructor_ids[1:] if uid != new_owner]
        if keep_previous:
            co_ids.insert(0, course.primary_instructor_id)
        exc = await repo.try_update_course(session, course.id, {"primary_instructor_id": new_owner})
        if exc is not None:
            raise exc
        await repo.replace_instructors(session, course.id, new_owner, co_ids)
        if course.status == CourseStatus.PUBLISHED:
            mark_public_change(session)
        await _updated_event(session, principal, course, ["primaryInstructorId", "instructors"])
    return await _fresh_view(session, course.id)


# --------------------------------------------------------------------------- translations


async def put_translation(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    language: str,
    data: CourseTexts,
) -> CourseTranslationRecord:
    course = await access.course_for(session, principal, course_id, Action.EDIT, lock=True)
    if language == course.language:
        raise field_error("lang", "This is the course's own language; edit the course instead.")
    values = {"title": data.title, "subtitle": data.subtitle, "description": data.description}
    await repo.upsert_course_translation(session, course.id, language, values)
    if course.status == CourseStatus.PUBLISHED:
        mark_public_change(session)
    await _updated_event(session, principal, course, [f"translations.{language}"])
    return CourseTranslationRecord(
        language=language, title=data.title, subtitle=data.subtitle, description=data.description
    )


async def delete_translation(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, language: str
) -> None:
    course = await access.course_for(session, principal, course_id, Action.EDIT, lock=True)
    if not await repo.delete_course_translation(session, course.id, language):
        raise TranslationNotFound()
    if course.status == CourseStatus.PUBLISHED:
        mark_public_change(session)
    await _updated_event(session, principal, course, [f"translations.{language}"])
