"""Categories (a tree) and tags."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from campus.catalog.models import Category, CategoryTranslation, Course, CourseTag, Tag
from campus.catalog.repository.base import guarded, is_postgres
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount

#: Any constant works; it names the advisory lock that serialises category moves on PostgreSQL.
_TREE_LOCK_KEY = 0x0CA7A106


# --------------------------------------------------------------------------- categories


async def all_categories(session: AsyncSession) -> list[Category]:
    result = await session.execute(
        sa.select(Category).order_by(Category.sort_order, Category.name, Category.id)
    )
    return list(result.scalars())


async def get_category(session: AsyncSession, category_id: uuid.UUID) -> Category | None:
    result = await session.execute(
        sa.select(Category)
        .where(Category.id == category_id)
        .options(selectinload(Category.translations))
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def get_category_by_slug(session: AsyncSession, slug: str) -> Category | None:
    result = await session.execute(sa.select(Category).where(Category.slug == slug))
    return result.scalar_one_or_none()


async def category_exists(session: AsyncSession, category_id: uuid.UUID) -> bool:
    found = await session.scalar(sa.select(Category.id).where(Category.id == category_id))
    return found is not None


async def category_translations(
    session: AsyncSession, language_clause: sa.ColumnElement[bool] | None = None
) -> list[CategoryTranslation]:
    stmt = sa.select(CategoryTranslation)
    if language_clause is not None:
        stmt = stmt.where(language_clause)
    result = await session.execute(stmt)
    return list(result.scalars())


def subtree_ids(category_id: uuid.UUID) -> sa.Select[tuple[uuid.UUID]]:
    """A recursive query of ``category_id`` and all its descendants."""
    tree = (
        sa.select(Category.id.label("id"))
        .where(Category.id == category_id)
        .cte("category_subtree", recursive=True)
    )
    child = sa.orm.aliased(Category)
    tree = tree.union_all(sa.select(child.id).where(child.parent_id == tree.c.id))
    return sa.select(tree.c.id)


async def ancestor_ids(session: AsyncSession, category_id: uuid.UUID) -> list[uuid.UUID]:
    """``category_id`` and its ancestors, nearest first (bounded, so corrupt data cannot loop)."""
    chain = (
        sa.select(
            Category.id.label("id"),
            Category.parent_id.label("parent_id"),
            sa.literal(0).label("depth"),
        )
        .where(Category.id == category_id)
        .cte("category_chain", recursive=True)
    )
    parent = sa.orm.aliased(Category)
    chain = chain.union_all(
        sa.select(parent.id, parent.parent_id, chain.c.depth + 1).where(
            parent.id == chain.c.parent_id, chain.c.depth < 10_000
        )
    )
    result = await session.execute(sa.select(chain.c.id).order_by(chain.c.depth))
    return list(result.scalars())


async def lock_category_tree(session: AsyncSession) -> None:
    """Serialise tree moves so two concurrent moves cannot close a cycle together (SQLite
    transactions are exclusive already)."""
    if is_postgres(session):
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(_TREE_LOCK_KEY)))


async def try_insert_category(
    session: AsyncSession, values: dict[str, Any]
) -> IntegrityError | None:
    return await guarded(session, sa.insert(Category).values(**values))


async def try_update_category(
    session: AsyncSession, category_id: uuid.UUID, values: dict[str, Any]
) -> IntegrityError | None:
    return await guarded(
        session,
        sa.update(Category)
        .where(Category.id == category_id)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False),
    )


async def try_delete_category(
    session: AsyncSession, category_id: uuid.UUID
) -> IntegrityError | None:
    return await guarded(session, sa.delete(Category).where(Category.id == category_id))


async def category_in_use(session: AsyncSession, category_id: uuid.UUID) -> bool:
    child = await session.scalar(
        sa.select(Category.id).where(Category.parent_id == category_id).limit(1)
    )
    course = await session.scalar(
        sa.select(Course.id).where(Course.category_id == category_id).limit(1)
    )
    return child is not None or course is not None


async def published_counts_by_category(session: AsyncSession) -> dict[uuid.UUID, int]:
    result = await session.execute(
        sa.select(Course.category_id, sa.func.count())
        .where(Course.status == "published", Course.category_id.is_not(None))
        .group_by(Course.category_id)
    )
    return {row[0]: int(row[1]) for row in result if row[0] is not None}


async def upsert_category_translation(
    session: AsyncSession, category_id: uuid.UUID, language: str, values: dict[str, Any]
) -> None:
    stmt = dialect_insert(session, CategoryTranslation).values(
        category_id=category_id, language=language, **values
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["category_id", "language"], set_=values)
    )


async def delete_category_translation(
    session: AsyncSession, category_id: uuid.UUID, language: str
) -> bool:
    result = await session.execute(
        sa.delete(CategoryTranslation).where(
            CategoryTranslation.category_id == category_id,
            CategoryTranslation.language == language,
        )
    )
    return rowcount(result) == 1


# --------------------------------------------------------------------------- tags


async def get_tag(session: AsyncSession, tag_id: uuid.UUID) -> Tag | None:
    result = await session.execute(
        sa.select(Tag).where(Tag.id == tag_id).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def tags_by_keys(session: AsyncSession, keys: Collection[str]) -> dict[str, Tag]:
    if not keys:
        return {}
    result = await session.execute(sa.select(Tag).where(Tag.key.in_(list(keys))))
    return {tag.key: tag for tag in result.scalars()}


async def insert_tags_ignoring_conflicts(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> None:
    """Insert tags; a row that collides with an existing key or slug is skipped (an upsert,
    not check-then-act: concurrent writers of the same tag both end up with the one row)."""
    if rows:
        await session.execute(
            dialect_insert(session, Tag).values(list(rows)).on_conflict_do_nothing()
        )


async def try_insert_tag(session: AsyncSession, values: dict[str, Any]) -> IntegrityError | None:
    return await guarded(session, sa.insert(Tag).values(**values))


async def try_update_tag(
    session: AsyncSession, tag_id: uuid.UUID, values: dict[str, Any]
) -> IntegrityError | None:
    return await guarded(
        session,
        sa.update(Tag)
        .where(Tag.id == tag_id)
        .values(**values)
        .execution_options(synchronize_session=False),
    )


async def delete_tag(session: AsyncSession, tag_id: uuid.UUID) -> bool:
    await session.execute(sa.delete(CourseTag).where(CourseTag.tag_id == tag_id))
    result = await session.execute(sa.delete(Tag).where(Tag.id == tag_id))
    return rowcount(result) == 1


async def tag_slugs_like(session: AsyncSession, base: str) -> set[str]:
    result = await session.execute(
        sa.select(Tag.slug)
        .where(sa.or_(Tag.slug == base, Tag.slug.startswith(f"{base}-", autoescape=True)))
        .limit(5000)
    )
    return set(result.scalars())


async def tags_page(
    session: AsyncSession, *, prefix: str | None, offset: int, limit: int
) -> tuple[list[tuple[Tag, int]], int]:
    """Tags by label, with how many published courses carry each (counted for the page only)."""
    conditions: list[sa.ColumnElement[bool]] = []
    if prefix:
        conditions.append(Tag.key.startswith(prefix, autoescape=True))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Tag).where(*conditions))
    result = await session.execute(
        sa.select(Tag).where(*conditions).order_by(Tag.key, Tag.id).offset(offset).limit(limit)
    )
    tags = list(result.scalars())
    counts: dict[uuid.UUID, int] = {}
    if tags:
        counted = await session.execute(
            sa.select(CourseTag.tag_id, sa.func.count())
            .join(Course, Course.id == CourseTag.course_id)
            .where(CourseTag.tag_id.in_([t.id for t in tags]), Course.status == "published")
            .group_by(CourseTag.tag_id)
        )
        counts = {row[0]: int(row[1]) for row in counted}
    return [(tag, counts.get(tag.id, 0)) for tag in tags], int(total or 0)
