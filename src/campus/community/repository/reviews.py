"""Reviews and ratings, helpful votes, and the approved ratings' figures."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.community.models import HelpfulVote, Review
from campus.kernel.db import dialect_insert, rowcount


async def insert(session: AsyncSession, values: dict[str, Any]) -> bool:
    """One review per learner and course: the insert that loses a race (or finds one)
    inserts nothing."""
    result = await session.execute(
        dialect_insert(session, Review)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["course_id", "user_id"])
    )
    return rowcount(result) == 1


async def get(session: AsyncSession, review_id: uuid.UUID) -> Review | None:
    return await session.scalar(
        sa.select(Review).where(Review.id == review_id).execution_options(populate_existing=True)
    )


async def get_for(session: AsyncSession, course_id: uuid.UUID, user_id: uuid.UUID) -> Review | None:
    return await session.scalar(
        sa.select(Review)
        .where(Review.course_id == course_id, Review.user_id == user_id)
        .execution_options(populate_existing=True)
    )


async def update(
    session: AsyncSession, review_id: uuid.UUID, where: Collection[Any] = (), **values: Any
) -> bool:
    result = await session.execute(
        sa.update(Review)
        .where(Review.id == review_id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def delete(session: AsyncSession, review_id: uuid.UUID) -> bool:
    result = await session.execute(sa.delete(Review).where(Review.id == review_id))
    return rowcount(result) == 1


_ORDER = {
    "newest": (Review.created_at.desc(),),
    "helpful": (Review.helpful_count.desc(), Review.created_at.desc()),
    "rating": (Review.rating.desc(), Review.created_at.desc()),
    "lowest": (Review.rating.asc(), Review.created_at.desc()),
}


async def page(
    session: AsyncSession,
    course_id: uuid.UUID | None,
    statuses: Collection[str],
    sort: str,
    limit: int,
    offset: int,
    *,
    with_text_only: bool,
) -> tuple[list[Review], int]:
    where: list[Any] = [Review.status.in_(list(statuses))]
    if course_id is not None:
        where.append(Review.course_id == course_id)
    if with_text_only:
        where.append(Review.text.is_not(None))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Review).where(*where))
    rows = await session.scalars(
        sa.select(Review)
        .where(*where)
        .order_by(*_ORDER[sort], Review.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def approved_figures(
    session: AsyncSession, course_id: uuid.UUID
) -> tuple[Decimal, int, dict[int, int]]:
    """The average (2 places), count and distribution (1..5) of the course's approved
    ratings: one query."""
    rows = await session.execute(
        sa.select(Review.rating, sa.func.count())
        .where(Review.course_id == course_id, Review.status == "approved")
        .group_by(Review.rating)
    )
    distribution = dict.fromkeys(range(1, 6), 0)
    for rating, count in rows:
        distribution[int(rating)] = int(count)
    total = sum(distribution.values())
    points = sum(r * c for r, c in distribution.items())
    average = (Decimal(points) / total).quantize(Decimal("0.01")) if total else Decimal(0)
    return average, total, distribution


async def add_helpful(
    session: AsyncSession, review_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    result = await session.execute(
        dialect_insert(session, HelpfulVote)
        .values(review_id=review_id, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["review_id", "user_id"])
    )
    if rowcount(result) != 1:
        return False
    await update(session, review_id, helpful_count=Review.helpful_count + 1)
    return True


async def remove_helpful(session: AsyncSession, review_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    result = await session.execute(
        sa.delete(HelpfulVote).where(
            HelpfulVote.review_id == review_id, HelpfulVote.user_id == user_id
        )
    )
    if rowcount(result) != 1:
        return False
    await update(session, review_id, helpful_count=Review.helpful_count - 1)
    return True


async def helpful_among(
    session: AsyncSession, user_id: uuid.UUID, review_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    if not review_ids:
        return set()
    return set(
        await session.scalars(
            sa.select(HelpfulVote.review_id).where(
                HelpfulVote.user_id == user_id, HelpfulVote.review_id.in_(list(review_ids))
            )
        )
    )
