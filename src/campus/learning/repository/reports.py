"""Read models: the learner's dashboard, instructors' rosters, the activity feed."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.pagination import SortSpec, order_by
from campus.learning.models import Activity, Enrollment

#: Roster sort keys (wire name → column).
ROSTER_SORTS: dict[str, Any] = {
    "enrolledAt": Enrollment.enrolled_at,
    "lastActivityAt": Enrollment.last_activity_at,
    "progress": Enrollment.progress_percent,
    "completedAt": Enrollment.completed_at,
    "status": Enrollment.status,
}


@dataclass(frozen=True, slots=True)
class RosterFilter:
    statuses: Sequence[str] = ()
    progress_min: int | None = None
    progress_max: int | None = None
    #: Learners to keep (a search resolved to user ids); ``None``: everyone.
    user_ids: Collection[uuid.UUID] | None = None

    def conditions(self, course_id: uuid.UUID) -> list[sa.ColumnElement[bool]]:
        where = [Enrollment.course_id == course_id]
        if self.statuses:
            where.append(Enrollment.status.in_(list(self.statuses)))
        if self.progress_min is not None:
            where.append(Enrollment.progress_percent >= self.progress_min)
        if self.progress_max is not None:
            where.append(Enrollment.progress_percent <= self.progress_max)
        if self.user_ids is not None:
            where.append(Enrollment.user_id.in_(list(self.user_ids)))
        return where


async def my_enrollments(
    session: AsyncSession,
    user_id: uuid.UUID,
    statuses: Sequence[str],
    offset: int,
    limit: int,
) -> tuple[list[Enrollment], int]:
    """The learner's enrollments, most recent activity first."""
    where = [Enrollment.user_id == user_id, Enrollment.status.in_(list(statuses))]
    total = await session.scalar(sa.select(sa.func.count()).select_from(Enrollment).where(*where))
    result = await session.execute(
        sa.select(Enrollment)
        .where(*where)
        .order_by(Enrollment.last_activity_at.desc(), Enrollment.id.desc())
        .offset(offset)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars()), int(total or 0)


async def roster_page(
    session: AsyncSession,
    course_id: uuid.UUID,
    flt: RosterFilter,
    sort: Sequence[SortSpec],
    offset: int,
    limit: int,
) -> tuple[list[Enrollment], int]:
    where = flt.conditions(course_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Enrollment).where(*where))
    result = await session.execute(
        sa.select(Enrollment)
        .where(*where)
        .order_by(*order_by(sort, ROSTER_SORTS, Enrollment.id.desc()))
        .offset(offset)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars()), int(total or 0)


async def roster_all_user_ids(
    session: AsyncSession, course_id: uuid.UUID, flt: RosterFilter
) -> list[uuid.UUID]:
    """Every learner of the course under the filter (a broad search narrows among them)."""
    result = await session.execute(sa.select(Enrollment.user_id).where(*flt.conditions(course_id)))
    return list(result.scalars())


_EXPORT_COLUMNS = (
    Enrollment.id,
    Enrollment.user_id,
    Enrollment.status,
    Enrollment.expires_at,
    Enrollment.progress_percent,
    Enrollment.completed_items,
    Enrollment.total_items,
    Enrollment.enrolled_at,
    Enrollment.last_activity_at,
    Enrollment.completed_at,
    Enrollment.source,
    Enrollment.tier,
)


async def roster_chunk(
    session: AsyncSession, course_id: uuid.UUID, after: uuid.UUID | None, limit: int
) -> list[Any]:
    """The next ``limit`` enrollments of the course in id order (keyset: flat memory, and each
    chunk costs the same whatever its offset)."""
    where = [Enrollment.course_id == course_id]
    if after is not None:
        where.append(Enrollment.id > after)
    result = await session.execute(
        sa.select(*_EXPORT_COLUMNS).where(*where).order_by(Enrollment.id).limit(limit)
    )
    return list(result.all())


# --------------------------------------------------------------------------- activity


async def add_activity(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(Activity).values(**values))


async def activity_page(
    session: AsyncSession,
    user_id: uuid.UUID,
    before: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Activity]:
    """Newest first; ``before`` is the (occurred_at, id) of the last item already seen."""
    where: list[sa.ColumnElement[bool]] = [Activity.user_id == user_id]
    if before is not None:
        at, last_id = before
        where.append(
            sa.or_(
                Activity.occurred_at < at,
                sa.and_(Activity.occurred_at == at, Activity.id < last_id),
            )
        )
    result = await session.execute(
        sa.select(Activity)
        .where(*where)
        .order_by(Activity.occurred_at.desc(), Activity.id.desc())
        .limit(limit)
    )
    return list(result.scalars())
