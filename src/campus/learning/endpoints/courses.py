"""Per-course learning routes for instructors and administrators: rosters (page, learner
detail, streamed CSV, CSV export jobs) and complimentary access (entitlements)."""

from __future__ import annotations

import uuid

from fastapi import Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params, sort_pattern
from campus.learning.data import EnrollmentStatus
from campus.learning.endpoints.dependencies import LearningRules
from campus.learning.endpoints.errors import WRITE_ERRORS, errors
from campus.learning.schemas.courses import (
    EntitlementOut,
    GrantRequest,
    RosterEntryOut,
    RosterExportOut,
    RosterLearnerOut,
)
from campus.learning.service import entitlements, roster

router = api_router(tags=["rosters"])
access_router = api_router(tags=["entitlements"])
COURSE_READ_ERRORS = errors(401, 403, 404, 422)

_SORT_HELP = (
    "Comma-separated keys: enrolledAt, lastActivityAt, progress, completedAt, status; "
    "'-' for descending. Default: -lastActivityAt."
)


@router.get(
    "/courses/{course_id}/roster",
    summary="The course's learners with status, progress and last activity",
    response_model=Page[RosterEntryOut],
    responses=COURSE_READ_ERRORS,
)
async def course_roster(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParams = Depends(page_params),
    status: EnrollmentStatus | None = Query(None),
    progress_min: int | None = Query(None, alias="progressMin", ge=0, le=100),
    progress_max: int | None = Query(None, alias="progressMax", ge=0, le=100),
    search: str | None = Query(None, min_length=1, max_length=100, description="Name or email"),
    sort: str | None = Query(
        None,
        max_length=100,
        description=_SORT_HELP,
        json_schema_extra={"pattern": sort_pattern(roster.SORT_FIELDS)},
    ),
) -> Page[RosterEntryOut]:
    entries, total = await roster.roster(
        session,
        principal,
        course_id,
        statuses=[status.value] if status else [],
        progress_min=progress_min,
        progress_max=progress_max,
        search=search,
        sort=sort,
        page=page,
    )
    return Page[RosterEntryOut].build([RosterEntryOut.of(e) for e in entries], total, page)


@router.get(
    "/courses/{course_id}/roster.csv",
    summary="The whole roster as CSV, streamed",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The roster (one row per learner)"},
        **COURSE_READ_ERRORS,
    },
)
async def course_roster_csv(
    course_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    rules: LearningRules,
) -> StreamingResponse:
    await roster.authorize(session, principal, course_id)
    return StreamingResponse(
        roster.stream_csv(request.app.state.db, course_id, rules.export_chunk_rows),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="roster-{course_id}.csv"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/courses/{course_id}/roster/{user_id}",
    summary="One learner of the course with their progress outline",
    response_model=RosterLearnerOut,
    responses=COURSE_READ_ERRORS,
)
async def course_roster_learner(
    course_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> RosterLearnerOut:
    return RosterLearnerOut.of(await roster.learner(session, principal, course_id, user_id))


@router.post(
    "/courses/{course_id}/roster-exports",
    status_code=202,
    summary="Produce the roster CSV in the background (large courses)",
    response_model=RosterExportOut,
    responses=WRITE_ERRORS,
)
async def request_roster_export(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> RosterExportOut:
    return RosterExportOut.of(await roster.request_export(session, principal, course_id))


@router.get(
    "/courses/{course_id}/roster-exports/{export_id}",
    summary="A roster export's status and download link",
    response_model=RosterExportOut,
    responses=COURSE_READ_ERRORS,
)
async def roster_export_status(
    course_id: uuid.UUID, export_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> RosterExportOut:
    export = await roster.export_status(session, principal, course_id, export_id)
    return RosterExportOut.of(export)


@router.get(
    "/courses/{course_id}/roster-exports/{export_id}/download",
    summary="Download a finished roster export (as an attachment)",
    response_class=FileResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The CSV file"},
        **errors(401, 403, 404, 409, 422),
    },
)
async def download_roster_export(
    course_id: uuid.UUID,
    export_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> FileResponse:
    path, name = await roster.export_file(
        session, principal, course_id, export_id, request.app.state.settings.data_dir
    )
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=name,
        content_disposition_type="attachment",
        headers={"Cache-Control": "no-store"},
    )


# --------------------------------------------------------------------------- entitlements


@access_router.post(
    "/courses/{course_id}/entitlements",
    status_code=201,
    summary="Grant complimentary access to a learner (administrators, the course's instructors)",
    response_model=EntitlementOut,
    responses=WRITE_ERRORS,
)
async def grant_entitlement(
    course_id: uuid.UUID, body: GrantRequest, session: DbSession, principal: CurrentPrincipal
) -> EntitlementOut:
    granted = await entitlements.grant_over_http(
        session,
        principal,
        course_id,
        user_id=body.user_id,
        email=body.email,
        tier=body.tier,
        expires_at=body.expires_at,
    )
    return EntitlementOut.of(granted)


@access_router.get(
    "/courses/{course_id}/entitlements",
    summary="Entitlements to the course (newest first)",
    response_model=Page[EntitlementOut],
    responses=COURSE_READ_ERRORS,
)
async def list_entitlements(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParams = Depends(page_params),
) -> Page[EntitlementOut]:
    items, total = await entitlements.list_over_http(session, principal, course_id, page)
    return Page[EntitlementOut].build([EntitlementOut.of(e) for e in items], total, page)


@access_router.delete(
    "/courses/{course_id}/entitlements/{entitlement_id}",
    summary="Revoke an entitlement (instructors: complimentary access only)",
    response_model=EntitlementOut,
    responses=errors(401, 403, 404, 422),
)
async def revoke_entitlement(
    course_id: uuid.UUID,
    entitlement_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
) -> EntitlementOut:
    revoked = await entitlements.revoke_over_http(session, principal, course_id, entitlement_id)
    return EntitlementOut.of(revoked)


router.include_router(access_router)
