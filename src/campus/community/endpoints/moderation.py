"""Reports, the moderation queue and log, actions and sanctions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from campus.community.endpoints.errors import errors
from campus.community.schemas.moderation import (
    LogEntryOut,
    ModerationActionIn,
    ReportCreatedOut,
    ReportIn,
    ReportOut,
    SanctionIn,
    SanctionOut,
)
from campus.community.service import moderation
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/moderation", tags=["moderation"])

CourseFilter = Annotated[
    uuid.UUID | None,
    Query(alias="courseId", description="The course forum (required unless a moderator)"),
]


@router.post(
    "/reports",
    summary="Report a topic, post or review",
    status_code=201,
    response_model=ReportCreatedOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def report(
    body: ReportIn, session: DbSession, principal: CurrentPrincipal
) -> ReportCreatedOut:
    return ReportCreatedOut(
        id=await moderation.report(
            session, principal, body.target_type, body.target_id, body.reason
        )
    )


@router.get(
    "/queue",
    summary="Open reports and flagged content, oldest first",
    response_model=Page[ReportOut],
    responses=errors(401, 403, 404, 422),
)
async def queue(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    course_id: CourseFilter = None,
) -> Page[ReportOut]:
    found, total = await moderation.queue(
        session, principal, course_id, params.limit, params.offset
    )
    return Page.build([ReportOut.of(r) for r in found], total, params)


@router.post(
    "/reports/{report_id}/actions",
    summary="Resolve a report: approve, hide, delete, warn, mute or ban (logged)",
    response_model=ReportOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def act(
    report_id: uuid.UUID,
    body: ModerationActionIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReportOut:
    return ReportOut.of(
        await moderation.act(session, principal, report_id, body.action, body.note, days=body.days)
    )


@router.get(
    "/log",
    summary="The moderation log, newest first",
    response_model=Page[LogEntryOut],
    responses=errors(401, 403, 404, 422),
)
async def moderation_log(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    course_id: CourseFilter = None,
) -> Page[LogEntryOut]:
    found, total = await moderation.moderation_log(
        session, principal, course_id, params.limit, params.offset
    )
    return Page.build([LogEntryOut.of(e) for e in found], total, params)


@router.post(
    "/sanctions",
    summary="Mute or ban a user in a course forum or everywhere, with a reason and an end",
    status_code=201,
    response_model=SanctionOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def sanction(
    body: SanctionIn, session: DbSession, principal: CurrentPrincipal
) -> SanctionOut:
    return SanctionOut.of(
        await moderation.sanction(
            session,
            principal,
            user_id=body.user_id,
            course_id=body.course_id,
            kind=body.kind,
            reason=body.reason,
            ends_at=body.ends_at,
        )
    )
