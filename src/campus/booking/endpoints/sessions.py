"""Booking, the session lifecycle, invitations and dashboards."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Header, Path, Query, Request, Response

from campus.booking.endpoints.errors import errors
from campus.booking.schemas.booking import (
    AdminDashboardOut,
    AssignIn,
    BookIn,
    BookingReasonIn,
    BookingSessionOut,
    CalendarFeedOut,
    ConsultantDashboardOut,
    ConsultantEarningsOut,
    FeedbackOut,
    LearnerDashboardOut,
    NotesIn,
    PayIn,
    RescheduleIn,
    SessionFeedbackIn,
    UtilisationOut,
)
from campus.booking.service import dashboards
from campus.booking.service import sessions as svc
from campus.kernel import idempotency
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/booking", tags=["booking"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required: a unique value per intended payment. Replaying it with the same "
        "body answers the first response again; with another body it is a 422.",
    ),
]

ICS: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"text/calendar": {"schema": {"type": "string"}}},
        "description": "The session as an iCalendar invitation in the reader's time zone",
    }
}


@router.post(
    "/sessions",
    status_code=201,
    summary="Book a free slot, or request one",
    description="With `consultantUserId` the slot must be one of that consultant's free "
    "slots: a free type without confirmation is `scheduled` at once, one that needs "
    "confirmation is `pending_confirmation`, a paid one is `held` until paid. Without it the "
    "system assigns a consultant offering the type round-robin, or the request waits in "
    "`pending_assignment` for an admin.",
    response_model=BookingSessionOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def book(
    body: BookIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.book(
            session,
            request.app.state.settings,
            principal,
            service_type_id=body.service_type_id,
            consultant_id=body.consultant_user_id,
            starts_at=body.starts_at,
            time_zone=body.time_zone,
            duration_minutes=body.duration_minutes,
            details=body.details,
        )
    )


@router.get(
    "/sessions",
    summary="My sessions as a learner or a consultant (every session for booking managers)",
    response_model=Page[BookingSessionOut],
    responses=errors(401, 403, 422),
)
async def list_sessions(
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    role: Literal["learner", "consultant", "admin"] = "learner",
    when: Literal["upcoming", "past"] | None = None,
) -> Page[BookingSessionOut]:
    found, total = await svc.list_for(
        session,
        request.app.state.settings,
        principal,
        role=role,
        when=when,
        statuses=(),
        limit=params.limit,
        offset=params.offset,
    )
    return Page.build([BookingSessionOut.of(s) for s in found], total, params)


@router.get(
    "/sessions/{session_id}",
    summary="One session (its learner, its consultant, or booking managers)",
    response_model=BookingSessionOut,
    responses=errors(401, 404, 422),
)
async def get_session(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> BookingSessionOut:
    row = await svc.visible(session, principal, session_id)
    return BookingSessionOut.of(svc.record(row, principal, request.app.state.settings))


@router.get(
    "/sessions/{session_id}/invite.ics",
    summary="The session as an .ics invitation, in the reader's time zone",
    response_class=Response,
    responses={**ICS, **errors(401, 404, 422)},
)
async def invitation(
    session_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    row, body = await svc.invitation_for(session, principal, session_id)
    return Response(
        content=body,
        media_type="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="session-{row.id}.ics"'},
    )


def _action(
    name: str, summary: str, *statuses: int
) -> Callable[
    [Callable[..., Awaitable[BookingSessionOut]]], Callable[..., Awaitable[BookingSessionOut]]
]:
    return router.post(
        f"/sessions/{{session_id}}/{name}",
        summary=summary,
        response_model=BookingSessionOut,
        responses=errors(*statuses),
    )


@_action("confirm", "Confirm a requested session (its consultant)", 401, 403, 404, 409, 422)
async def confirm(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.confirm(session, request.app.state.settings, principal, session_id)
    )


@_action("decline", "Decline a requested session (its consultant)", 401, 403, 404, 409, 415, 422)
async def decline(
    session_id: uuid.UUID,
    body: BookingReasonIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.decline(session, request.app.state.settings, principal, session_id, body.reason)
    )


@_action(
    "assign", "Assign a consultant to a request (booking:manage)", 401, 403, 404, 409, 415, 422
)
async def assign(
    session_id: uuid.UUID,
    body: AssignIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.assign(
            session, request.app.state.settings, principal, session_id, body.consultant_user_id
        )
    )


@router.post(
    "/sessions/{session_id}/pay",
    summary="Pay for a held session with a saved payment method",
    description="Paid while the hold lasts: `scheduled`. Declined: the slot is free again "
    "(`expired`, `paymentStatus: failed`). Paid after the hold lapsed: refunded. Needs an "
    "`Idempotency-Key`.",
    response_model=BookingSessionOut,
    responses=errors(400, 401, 403, 404, 409, 415, 422, 503),
)
async def pay(
    session_id: uuid.UUID,
    body: PayIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    key = idempotency.require_key(idempotency_key)
    settings = request.app.state.settings

    async def run() -> BookingSessionOut:
        return BookingSessionOut.of(
            await svc.pay(session, settings, principal, session_id, body.payment_method_id)
        )

    return await idempotency.run(
        request,
        session,
        scope=idempotency.scope_of(principal, request),
        key=key,
        body=body.model_dump(mode="json"),
        ttl=timedelta(hours=24),
        status_code=200,
        action=run,
    )


@_action(
    "reschedule", "Move a session to another free slot (within the policy)", 401, 404, 409, 415, 422
)
async def reschedule(
    session_id: uuid.UUID,
    body: RescheduleIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.reschedule(
            session, request.app.state.settings, principal, session_id, body.starts_at
        )
    )


@_action(
    "cancel",
    "Cancel a session with a reason (a late cancellation is not refunded)",
    401,
    404,
    409,
    415,
    422,
    503,
)
async def cancel(
    session_id: uuid.UUID,
    body: BookingReasonIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.cancel(session, request.app.state.settings, principal, session_id, body.reason)
    )


@_action("start", "Start a session (its consultant)", 401, 403, 404, 409, 422)
async def start(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.start(session, request.app.state.settings, principal, session_id)
    )


@_action("complete", "Complete a session (its consultant)", 401, 403, 404, 409, 422)
async def complete(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.complete(session, request.app.state.settings, principal, session_id)
    )


@_action(
    "no-show", "Mark the learner absent (its consultant, after the start)", 401, 403, 404, 409, 422
)
async def no_show(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.no_show(session, request.app.state.settings, principal, session_id)
    )


@router.put(
    "/sessions/{session_id}/notes",
    summary="The consultant's private notes and the notes shared with the learner",
    response_model=BookingSessionOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def set_notes(
    session_id: uuid.UUID,
    body: NotesIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> BookingSessionOut:
    return BookingSessionOut.of(
        await svc.set_notes(
            session,
            request.app.state.settings,
            principal,
            session_id,
            private_notes=body.private_notes,
            shared_notes=body.shared_notes,
        )
    )


@router.post(
    "/sessions/{session_id}/feedback",
    status_code=201,
    summary="Rate a completed session (its learner, once)",
    response_model=FeedbackOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def feedback(
    session_id: uuid.UUID, body: SessionFeedbackIn, session: DbSession, principal: CurrentPrincipal
) -> FeedbackOut:
    return FeedbackOut.of(
        await svc.leave_feedback(
            session,
            principal,
            session_id,
            rating=body.rating,
            comment=body.comment,
            is_public=body.is_public,
        )
    )


@router.get(
    "/dashboard/learner",
    summary="My upcoming and past sessions",
    response_model=LearnerDashboardOut,
    responses=errors(401, 422),
)
async def learner_dashboard(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> LearnerDashboardOut:
    upcoming, past = await dashboards.learner(session, request.app.state.settings, principal)
    return LearnerDashboardOut(
        upcoming=[BookingSessionOut.of(s) for s in upcoming],
        past=[BookingSessionOut.of(s) for s in past],
    )


@router.get(
    "/dashboard/consultant",
    summary="My schedule, requests to confirm and earnings (booking:consult)",
    response_model=ConsultantDashboardOut,
    responses=errors(401, 403, 422),
)
async def consultant_dashboard(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> ConsultantDashboardOut:
    upcoming, requests, earnings = await dashboards.consultant(
        session, request.app.state.settings, principal
    )
    return ConsultantDashboardOut(
        upcoming=[BookingSessionOut.of(s) for s in upcoming],
        requests=[BookingSessionOut.of(s) for s in requests],
        earnings=[ConsultantEarningsOut.model_validate(e, from_attributes=True) for e in earnings],
    )


@router.get(
    "/dashboard/admin",
    summary="Utilisation and no-show rates per consultant (booking:manage)",
    response_model=AdminDashboardOut,
    responses=errors(401, 403, 422),
)
async def admin_dashboard(
    session: DbSession,
    principal: CurrentPrincipal,
    since: Annotated[
        date | None, Query(description="First UTC date (default: 30 days ago)")
    ] = None,
    until: Annotated[date | None, Query(description="Last UTC date (default: today)")] = None,
) -> AdminDashboardOut:
    today = utcnow().date()
    last = until or today
    first = since or last - timedelta(days=30)
    if last < first or last - first > timedelta(days=366):
        raise field_error("until", "Give at most a year, ending after it starts.", "range_order")
    begin = datetime.combine(first, time(0), tzinfo=UTC)
    end = datetime.combine(last + timedelta(days=1), time(0), tzinfo=UTC)
    found = await dashboards.utilisation(session, principal, begin, end)
    return AdminDashboardOut(
        since=begin, until=end, consultants=[UtilisationOut.of(u) for u in found]
    )


@router.post(
    "/calendar-feed",
    status_code=201,
    summary="A new secret iCalendar feed URL of my sessions (the previous URL stops working)",
    response_model=CalendarFeedOut,
    responses=errors(401),
)
async def new_calendar_feed(
    request: Request, session: DbSession, principal: CurrentPrincipal
) -> CalendarFeedOut:
    token = await svc.new_feed_token(session, principal)
    base = request.app.state.settings.base_url.rstrip("/")
    return CalendarFeedOut(url=f"{base}/api/v1/booking/calendar-feeds/{token}.ics")


@router.delete(
    "/calendar-feed",
    status_code=204,
    summary="Revoke my calendar feed URL",
    response_class=Response,
    responses=errors(401),
)
async def revoke_calendar_feed(session: DbSession, principal: CurrentPrincipal) -> Response:
    await svc.revoke_feed(session, principal)
    return Response(status_code=204)


@router.get(
    "/calendar-feeds/{token}.ics",
    summary="A calendar feed (no sign-in: the secret URL is the credential)",
    response_class=Response,
    responses={**ICS, **errors(404, 422)},
)
async def calendar_feed(
    token: Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")],
    session: DbSession,
) -> Response:
    body = await svc.feed_for_token(session, token)
    return Response(
        content=body,
        media_type="text/calendar",
        headers={"Cache-Control": "private, no-store"},
    )
