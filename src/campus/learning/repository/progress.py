"""Lesson and module progress, keyed by lineage ids (stable across course versions)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.db import UTCDateTime, dialect_insert, rowcount
from campus.learning.data import ACCESS_STATUSES, ProgressStatus
from campus.learning.models import Enrollment, LessonProgress, ModuleProgress

_L = LessonProgress


def _greatest(a: Any, b: Any) -> Any:
    return sa.case((a > b, a), else_=b)


# --------------------------------------------------------------------------- lessons


async def lesson_rows(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> list[LessonProgress]:
    result = await session.execute(
        sa.select(_L)
        .where(_L.user_id == user_id, _L.course_id == course_id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def lesson_rows_of_courses(
    session: AsyncSession, user_id: uuid.UUID, course_ids: Collection[uuid.UUID]
) -> list[Any]:
    """(course, lineage, completed?) of one learner in several courses (dashboards)."""
    if not course_ids:
        return []
    result = await session.execute(
        sa.select(_L.course_id, _L.lesson_lineage_id, _L.started_at, _L.completed_at).where(
            _L.user_id == user_id, _L.course_id.in_(list(course_ids))
        )
    )
    return list(result.all())


async def get_lesson_row(
    session: AsyncSession, user_id: uuid.UUID, lineage_id: uuid.UUID
) -> LessonProgress | None:
    result = await session.execute(
        sa.select(_L)
        .where(_L.user_id == user_id, _L.lesson_lineage_id == lineage_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def open_lesson(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    lineage_id: uuid.UUID,
    lesson_id: uuid.UUID,
    now: datetime,
    epoch: int,
    count_view: bool,
) -> tuple[LessonProgress, bool]:
    """Start the lesson if needed and record a view (``count_view``); returns the row and
    whether this call started it. The heartbeat budget restarts from now."""
    inserted = await session.scalar(
        dialect_insert(session, _L)
        .values(
            user_id=user_id,
            course_id=course_id,
            lesson_lineage_id=lineage_id,
            lesson_id=lesson_id,
            status=ProgressStatus.IN_PROGRESS,
            view_count=1 if count_view else 0,
            heartbeat_epoch=epoch,
            started_at=now,
            last_viewed_at=now,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "lesson_lineage_id"])
        .returning(_L.id)
    )
    if inserted is None:
        changes: dict[str, Any] = {
            "lesson_id": lesson_id,
            "course_id": course_id,
            "heartbeat_epoch": _greatest(_L.heartbeat_epoch, epoch),
            "updated_at": now,
        }
        if count_view:
            changes |= {"view_count": _L.view_count + 1, "last_viewed_at": now}
        await session.execute(
            sa.update(_L)
            .where(_L.user_id == user_id, _L.lesson_lineage_id == lineage_id)
            .values(**changes)
            .execution_options(synchronize_session=False)
        )
    row = await get_lesson_row(session, user_id, lineage_id)
    assert row is not None
    return row, inserted is not None


def _heartbeat_statement() -> Any:
    """Built once with bind parameters and no expanding (``IN``) parameter: the hot path pays
    neither expression construction, nor cache-key generation (memoised on the statement), nor
    re-rendering of the compiled SQL per request."""
    t = cast(sa.Table, LessonProgress.__table__)
    e = cast(sa.Table, Enrollment.__table__)
    p = sa.bindparam
    now = p("b_now", type_=UTCDateTime())
    mine = sa.and_(e.c.user_id == p("b_user_id"), e.c.course_id == p("b_course_id"))
    # The statuses as SQL literals (constants of ours): an ``IN`` over bound values would be an
    # "expanding" parameter, re-rendered into the SQL string on every execution.
    statuses: list[sa.ColumnElement[str]] = [
        sa.literal_column(f"'{s.value}'") for s in sorted(ACCESS_STATUSES)
    ]
    access = sa.exists().where(
        mine,
        e.c.status.in_(statuses),
        sa.or_(e.c.expires_at.is_(None), e.c.expires_at > now),
    )
    last_activity = sa.select(e.c.last_activity_at).where(mine).scalar_subquery()
    available = p("b_budget_end", type_=sa.BigInteger()) - t.c.heartbeat_epoch
    watched = p("b_watched", type_=sa.Integer())
    duration = p("b_duration", type_=sa.Integer())
    credit = sa.case((available <= 0, 0), (available > watched, watched), else_=available)
    total = t.c.watched_seconds + credit
    return (
        sa.update(t)
        .where(
            t.c.user_id == p("b_user_id"),
            t.c.lesson_lineage_id == p("b_lineage_id"),
            t.c.course_id == p("b_course_id"),
            access,
        )
        .values(
            watched_seconds=sa.case(
                (t.c.watched_seconds >= duration, t.c.watched_seconds),
                (total > duration, duration),
                else_=total,
            ),
            position_seconds=p("b_position", type_=sa.Integer()),
            heartbeat_epoch=_greatest(
                t.c.heartbeat_epoch + credit, p("b_epoch", type_=sa.BigInteger())
            ),
            updated_at=now,
        )
        .returning(
            t.c.watched_seconds,
            t.c.position_seconds,
            t.c.completed_at,
            last_activity.label("last_activity_at"),
        )
    )


_HEARTBEAT = _heartbeat_statement()


async def heartbeat(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    lineage_id: uuid.UUID,
    watched: int,
    position: int,
    duration: int,
    epoch: int,
    tolerance: int,
    now: datetime,
) -> Any:
    """Credit watched time in ONE conditional UPDATE, which also checks that the learner still
    has access to the course (so the hot path needs no other query).

    ``heartbeat_epoch`` is the wall-clock instant up to which watching has been credited: a
    heartbeat may add at most the time since then (plus ``tolerance``, which therefore cannot be
    claimed twice by firing heartbeats quickly); the total is monotonic and capped at the
    duration. Returns the new figures and the enrollment's last activity, or ``None`` when the
    learner never opened the lesson or has no access (the caller then finds out which)."""
    result = await session.execute(
        _HEARTBEAT,
        {
            "b_user_id": user_id,
            "b_course_id": course_id,
            "b_lineage_id": lineage_id,
            "b_watched": watched,
            "b_position": position,
            "b_duration": duration,
            "b_budget_end": epoch + tolerance,
            "b_epoch": epoch,
            "b_now": now,
        },
    )
    return result.one_or_none()


async def complete_lesson(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    lineage_id: uuid.UUID,
    lesson_id: uuid.UUID,
    now: datetime,
    epoch: int,
    completed_by: str,
) -> bool:
    """Mark the lesson completed unless it already is: ``True`` only for the one caller that
    completed it (an insert, or the conditional update of an unfinished row)."""
    stmt = dialect_insert(session, _L).values(
        user_id=user_id,
        course_id=course_id,
        lesson_lineage_id=lineage_id,
        lesson_id=lesson_id,
        status=ProgressStatus.COMPLETED,
        view_count=0,
        heartbeat_epoch=epoch,
        started_at=now,
        last_viewed_at=now,
        completed_at=now,
        completed_by=completed_by,
        created_at=now,
        updated_at=now,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "lesson_lineage_id"],
        set_={
            "status": ProgressStatus.COMPLETED.value,
            "completed_at": now,
            "completed_by": completed_by,
            "updated_at": now,
        },
        where=_L.completed_at.is_(None),
    ).returning(_L.id)
    return (await session.scalar(stmt)) is not None


# --------------------------------------------------------------------------- modules


async def module_rows(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> list[ModuleProgress]:
    result = await session.execute(
        sa.select(ModuleProgress)
        .where(ModuleProgress.user_id == user_id, ModuleProgress.course_id == course_id)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def upsert_module(session: AsyncSession, values: dict[str, Any]) -> None:
    stmt = dialect_insert(session, ModuleProgress).values(**values)
    changes = {
        key: getattr(stmt.excluded, key)
        for key in (
            "course_id",
            "status",
            "progress_percent",
            "completed_items",
            "total_items",
            "last_accessed_at",
            "updated_at",
        )
    }
    changes["started_at"] = sa.func.coalesce(ModuleProgress.started_at, stmt.excluded.started_at)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["user_id", "module_lineage_id"], set_=changes)
    )


async def mark_module_completed(
    session: AsyncSession, user_id: uuid.UUID, module_lineage_id: uuid.UUID, now: datetime
) -> bool:
    """Set ``completed_at`` once per (learner, module lineage)."""
    result = await session.execute(
        sa.update(ModuleProgress)
        .where(
            ModuleProgress.user_id == user_id,
            ModuleProgress.module_lineage_id == module_lineage_id,
            ModuleProgress.completed_at.is_(None),
        )
        .values(completed_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1
