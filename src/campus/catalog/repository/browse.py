"""The public catalog query: published courses, whitelisted filters and sorts, full-text search.

Every filter and sort has an index led by ``status`` (see ``models.Course``); search runs on an
SQLite FTS5 table ranked by bm25, or on PostgreSQL on a GIN-indexed stored tsvector ranked by
ts_rank.
A page costs a fixed number of queries: one count, one page, and one per loaded relation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from campus.catalog.models import (
    SEARCH_FTS_TABLE,
    SEARCH_PG_VECTOR,
    Course,
    CourseInstructor,
    CourseSearchDocument,
    CourseTag,
    Tag,
)
from campus.catalog.repository.base import is_postgres
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
    min_price: int | None = None
    max_price: int | None = None
    is_free: bool | None = None
    min_rating: int | None = None
    instructor_id: uuid.UUID | None = None
    track_slug: str | None = None
    search_tokens: tuple[str, ...] = ()
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
                    Course.language == query.language, Course.language.like(f"{query.language}-%")
                )
            )
    if query.level is not None:
        where.append(Course.level == query.level)
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


async def public_page(
    session: AsyncSession, query: CourseQuery, *, offset: int, limit: int
) -> tuple[list[Course], int]:
    where = _conditions(query)
    count_stmt = sa.select(sa.func.count()).select_from(Course)
    page_stmt = sa.select(Course)
    relevance: sa.ColumnElement[float] | None = None
    if query.search_tokens:
        source, on, extra, relevance = _search(session, query.search_tokens)
        count_stmt = count_stmt.join(source, on)
        page_stmt = page_stmt.join(source, on)
        where += extra
    columns: dict[str, Any] = {
        "newest": Course.published_at,
        "popularity": Course.enrollment_count,
        "rating": Course.rating_hundredths,
        "price": Course.price_sort,
        "title": Course.title_sort,
        "relevance": relevance if relevance is not None else sa.literal(0),
    }
    order: list[Any] = [
        columns[key].desc() if descending else columns[key].asc() for key, descending in query.sort
    ]
    # The id tie-break follows the last key's direction, so one index serves both directions.
    order.append(Course.id.desc() if query.sort[-1][1] else Course.id.asc())
    total = await session.scalar(count_stmt.where(*where))
    result = await session.execute(
        page_stmt.where(*where)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
        .options(
            selectinload(Course.category),
            selectinload(Course.tags),
            selectinload(Course.instructors),
        )
    )
    return list(result.scalars()), int(total or 0)


async def published_course(
    session: AsyncSession, *, course_id: uuid.UUID | None = None, slug: str | None = None
) -> Course | None:
    """One published course with everything its page shows (fixed number of queries)."""
    stmt = sa.select(Course).where(Course.status == PUBLISHED)
    stmt = (
        stmt.where(Course.id == course_id)
        if course_id is not None
        else stmt.where(Course.slug == slug)
    )
    result = await session.execute(
        stmt.options(
            selectinload(Course.category),
            selectinload(Course.tags),
            selectinload(Course.instructors),
            selectinload(Course.pricing_tiers),
        )
    )
    return result.scalar_one_or_none()


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
