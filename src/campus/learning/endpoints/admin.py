"""Administrators' bulk enrollment from a CSV upload."""

from __future__ import annotations

import uuid

from fastapi import Depends, File, UploadFile

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import PageParams, page_params
from campus.learning.endpoints.dependencies import LearningRules
from campus.learning.endpoints.errors import errors
from campus.learning.schemas.admin import BulkBatchOut
from campus.learning.service import bulk

router = api_router(prefix="/admin/enrollments", tags=["enrollment administration"])


@router.post(
    "/bulk",
    status_code=202,
    summary="Enroll learners from a CSV file (email, course, mode, optional expiry)",
    description=(
        "`course` is a course id or slug, `mode` is `free` (free courses) or `grant` "
        "(complimentary access), `expiry` an optional ISO date or date-time. The file is "
        "checked whole (UTF-8 CSV, header, size and row limits: 413/415/422 otherwise); rows "
        "are stored and one job enrolls the valid ones. Poll the batch for per-row results."
    ),
    response_model=BulkBatchOut,
    responses=errors(401, 403, 413, 415, 422),
)
async def bulk_enroll(
    session: DbSession,
    principal: CurrentPrincipal,
    rules: LearningRules,
    file: UploadFile = File(..., description="The CSV file"),
) -> BulkBatchOut:
    raw = await file.read(rules.bulk_max_bytes + 1)
    batch = await bulk.upload(session, principal, file.filename or "upload.csv", raw, rules)
    return BulkBatchOut.of(batch)


@router.get(
    "/bulk/{batch_id}",
    summary="A bulk enrollment batch: status, counts and per-row results",
    response_model=BulkBatchOut,
    responses=errors(401, 403, 404, 422),
)
async def bulk_status(
    batch_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParams = Depends(page_params),
) -> BulkBatchOut:
    return BulkBatchOut.of(await bulk.batch_status(session, principal, batch_id, page))
