"""Reports, the moderation log, and the queue."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.community.models import ModerationLogEntry, Report
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id


async def add_report(session: AsyncSession, **values: Any) -> uuid.UUID | None:
    """The new open report's id; None when the reporter already has one open on the target."""
    report_id = new_id()
    result = await session.execute(
        dialect_insert(session, Report)
        .values(id=report_id, status="open", **values)
        .on_conflict_do_nothing(
            index_elements=["target_id", "reporter_id"], index_where=sa.text("status = 'open'")
        )
    )
    return report_id if rowcount(result) == 1 else None


async def get_report(session: AsyncSession, report_id: uuid.UUID) -> Report | None:
    return await session.scalar(
        sa.select(Report).where(Report.id == report_id).execution_options(populate_existing=True)
    )


async def resolve_open_reports(
    session: AsyncSession, target_id: uuid.UUID, by: uuid.UUID, now: datetime
) -> int:
    result = await session.execute(
        sa.update(Report)
        .where(Report.target_id == target_id, Report.status == "open")
        .values(status="resolved", resolved_by=by, resolved_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


async def queue(
    session: AsyncSession,
    course_ids: Collection[uuid.UUID] | None,
    limit: int,
    offset: int,
) -> tuple[list[Report], int]:
    """Open reports, oldest first (``course_ids`` None: every forum)."""
    where: list[Any] = [Report.status == "open"]
    if course_ids is not None:
        where.append(Report.course_id.in_(list(course_ids)))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Report).where(*where))
    rows = await session.scalars(
        sa.select(Report)
        .where(*where)
        .order_by(Report.created_at, Report.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def log(session: AsyncSession, **values: Any) -> ModerationLogEntry:
    entry = ModerationLogEntry(**values)
    session.add(entry)
    return entry


async def log_page(
    session: AsyncSession, course_ids: Collection[uuid.UUID] | None, limit: int, offset: int
) -> tuple[list[ModerationLogEntry], int]:
    where: list[Any] = []
    if course_ids is not None:
        where.append(ModerationLogEntry.course_id.in_(list(course_ids)))
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(ModerationLogEntry).where(*where)
    )
    rows = await session.scalars(
        sa.select(ModerationLogEntry)
        .where(*where)
        .order_by(ModerationLogEntry.created_at.desc(), ModerationLogEntry.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)
