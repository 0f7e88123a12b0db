"""The public catalog query: published courses, whitelisted filters and sorts, full-text search.

Every filter and sort has an index led by ``status`` (see ``models.Course``); search runs on an
SQLite FTS5 table ranked by bm25, or on PostgreSQL on a GIN-indexed stored tsvector ranked by
ts_rank.

Public reads select Core rows, not ORM objects: a page of cards is one query (relations come
as JSON lists from correlated subqueries) plus at most one capped count; a course page is one
query for the course and one for its outline.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.models import (
    SEARCH_FTS_TABLE,
    SEARCH_PG_VECTOR,
    Category,
    Course,
    CourseInstructor,
    CoursePricingTier,
    CourseSearchDocument,
    CourseTag,
    CourseTranslation,
    CourseVersion,
    Lesson,
    LessonTranslation,
    Module,
    ModuleTranslation,
    Tag,
)
from campus.catalog.repository.base import built_once, is_postgres, json_rows, json_value
from campus.catalog.repository.taxonomy import subtree_ids

PUBLISHED = "published"

#: The PostgreSQL search document: a stored, weighted tsvector with a GIN index (migration
#: 0003 adds it with raw SQL, so the model does not declare it).
PG_DOCUMENT: sa.ColumnClause[Any] = sa.literal_column(
    f"{CourseSearchDocument.__tablename__}.{SEARCH_PG_VECTOR}"
)


@dataclass(frozen=True, slots=True)
class CourseQuery:
    """Validated public filters (service-level values: ids, index units, folded tokens)."""

    category_id: uuid.UUID | None = None
    tag_slug: str | None = None
    language: str | None = None
    level: str | None = None
    #: Paid courses priced in this currency, and free courses; price bounds are in it.
    currency: str | None = None
    min_price: int | None = None
    max_price: int | None = None
    is_free: bool | None = None
    min_rating: int | None = None
    instructor_id: uuid.UUID | None = None
    track_slug: str | None = None
    search_tokens: tuple[str, ...] = ()
    #: A search with no word to look for (only symbols): no course matches.
    matches_nothing: bool = False
    #: (sort key, descending) pairs; keys: newest, popularity, rating, price, title, relevance.
    sort: tuple[tuple[str, bool], ...] = (("newest", True),)


def _conditions(query: CourseQuery) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = [Course.status == PUBLISHED]
    if query.category_id is not None:
        where.append(Course.category_id.in_(subtree_ids(query.category_id)))
    if query.tag_slug is not None:
        tagged = (
            sa.select(CourseTag.course_id)
            .join(Tag, Tag.id == CourseTag.tag_id)
            .where(Tag.slug == query.tag_slug)
        )
        where.append(Course.id.in_(tagged))
    if query.language is not None:
        if "-" in query.language:
            where.append(Course.language == query.language)
        else:
            where.append(
                sa.or_(
                    Course.language == query.language,
                    Course.language.startswith(f"{query.language}-", autoescape=True),
                )
            )
    if query.level is not None:
        where.append(Course.level == query.level)
    if query.matches_nothing:
        where.append(sa.false())
    if query.currency is not None:
        where.append(sa.or_(Course.currency == query.currency, Course.price_sort == 0))
    if query.min_price is not None:
        where.append(Course.price_sort >= query.min_price)
    if query.max_price is not None:
        where.append(Course.price_sort <= query.max_price)
    if query.is_free is True:
        where.append(Course.price_sort == 0)
    elif query.is_free is False:
        where.append(Course.price_sort > 0)
    if query.min_rating is not None:
        where.append(Course.rating_hundredths >= query.min_rating)
    if query.instructor_id is not None:
        taught = sa.select(CourseInstructor.course_id).where(
            CourseInstructor.user_id == query.instructor_id
        )
        where.append(Course.id.in_(taught))
    if query.track_slug is not None:
        where.append(Course.track_slug == query.track_slug)
    return where


def _search(
    session: AsyncSession, tokens: tuple[str, ...]
) -> tuple[Any, sa.ColumnElement[bool], list[sa.ColumnElement[bool]], sa.ColumnElement[float]]:
    """(joined source, join condition, extra conditions, relevance: higher is better)."""
    if is_postgres(session):
        tsquery = sa.func.to_tsquery(
            sa.literal_column("'simple'::regconfig"),
            sa.bindparam("tsquery", " & ".join(f"{t}:*" for t in tokens)),
        )
        return (
            CourseSearchDocument,
            CourseSearchDocument.course_id == Course.id,
            [PG_DOCUMENT.op("@@")(tsquery)],
            sa.func.ts_rank(PG_DOCUMENT, tsquery),
        )
    match = " ".join(f'"{t}"*' for t in tokens)
    hits = (
        sa.text(
            f"SELECT course_id, -bm25({SEARCH_FTS_TABLE}, 4.0, 1.0, 0.0) AS relevance "  # noqa: S608  # nosec B608 - constant table name
            f"FROM {SEARCH_FTS_TABLE} WHERE {SEARCH_FTS_TABLE} MATCH :fts_match"
        )
        .bindparams(fts_match=match)
        .columns(sa.column("course_id", sa.Uuid()), sa.column("relevance", sa.Float()))
        .subquery("search_hits")
    )
    return hits, hits.c.course_id == Course.id, [], hits.c.relevance


#: ``total`` counts matches up to this many pages past the requested one; past that, a list
#: reports the figure reached and says it is a lower bound (docs/adr/0021-capped-list-totals.md).
COUNT_PAGES_AHEAD = 5


def count_window(offset: int, limit: int) -> int:
    """How many matches a page's count goes up to: its own and ``COUNT_PAGES_AHEAD`` pages'
    worth after it. Counting costs about what reading that many pages would, so a count never
    costs more than a few pages, however large the catalog or the result set."""
    return offset + limit * (COUNT_PAGES_AHEAD + 1)


@dataclass(frozen=True, slots=True)
class PublicPage:
    rows: list[sa.Row[Any]]
    total: int
    total_capped: bool
    has_next: bool


def _per_course(session: AsyncSession, course_id: Any, *values: Any) -> sa.Select[Any]:
    """``values`` of the rows that belong to the outer query's course (``course_id`` is their
    foreign key), as one JSON list (``json_rows``); the caller adds any join or condition and
    makes it a scalar subquery."""
    return sa.select(json_rows(session, *values)).where(course_id == Course.id)


def _card_columns(session: AsyncSession, languages: sa.ColumnElement[bool] | None) -> list[Any]:
    """``_build_card_columns``; without ``languages``, built once per dialect and reused."""
    if languages is None:
        return built_once(session, "course_card_columns", _plain_card_columns)
    return _build_card_columns(session, languages)


def _plain_card_columns(session: AsyncSession) -> list[Any]:
    return _build_card_columns(session, None)


def _build_card_columns(
    session: AsyncSession, languages: sa.ColumnElement[bool] | None
) -> list[Any]:
    """What a course card shows, in one row per course: the course's own columns, its category
    (outer join), and its tags, instructors and (with ``languages``) matching translations as
    JSON lists (correlated subqueries, so the query count never depends on the page size)."""
    tags = (
        _per_course(session, CourseTag.course_id, CourseTag.position, Tag.slug, Tag.label)
        .select_from(CourseTag)
        .join(Tag, Tag.id == CourseTag.tag_id)
        .scalar_subquery()
    )
    instructors = _per_course(
        session,
        CourseInstructor.course_id,
        CourseInstructor.position,
        CourseInstructor.user_id,
        CourseInstructor.is_primary,
    ).scalar_subquery()
    columns: list[Any] = [
        Course.id,
        Course.slug,
        Course.title,
        Course.subtitle,
        Course.language,
        Course.level,
        Course.thumbnail_url,
        Course.is_free,
        Course.price_minor,
        Course.currency,
        Course.rating_hundredths,
        Course.rating_count,
        Course.enrollment_count,
        Course.duration_seconds,
        Course.module_count,
        Course.lesson_count,
        Course.has_certificate,
        Course.track_slug,
        Course.track_name,
        Course.track_icon,
        Course.track_difficulty,
        Course.published_at,
        Category.id.label("category_id"),
        Category.slug.label("category_slug"),
        Category.name.label("category_name"),
        tags.label("tags"),
        instructors.label("instructors"),
    ]
    if languages is not None:
        translations = (
            _per_course(
                session,
                CourseTranslation.course_id,
                CourseTranslation.language,
                CourseTranslation.title,
                CourseTranslation.subtitle,
            )
            .where(languages)
            .scalar_subquery()
        )
        columns.append(translations.label("translations"))
    return columns


async def plan_for_these_values(session: AsyncSession) -> None:
    """Have PostgreSQL plan this transaction's statements for their actual parameter values.

    Statements are prepared and cached per connection; after five runs PostgreSQL may switch
    a prepared statement to a generic plan, made without the values. For the list that plan is
    a disaster: blind to how selective ``level``/``language``/price are, it walks a whole price
    range and sorts it (40 ms at 100k courses) instead of walking the sort index until the page
    is full (1 ms). Planning each run costs a fraction of a millisecond. The statement goes
    straight to the driver: it needs none of the ORM's execution machinery."""
    if is_postgres(session):
        connection = await session.connection()
        await connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_custom_plan")


def _ranked_page(
    session: AsyncSession,
    tokens: tuple[str, ...],
    languages: sa.ColumnElement[bool] | None,
    *,
    offset: int,
    limit: int,
) -> sa.Select[Any]:
    """A plain search by relevance: rank the hits alone, then join the page's courses (search
    documents exist for published courses only), rather than join every hit to its course
    before ranking. Same order as the general query: relevance, then id, descending."""
    source, _, extra, relevance = _search(session, tokens)
    hit_id = CourseSearchDocument.course_id if is_postgres(session) else source.c.course_id
    ranked = (
        sa.select(hit_id.label("course_id"), relevance.label("relevance"))
        .select_from(source)
        .where(*extra)
        .order_by(relevance.desc(), hit_id.desc())
        .offset(offset)
        .limit(limit + 1)
        .subquery("ranked")
    )
    return (
        sa.select(*_card_columns(session, languages))
        .select_from(ranked)
        .join(Course, Course.id == ranked.c.course_id)
        .outerjoin(Category, Category.id == Course.category_id)
        .order_by(ranked.c.relevance.desc(), ranked.c.course_id.desc())
    )


async def public_page(
    session: AsyncSession,
    query: CourseQuery,
    *,
    offset: int,
    limit: int,
    languages: sa.ColumnElement[bool] | None = None,
) -> PublicPage:
    """One page of course cards (one query) and its total (at most one more query).

    The page query fetches one row more than asked, which answers ``has_next`` exactly. The
    total needs no query when the page is the last one (it is ``offset`` plus the rows), and
    otherwise is counted up to ``count_window``: the count then costs about as much as a few
    pages, not as much as the whole result set."""
    await plan_for_these_values(session)
    where = _conditions(query)
    filtered = len(where) > 1  # more than ``status = 'published'``
    page_stmt = (
        sa.select(*_card_columns(session, languages))
        .select_from(Course)
        .outerjoin(Category, Category.id == Course.category_id)
    )
    count_source: Any = sa.select(sa.literal(1)).select_from(Course)
    relevance: sa.ColumnElement[float] | None = None
    if query.search_tokens:
        source, on, extra, relevance = _search(session, query.search_tokens)
        page_stmt = page_stmt.join(source, on)
        if filtered:
            count_source = count_source.join(source, on).where(*where, *extra)
        else:
            # Search documents exist for published courses only (``service.search.reindex``):
            # counting hits needs no join to ``catalog_courses``.
            count_source = sa.select(sa.literal(1)).select_from(source).where(*extra)
        where += extra
    else:
        count_source = count_source.where(*where)
    columns: dict[str, Any] = {
        "newest": Course.published_at,
        "popularity": Course.enrollment_count,
        "rating": Course.rating_hundredths,
        "title": Course.title_sort,
        "relevance": relevance if relevance is not None else sa.literal(0),
    }
    order: list[Any] = []
    for key, descending in query.sort:
        if key == "price":
            # Never across currencies (ADR 0025): free first (last descending), then paid
            # courses by currency code, then by amount within the currency. A free course's
            # stored currency means nothing, so it does not order free courses.
            order += [
                Course.is_free.asc() if descending else Course.is_free.desc(),
                sa.case((Course.is_free, ""), else_=Course.currency).asc(),
                Course.price_sort.desc() if descending else Course.price_sort.asc(),
            ]
        else:
            order.append(columns[key].desc() if descending else columns[key].asc())
    # The id tie-break follows the last key's direction, so one index serves both directions.
    order.append(Course.id.desc() if query.sort[-1][1] else Course.id.asc())
    if query.search_tokens and not filtered and query.sort == (("relevance", True),):
        stmt = _ranked_page(session, query.search_tokens, languages, offset=offset, limit=limit)
    else:
        stmt = page_stmt.where(*where).order_by(*order).offset(offset).limit(limit + 1)
    result = await session.execute(stmt)
    rows = list(result.all())
    has_next = len(rows) > limit
    rows = rows[:limit]
    seen = offset + len(rows)
    if not has_next and (rows or offset == 0):
        return PublicPage(rows, seen, False, False)
    window = count_window(offset, limit)
    counted = await session.scalar(
        sa.select(sa.func.count()).select_from(count_source.limit(window + 1).subquery())
    )
    total = int(counted or 0)
    return PublicPage(rows, min(total, window), total > window, has_next)


async def published_course_row(
    session: AsyncSession, *, course_id: uuid.UUID | None = None, slug: str | None = None
) -> sa.Row[Any] | None:
    """A published course's page in one row: the card columns, the texts only the page shows,
    the current version, pricing tiers and every translation (JSON lists)."""
    if course_id is not None:
        stmt = built_once(session, "course_page_by_id", _course_page_by_id)
        result: sa.Result[Any] = await session.execute(stmt, {"course_id": course_id})
    else:
        stmt = built_once(session, "course_page_by_slug", _course_page_by_slug)
        result = await session.execute(stmt, {"slug": slug})
    return result.first()


def _course_page_by_id(session: AsyncSession) -> sa.Select[Any]:
    return _course_page(session).where(Course.id == sa.bindparam("course_id", type_=sa.Uuid()))


def _course_page_by_slug(session: AsyncSession) -> sa.Select[Any]:
    return _course_page(session).where(Course.slug == sa.bindparam("slug", type_=sa.String()))


def _course_page(session: AsyncSession) -> sa.Select[Any]:
    tiers = _per_course(
        session,
        CoursePricingTier.course_id,
        CoursePricingTier.position,
        CoursePricingTier.tier,
        CoursePricingTier.price_minor,
        CoursePricingTier.original_price_minor,
        json_value(session, CoursePricingTier.features),
        CoursePricingTier.is_active,
    ).scalar_subquery()
    translations = _per_course(
        session,
        CourseTranslation.course_id,
        CourseTranslation.language,
        CourseTranslation.title,
        CourseTranslation.subtitle,
        CourseTranslation.description,
    ).scalar_subquery()
    return (
        sa.select(
            *_card_columns(session, None),
            Course.description,
            Course.trailer_url,
            Course.requirements,
            Course.objectives,
            Course.current_version_id,
            CourseVersion.number.label("version_number"),
            CourseVersion.published_at.label("version_published_at"),
            tiers.label("pricing_tiers"),
            translations.label("translations"),
        )
        .select_from(Course)
        .outerjoin(Category, Category.id == Course.category_id)
        .outerjoin(CourseVersion, CourseVersion.id == Course.current_version_id)
        .where(Course.status == PUBLISHED)
    )


async def outline_rows(session: AsyncSession, version_id: uuid.UUID) -> list[sa.Row[Any]]:
    """A version's modules, each joined to its published lessons (one row per lesson, or one
    row with empty lesson columns for a module without any), in order. Lesson content only
    for preview lessons."""
    stmt = built_once(session, "course_outline", _outline)
    result: sa.Result[Any] = await session.execute(stmt, {"version_id": version_id})
    return list(result.all())


def _outline(_session: AsyncSession) -> sa.Executable:
    lesson_on = sa.and_(Lesson.module_id == Module.id, Lesson.status == "published")
    return (
        sa.select(
            Module.id.label("module_id"),
            Module.lineage_id.label("module_lineage_id"),
            Module.position.label("module_position"),
            Module.title.label("module_title"),
            Module.description.label("module_description"),
            Module.estimated_minutes.label("module_estimated_minutes"),
            Module.is_locked,
            Module.is_sequential,
            Lesson.id,
            Lesson.lineage_id,
            Lesson.position,
            Lesson.title,
            Lesson.type,
            Lesson.video_duration_seconds,
            Lesson.estimated_minutes,
            Lesson.is_required,
            Lesson.is_preview,
            sa.case((Lesson.is_preview, Lesson.body), else_=sa.null()).label("preview_body"),
            sa.case((Lesson.is_preview, Lesson.video_url), else_=sa.null()).label("preview_video"),
            sa.case((Lesson.is_preview, Lesson.content_urls), else_=sa.null()).label(
                "preview_urls"
            ),
        )
        .select_from(Module)
        .outerjoin(Lesson, lesson_on)
        .where(Module.version_id == sa.bindparam("version_id", type_=sa.Uuid()))
        .order_by(Module.position, Lesson.position)
    )


async def track_courses(session: AsyncSession) -> list[Course]:
    result = await session.execute(
        sa.select(Course)
        .where(Course.status == PUBLISHED, Course.track_slug.is_not(None))
        .order_by(Course.track_name, Course.track_slug)
        .limit(500)
    )
    return list(result.scalars())


async def track_course_id(session: AsyncSession, slug: str) -> uuid.UUID | None:
    found = await session.scalar(
        sa.select(Course.id).where(Course.track_slug == slug, Course.status == PUBLISHED)
    )
    return found


async def outline_translations(
    session: AsyncSession,
    version_id: uuid.UUID,
    module_languages: sa.ColumnElement[bool],
    lesson_languages: sa.ColumnElement[bool],
) -> list[sa.Row[Any]]:
    """Translations of a version's modules and lessons in the given languages, in one query:
    rows (kind "module" or "lesson", owner id, language, title, text), where text is a
    module's description or a preview lesson's body."""
    modules = (
        sa.select(
            sa.literal("module").label("kind"),
            ModuleTranslation.module_id.label("owner_id"),
            ModuleTranslation.language,
            ModuleTranslation.title,
            ModuleTranslation.description.label("text"),
        )
        .join(Module, Module.id == ModuleTranslation.module_id)
        .where(Module.version_id == version_id, module_languages)
    )
    lessons = (
        sa.select(
            sa.literal("lesson").label("kind"),
            LessonTranslation.lesson_id.label("owner_id"),
            LessonTranslation.language,
            LessonTranslation.title,
            sa.case((Lesson.is_preview, LessonTranslation.body), else_=sa.null()).label("text"),
        )
        .join(Lesson, Lesson.id == LessonTranslation.lesson_id)
        .where(Lesson.version_id == version_id, lesson_languages)
    )
    result = await session.execute(sa.union_all(modules, lessons))
    return list(result.all())
