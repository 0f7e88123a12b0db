"""Administrators' bulk enrollment batches and their per-row results."""

from __future__ import annotations

import uuid
from datetime import datetime

from campus.kernel.pagination import Page
from campus.kernel.schemas import ApiModel
from campus.learning.data import BulkRowResult, JobStatus
from campus.learning.service.records import BulkBatchRecord, BulkRowRecord


class BulkRowOut(ApiModel):
    row_number: int
    email: str | None
    course: str | None
    mode: str | None
    expires_at: datetime | None
    #: ``null`` while the job has not handled the row yet.
    result: BulkRowResult | None
    reason: str | None
    enrollment_id: uuid.UUID | None

    @classmethod
    def of(cls, row: BulkRowRecord) -> BulkRowOut:
        return cls(
            row_number=row.row_number,
            email=row.email,
            course=row.course_ref,
            mode=row.mode,
            expires_at=row.expires_at,
            result=row.result,
            reason=row.reason,
            enrollment_id=row.enrollment_id,
        )


class BulkBatchOut(ApiModel):
    id: uuid.UUID
    status: JobStatus
    file_name: str
    total_rows: int
    counts: dict[str, int]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows: Page[BulkRowOut]

    @classmethod
    def of(cls, batch: BulkBatchRecord) -> BulkBatchOut:
        """The batch with the page of rows it was read with (of ``totalRows`` rows)."""
        return cls(
            id=batch.id,
            status=batch.status,
            file_name=batch.file_name,
            total_rows=batch.total_rows,
            counts=dict(batch.counts),
            created_at=batch.created_at,
            started_at=batch.started_at,
            finished_at=batch.finished_at,
            rows=Page[BulkRowOut].build(
                [BulkRowOut.of(r) for r in batch.rows], batch.total_rows, batch.page
            ),
        )
