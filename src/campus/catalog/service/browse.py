"""The public catalog: course lists with filters, sorts and search; course pages; tracks."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import i18n
from campus.catalog.data import CourseLevel
from campus.catalog.exceptions import CourseNotFound, TrackNotFound
from campus.catalog.models import CourseTranslation, LessonTranslation, ModuleTranslation
from campus.catalog.repository import browse as repo
from campus.catalog.repository.browse import CourseQuery
from campus.catalog.service import people, public_pages, search
from campus.catalog.service.records import (
    CourseListing,
    CoursePageRecord,
    OutlineModule,
    TrackCardRecord,
    TrackPageRecord,
)
from campus.catalog.service.taxonomy import resolve_category
from campus.catalog.text import is_slug, normalize_language
from campus.kernel.errors import field_error
from campus.kernel.ids import parse_id
from campus.kernel.pagination import PageParams, parse_sort

SORT_KEYS = {
    "newest": "published_at",
    "popularity": "enrollment_count",
    "rating": "rating",
    "price": "price",
    "title": "title",
    "relevance": "relevance",
}
DEFAULT_SORT = "-newest"
_AMOUNT = re.compile(r"^\d{1,9}(\.\d{1,3})?$")
_RATING = re.compile(r"^[0-5](\.\d{1,2})?$")
_CURRENCY = re.compile(r"^[A-Za-z]{3}$")


@dataclass(frozen=True, slots=True)
class BrowseParams:
    """Public list parameters as received (validated here, not in the handler)."""

    q: str | None = None
    category: str | None = None
    tag: str | None = None
    language: str | None = None
    level: CourseLevel | None = None
    currency: str | None = None
    min_price: str | None = None
    max_price: str | None = None
    is_free: bool | None = None
    min_rating: str | None = None
    instructor: uuid.UUID | None = None
    track: str | None = None
    sort: str | None = None


def _amount(field: str, value: str | None) -> int | None:
    """A major-unit decimal string → thousandths (the ``price_sort`` unit)."""
    if value is None:
        return None
    if not _AMOUNT.match(value):
        raise field_error(
            field, "Use a non-negative decimal with at most 3 decimals, e.g. '19.99'."
        )
    return int(Decimal(value) * 1000)


async def to_query(session: AsyncSession, params: BrowseParams) -> CourseQuery:
    min_price = _amount("minPrice", params.min_price)
    max_price = _amount("maxPrice", params.max_price)
    if min_price is not None and max_price is not None and min_price > max_price:
        raise field_error("maxPrice", "maxPrice must not be below minPrice.")
    currency = None
    if params.currency is not None:
        if not _CURRENCY.match(params.currency):
            raise field_error("currency", "Use an ISO 4217 currency code, e.g. 'USD'.")
        currency = params.currency.upper()
    elif min_price is not None or max_price is not None:
        # Amounts in different currencies are not comparable (docs/adr/0025).
        raise field_error(
            "currency",
            "Give the currency minPrice and maxPrice are in, e.g. 'USD'.",
            code="currency_required",
        )
    min_rating = None
    if params.min_rating is not None:
        if not _RATING.match(params.min_rating) or Decimal(params.min_rating) > 5:
            raise field_error("minRating", "Use a rating between 0 and 5, e.g. '4.5'.")
        min_rating = int(Decimal(params.min_rating) * 100)
    language = None
    if params.language is not None:
        language = normalize_language(params.language)
        if language is None:
            raise field_error("language", "Use a language code such as 'en' or 'pt-BR'.")
    for name, value in (("tag", params.tag), ("track", params.track)):
        if value is not None and not is_slug(value):
            raise field_error(name, "Use a slug such as 'web-development'.")
    tokens = search.query_tokens(params.q) if params.q else ()
    # A query of symbols only (``%``, ``_``, ``\``) searches for them literally; the index holds
    # words only, so it matches nothing (it never means "everything").
    matches_nothing = bool(params.q and params.q.strip() and not tokens)
    allowed = dict(SORT_KEYS)
    if not tokens:
        allowed.pop("relevance")
    specs = parse_sort(params.sort, allowed, "-relevance" if tokens else DEFAULT_SORT)
    category_id = await resolve_category(session, params.category) if params.category else None
    return CourseQuery(
        category_id=category_id,
        tag_slug=params.tag,
        language=language,
        level=params.level.value if params.level else None,
        currency=currency,
        min_price=min_price,
        max_price=max_price,
        is_free=params.is_free,
        min_rating=min_rating,
        instructor_id=params.instructor,
        track_slug=params.track,
        search_tokens=tokens,
        matches_nothing=matches_nothing,
        sort=tuple((s.field, s.descending) for s in specs),
    )


async def list_courses(
    session: AsyncSession, params: BrowseParams, page: PageParams, prefs: tuple[str, ...]
) -> CourseListing:
    """A page of course cards, with the languages they are served in. Queries: the page, a
    capped count unless the page shows the total, instructor names (a fixed number whatever
    the page size)."""
    query = await to_query(session, params)
    languages = i18n.language_filter(CourseTranslation.language, prefs) if prefs else None
    found = await repo.public_page(
        session, query, offset=page.offset, limit=page.limit, languages=languages
    )
    cards = await people.instructor_cards(
        session, [uid for row in found.rows for uid in public_pages.instructor_ids(row)]
    )
    items, served = public_pages.cards_of(found.rows, cards, prefs)
    return CourseListing(
        items=tuple(items),
        total=found.total,
        total_capped=found.total_capped,
        has_next=found.has_next,
        languages=frozenset(served),
    )


async def instructor_courses(
    session: AsyncSession,
    instructor_id: uuid.UUID,
    sort: str | None,
    page: PageParams,
    prefs: tuple[str, ...],
) -> CourseListing:
    return await list_courses(
        session, BrowseParams(instructor=instructor_id, sort=sort), page, prefs
    )


async def _detail_of(session: AsyncSession, row: Any, prefs: tuple[str, ...]) -> CoursePageRecord:
    """A course page from its row: outline (one query), its translations when languages were
    asked for (one query), instructor names (one query), whatever the curriculum's size."""
    curriculum: list[OutlineModule] = []
    if row.current_version_id is not None:
        outline_rows = await repo.outline_rows(session, row.current_version_id)
        translations: list[Any] = []
        if prefs:
            translations = await repo.outline_translations(
                session,
                row.current_version_id,
                i18n.language_filter(ModuleTranslation.language, prefs),
                i18n.language_filter(LessonTranslation.language, prefs),
            )
        curriculum = public_pages.outline(outline_rows, translations, row.language, prefs)
    cards = await people.instructor_cards(session, public_pages.instructor_ids(row))
    return public_pages.detail(row, prefs, cards, curriculum)


async def course_detail(
    session: AsyncSession, ref: str, prefs: tuple[str, ...]
) -> CoursePageRecord:
    """A published course's page by id or slug."""
    course_id = parse_id(ref)
    if course_id is not None:
        row = await repo.published_course_row(session, course_id=course_id)
    elif is_slug(ref):
        row = await repo.published_course_row(session, slug=ref)
    else:
        row = None
    if row is None:
        raise CourseNotFound()
    return await _detail_of(session, row, prefs)


async def tracks(session: AsyncSession) -> list[TrackCardRecord]:
    return [public_pages.track_card(course) for course in await repo.track_courses(session)]


async def track_detail(session: AsyncSession, slug: str, prefs: tuple[str, ...]) -> TrackPageRecord:
    """A track: its card, then its course's page."""
    course_id = await repo.track_course_id(session, slug) if is_slug(slug) else None
    row = await repo.published_course_row(session, course_id=course_id) if course_id else None
    if row is None:
        raise TrackNotFound()
    return public_pages.track_detail(row, await _detail_of(session, row, prefs))
