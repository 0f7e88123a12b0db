"""Public catalog reads: anyone may call them; responses carry ETag and Cache-Control."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from fastapi import Depends, Path, Query, Request, Response

from campus.catalog import httpcache
from campus.catalog.data import CourseLevel
from campus.catalog.endpoints.dependencies import LanguagePrefs
from campus.catalog.endpoints.errors import NOT_MODIFIED, errors
from campus.catalog.schemas import public as bodies
from campus.catalog.schemas.courses import CourseDetail, CoursePage, TrackCard, TrackDetail
from campus.catalog.schemas.taxonomy import CategoryDetail, CategoryTree, TagOut
from campus.catalog.service import browse, taxonomy
from campus.catalog.service.browse import SORT_KEYS, BrowseParams
from campus.kernel.auth import DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params, sort_pattern
from campus.kernel.schemas import ApiModel

router = api_router(tags=["catalog"])

_SORTS = sort_pattern(SORT_KEYS)
_SORT_HELP = (
    "Comma-separated sort keys: newest, popularity, rating, price, title (relevance with q); "
    "'-' for descending. Default: -newest, or -relevance when searching. Prices are never "
    "compared across currencies: `price` puts free courses first (last with `-price`), then "
    "orders paid courses by currency code and, within a currency, by amount (docs/adr/0025)."
)


class TrackList(ApiModel):
    items: list[TrackCard]


def _languages(served: Collection[str]) -> str:
    return ", ".join(sorted(served))


@router.get(
    "/courses",
    summary="Browse and search published courses",
    response_model=CoursePage,
    responses={**NOT_MODIFIED, **errors(422)},
)
async def list_courses(
    request: Request,
    session: DbSession,
    prefs: LanguagePrefs,
    page: PageParams = Depends(page_params),
    q: str | None = Query(
        None,
        max_length=200,
        description="Full-text search: every word must start a word of the course's text. "
        "Symbols are literal, never wildcards: a query without any letter or digit (`%`, `_`) "
        "matches no course.",
    ),
    category: str | None = Query(
        None, max_length=120, description="Category id or slug (with subcategories)"
    ),
    tag: str | None = Query(None, max_length=80, description="Tag slug"),
    language: str | None = Query(None, max_length=35, description="Course language, e.g. 'en'"),
    level: CourseLevel | None = Query(None),
    currency: str | None = Query(
        None,
        max_length=3,
        examples=["USD"],
        description="Courses priced in this ISO 4217 currency, and free courses; required "
        "with minPrice/maxPrice (amounts are never compared across currencies)",
    ),
    min_price: str | None = Query(
        None, alias="minPrice", max_length=16, examples=["10.00"], description="In `currency`"
    ),
    max_price: str | None = Query(
        None, alias="maxPrice", max_length=16, examples=["50"], description="In `currency`"
    ),
    is_free: bool | None = Query(
        None, alias="isFree", description="true: free only; false: paid only"
    ),
    min_rating: str | None = Query(None, alias="minRating", max_length=4, examples=["4.5"]),
    instructor: uuid.UUID | None = Query(None, description="Courses this user teaches"),
    track: str | None = Query(None, max_length=60, description="Programming-language track slug"),
    sort: str | None = Query(
        None, max_length=100, description=_SORT_HELP, json_schema_extra={"pattern": _SORTS}
    ),
) -> Response:
    params = BrowseParams(
        q=q,
        category=category,
        tag=tag,
        language=language,
        level=level,
        currency=currency,
        min_price=min_price,
        max_price=max_price,
        is_free=is_free,
        min_rating=min_rating,
        instructor=instructor,
        track=track,
        sort=sort,
    )

    async def produce() -> tuple[bytes, str]:
        listing = await browse.list_courses(session, params, page, prefs)
        return bodies.dump(bodies.course_page(listing, page)), _languages(listing.languages)

    return await httpcache.serve(request, "courses", prefs, produce)


@router.get(
    "/courses/{course_ref}",
    summary="A published course's page (by id or slug) with its curriculum outline",
    response_model=CourseDetail,
    responses={**NOT_MODIFIED, **errors(404, 422)},
)
async def course_detail(
    request: Request,
    session: DbSession,
    prefs: LanguagePrefs,
    course_ref: str = Path(max_length=200, description="Course id or slug"),
) -> Response:
    async def produce() -> tuple[bytes, str]:
        detail = await browse.course_detail(session, course_ref, prefs)
        return bodies.dump(bodies.course_detail(detail)), detail.language

    return await httpcache.serve(request, "course", prefs, produce)


@router.get(
    "/categories",
    summary="The category tree with published-course counts",
    response_model=CategoryTree,
    responses={**NOT_MODIFIED, **errors(422)},
)
async def category_tree(request: Request, session: DbSession, prefs: LanguagePrefs) -> Response:
    async def produce() -> tuple[CategoryTree, str]:
        forest = await taxonomy.category_tree(session, prefs)
        return CategoryTree.of(forest), forest.languages

    return await httpcache.serve(request, "categories", prefs, produce)


@router.get(
    "/categories/{category_ref}",
    summary="One category (by id or slug) with its subtree and ancestors",
    response_model=CategoryDetail,
    responses={**NOT_MODIFIED, **errors(404, 422)},
)
async def category_detail(
    request: Request,
    session: DbSession,
    prefs: LanguagePrefs,
    category_ref: str = Path(max_length=200),
) -> Response:
    async def produce() -> tuple[CategoryDetail, str]:
        detail = await taxonomy.category_detail(session, category_ref, prefs)
        return CategoryDetail.of(detail.node, detail.ancestors), detail.node.language

    return await httpcache.serve(request, "category", prefs, produce)


@router.get(
    "/tags",
    summary="Tags, with how many published courses carry each",
    response_model=Page[TagOut],
    responses={**NOT_MODIFIED, **errors(422)},
)
async def list_tags(
    request: Request,
    session: DbSession,
    prefs: LanguagePrefs,
    page: PageParams = Depends(page_params),
    q: str | None = Query(None, max_length=50, description="Label prefix"),
) -> Response:
    async def produce() -> tuple[Page[TagOut], str]:
        tags, total = await taxonomy.list_tags(session, q, page)
        return Page[TagOut].build([TagOut.of(t) for t in tags], total, page), ""

    return await httpcache.serve(request, "tags", prefs, produce)


@router.get(
    "/tracks",
    summary="Programming-language tracks (seed 003) with their module counts",
    response_model=TrackList,
    responses={**NOT_MODIFIED, **errors(422)},
)
async def list_tracks(request: Request, session: DbSession, prefs: LanguagePrefs) -> Response:
    async def produce() -> tuple[TrackList, str]:
        items = [TrackCard.of(t) for t in await browse.tracks(session)]
        return TrackList(items=items), _languages({t.language for t in items})

    return await httpcache.serve(request, "tracks", prefs, produce)


@router.get(
    "/tracks/{track_slug}",
    summary="A track: its course, modules and materials",
    response_model=TrackDetail,
    responses={**NOT_MODIFIED, **errors(404, 422)},
)
async def track_detail(
    request: Request,
    session: DbSession,
    prefs: LanguagePrefs,
    track_slug: str = Path(max_length=60),
) -> Response:
    async def produce() -> tuple[bytes, str]:
        detail = await browse.track_detail(session, track_slug, prefs)
        return bodies.dump(bodies.track_detail(detail)), detail.course.language

    return await httpcache.serve(request, "track", prefs, produce)


@router.get(
    "/instructors/{instructor_id}/courses",
    summary="Published courses an instructor teaches",
    response_model=CoursePage,
    responses={**NOT_MODIFIED, **errors(422)},
)
async def instructor_courses(
    request: Request,
    session: DbSession,
    instructor_id: uuid.UUID,
    prefs: LanguagePrefs,
    page: PageParams = Depends(page_params),
    sort: str | None = Query(
        None, max_length=100, description=_SORT_HELP, json_schema_extra={"pattern": _SORTS}
    ),
) -> Response:
    async def produce() -> tuple[bytes, str]:
        listing = await browse.instructor_courses(session, instructor_id, sort, page, prefs)
        return bodies.dump(bodies.course_page(listing, page)), _languages(listing.languages)

    return await httpcache.serve(request, "instructor", prefs, produce)
