"""Enterprise subscriptions for org admins: their organization's subscriptions, seats (assign,
unassign, how many), and the members' learning report (a page, or CSV streamed). Another
organization's admin gets 404 on all of it; members who are not admins get 403."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import StreamingResponse

from campus.billing.endpoints.errors import errors
from campus.billing.schemas.subscriptions import (
    MemberLearningOut,
    SeatAssignRequest,
    SeatOut,
    SeatsChangeRequest,
    SubscriptionOut,
)
from campus.billing.service import reports, seats
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/billing", tags=["organization subscriptions"])

#: Rows per chunk of the CSV export (each read in a session of its own).
CSV_CHUNK = 500


@router.get(
    "/organizations/{organization_id}/subscriptions",
    summary="My organization's subscriptions",
    response_model=Page[SubscriptionOut],
    responses=errors(401, 403, 404, 422),
)
async def list_organization_subscriptions(
    organization_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[SubscriptionOut]:
    found, total = await reports.organization_subscriptions(
        session, principal, organization_id, offset=params.offset, limit=params.limit
    )
    return Page.build([SubscriptionOut.of(s) for s in found], total, params)


@router.get(
    "/subscriptions/{subscription_id}/seats",
    summary="The seats of an enterprise subscription and who holds them",
    response_model=Page[SeatOut],
    responses=errors(401, 403, 404, 422),
)
async def list_subscription_seats(
    subscription_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[SeatOut]:
    found, total = await seats.list_seats(
        session, principal, subscription_id, offset=params.offset, limit=params.limit
    )
    return Page.build([SeatOut.of(s) for s in found], total, params)


@router.post(
    "/subscriptions/{subscription_id}/seats",
    status_code=201,
    summary="Give a member of the organization a seat (200 when they hold one already)",
    description="409 `seats_exhausted` when every seat is assigned, `not_an_organization_member`.",
    response_model=SeatOut,
    responses={
        **errors(400, 401, 403, 404, 409, 422),
        200: {"model": SeatOut, "description": "The member already holds a seat"},
    },
)
async def assign_subscription_seat(
    subscription_id: uuid.UUID,
    body: SeatAssignRequest,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
) -> SeatOut:
    seat, created = await seats.assign(session, principal, subscription_id, body.user_id)
    if not created:
        response.status_code = 200
    return SeatOut.of(seat)


@router.delete(
    "/subscriptions/{subscription_id}/seats/{user_id}",
    status_code=204,
    summary="Take a seat back: it is free at once and the member's access through it ends",
    responses=errors(401, 403, 404, 422),
)
async def unassign_subscription_seat(
    subscription_id: uuid.UUID, user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await seats.unassign(session, principal, subscription_id, user_id)
    return Response(status_code=204)


@router.put(
    "/subscriptions/{subscription_id}/seat-count",
    summary="Buy more seats now (prorated) or fewer from the next renewal",
    description="409 `seats_below_assigned` below the seats assigned; 422 for fewer than one.",
    response_model=SubscriptionOut,
    responses=errors(400, 401, 403, 404, 409, 422, 503),
)
async def change_subscription_seats(
    subscription_id: uuid.UUID,
    body: SeatsChangeRequest,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> SubscriptionOut:
    return SubscriptionOut.of(
        await seats.change_seats(
            session, principal, request.app.state.settings, subscription_id, seats=body.seats
        )
    )


@router.get(
    "/organizations/{organization_id}/learning",
    summary="My organization's members: enrollments, progress and completions",
    response_model=Page[MemberLearningOut],
    responses=errors(401, 403, 404, 422),
)
async def organization_learning_report(
    organization_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[MemberLearningOut]:
    found, total = await reports.learning_page(
        session, principal, organization_id, offset=params.offset, limit=params.limit
    )
    return Page.build([MemberLearningOut.of(row) for row in found], total, params)


@router.get(
    "/organizations/{organization_id}/learning.csv",
    summary="The members' learning report as CSV (streamed)",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        **errors(401, 403, 404, 422),
        200: {"content": {"text/csv": {}}, "description": "The report"},
    },
)
async def organization_learning_csv(
    organization_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> StreamingResponse:
    await reports.authorize_export(session, principal, organization_id)
    return StreamingResponse(
        reports.stream_csv(request.app.state.db, organization_id, CSV_CHUNK),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="learning-{organization_id}.csv"'},
    )
