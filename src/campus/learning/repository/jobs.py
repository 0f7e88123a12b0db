"""Bulk enrollment batches (rows stored in the database) and roster exports."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.db import rowcount
from campus.learning.data import JobStatus
from campus.learning.models import BulkBatch, BulkRow, RosterExport

# --------------------------------------------------------------------------- bulk enrollment


async def insert_batch(
    session: AsyncSession, values: dict[str, Any], rows: Sequence[dict[str, Any]]
) -> None:
    await session.execute(sa.insert(BulkBatch).values(**values))
    for start in range(0, len(rows), 1000):  # executemany in slices (bound-parameter limits)
        await session.execute(sa.insert(BulkRow), list(rows[start : start + 1000]))


async def get_batch(session: AsyncSession, batch_id: uuid.UUID) -> BulkBatch | None:
    result = await session.execute(
        sa.select(BulkBatch)
        .where(BulkBatch.id == batch_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def claim_batch(session: AsyncSession, batch_id: uuid.UUID, now: datetime) -> bool:
    """pending → running, for one job run only."""
    result = await session.execute(
        sa.update(BulkBatch)
        .where(BulkBatch.id == batch_id, BulkBatch.status == JobStatus.PENDING)
        .values(status=JobStatus.RUNNING, started_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def finish_batch(
    session: AsyncSession, batch_id: uuid.UUID, counts: dict[str, int], now: datetime
) -> None:
    await session.execute(
        sa.update(BulkBatch)
        .where(BulkBatch.id == batch_id)
        .values(status=JobStatus.DONE, counts=counts, finished_at=now)
        .execution_options(synchronize_session=False)
    )


async def batch_rows(
    session: AsyncSession, batch_id: uuid.UUID, offset: int = 0, limit: int | None = None
) -> list[BulkRow]:
    stmt = (
        sa.select(BulkRow)
        .where(BulkRow.batch_id == batch_id)
        .order_by(BulkRow.row_number)
        .offset(offset)
        .execution_options(populate_existing=True)
    )
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.execute(stmt)).scalars())


async def set_row_results(
    session: AsyncSession, batch_id: uuid.UUID, results: Sequence[dict[str, Any]]
) -> None:
    """Store per-row outcomes (dicts with row_number, result, reason, user_id, course_id,
    enrollment_id) in executemany slices."""
    table = cast(sa.Table, BulkRow.__table__)
    stmt = (
        sa.update(table)
        .where(
            table.c.batch_id == sa.bindparam("b_batch"),
            table.c.row_number == sa.bindparam("b_row"),
        )
        .values(
            result=sa.bindparam("b_result"),
            reason=sa.bindparam("b_reason"),
            user_id=sa.bindparam("b_user"),
            course_id=sa.bindparam("b_course"),
            enrollment_id=sa.bindparam("b_enrollment"),
        )
    )
    params = [
        {
            "b_batch": batch_id,
            "b_row": r["row_number"],
            "b_result": r["result"],
            "b_reason": r.get("reason"),
            "b_user": r.get("user_id"),
            "b_course": r.get("course_id"),
            "b_enrollment": r.get("enrollment_id"),
        }
        for r in results
    ]
    connection = await session.connection()
    for start in range(0, len(params), 1000):
        await connection.execute(stmt, params[start : start + 1000])


async def result_counts(session: AsyncSession, batch_id: uuid.UUID) -> dict[str, int]:
    result = await session.execute(
        sa.select(BulkRow.result, sa.func.count())
        .where(BulkRow.batch_id == batch_id, BulkRow.result.is_not(None))
        .group_by(BulkRow.result)
    )
    return {str(name): int(count) for name, count in result.all()}


# --------------------------------------------------------------------------- roster exports


async def insert_export(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(RosterExport).values(**values))


async def get_export(session: AsyncSession, export_id: uuid.UUID) -> RosterExport | None:
    result = await session.execute(
        sa.select(RosterExport)
        .where(RosterExport.id == export_id)
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def claim_export(session: AsyncSession, export_id: uuid.UUID) -> RosterExport | None:
    result = await session.execute(
        sa.update(RosterExport)
        .where(
            RosterExport.id == export_id,
            RosterExport.status.in_([JobStatus.PENDING, JobStatus.RUNNING]),
        )
        .values(status=JobStatus.RUNNING)
        .returning(RosterExport)
        .execution_options(populate_existing=True, synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def finish_export(
    session: AsyncSession, export_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        sa.update(RosterExport)
        .where(RosterExport.id == export_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
