"""Administrators' bulk enrollment batches and their per-row results."""

from __future__ import annotations

import uuid
from datetime import datetime

from campus.kernel.pagination import Page
from campus.kernel.schemas import ApiModel
from campus.learning.data import BulkRowResult, JobStatus


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
