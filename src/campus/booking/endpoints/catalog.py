"""Service types, consultant profiles, the public directory, availability and free slots."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from campus.booking.endpoints.errors import errors
from campus.booking.schemas.booking import (
    AvailabilityIn,
    AvailabilityOut,
    ConsultantOut,
    ConsultantProfileIn,
    ServiceTypeIn,
    ServiceTypeOut,
    SlotsOut,
)
from campus.booking.service import consultants
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.http import CampusJSONResponse, api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/booking", tags=["booking"])


@router.post(
    "/service-types",
    status_code=201,
    summary="Create a consultation service type (booking:manage)",
    response_model=ServiceTypeOut,
    responses=errors(401, 403, 415, 422),
)
async def create_service_type(
    body: ServiceTypeIn, session: DbSession, principal: CurrentPrincipal
) -> ServiceTypeOut:
    return ServiceTypeOut.of(await consultants.create_type(session, principal, body.values()))


@router.put(
    "/service-types/{type_id}",
    summary="Replace a consultation service type (booking:manage)",
    response_model=ServiceTypeOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def replace_service_type(
    type_id: uuid.UUID, body: ServiceTypeIn, session: DbSession, principal: CurrentPrincipal
) -> ServiceTypeOut:
    return ServiceTypeOut.of(
        await consultants.update_type(session, principal, type_id, body.values())
    )


@router.get(
    "/service-types",
    summary="Service types (active ones; every one for booking managers)",
    response_model=Page[ServiceTypeOut],
    responses=errors(422),
)
async def list_service_types(
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[ServiceTypeOut]:
    found, total = await consultants.list_types(session, principal, params.limit, params.offset)
    return Page.build([ServiceTypeOut.of(t) for t in found], total, params)


@router.put(
    "/consultants/me",
    summary="Create or replace my consultant profile (booking:consult)",
    response_model=ConsultantOut,
    responses=errors(401, 403, 415, 422),
)
async def save_my_profile(
    body: ConsultantProfileIn, session: DbSession, principal: CurrentPrincipal
) -> ConsultantOut:
    return ConsultantOut.of(await consultants.save_profile(session, principal, body.values()))


@router.put(
    "/consultants/me/availability",
    summary="Replace my weekly availability, date overrides and booking terms",
    response_model=AvailabilityOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def set_my_availability(
    body: AvailabilityIn, session: DbSession, principal: CurrentPrincipal
) -> AvailabilityOut:
    return AvailabilityOut.of(
        await consultants.set_availability(
            session,
            principal,
            rules=body.rules(),
            overrides=body.override_rows(),
            terms=body.terms(),
        )
    )


@router.get(
    "/consultants",
    summary="The public directory of bookable consultants",
    description="Filters: a specialization, a language, a service type they offer (each then "
    "carries its next free slot) and `availableBefore` (a free slot before that UTC date).",
    response_model=Page[ConsultantOut],
    responses=errors(404, 422),
)
async def directory(
    request: Request,
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    specialization: Annotated[str | None, Query(max_length=60)] = None,
    language: Annotated[str | None, Query(max_length=20)] = None,
    service_type_id: Annotated[uuid.UUID | None, Query(alias="serviceTypeId")] = None,
    available_before: Annotated[date | None, Query(alias="availableBefore")] = None,
) -> Page[ConsultantOut]:
    found, total = await consultants.directory(
        session,
        request.app.state.settings,
        specialization=specialization,
        language=language,
        service_type_id=service_type_id,
        available_before=(
            None
            if available_before is None
            else datetime.combine(available_before, time(0), tzinfo=UTC)
        ),
        limit=params.limit,
        offset=params.offset,
    )
    return Page.build([ConsultantOut.of(c) for c in found], total, params)


@router.get(
    "/consultants/{user_id}",
    summary="A bookable consultant's profile",
    response_model=ConsultantOut,
    responses=errors(404, 422),
)
async def get_consultant(user_id: uuid.UUID, session: DbSession) -> ConsultantOut:
    return ConsultantOut.of(await consultants.get_profile(session, user_id))


@router.get(
    "/consultants/{user_id}/availability",
    summary="A consultant's weekly availability and overrides (their own, or booking:manage)",
    response_model=AvailabilityOut,
    responses=errors(401, 403, 404, 422),
)
async def get_availability(
    user_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AvailabilityOut:
    if principal.user_id != user_id:
        principal.require("booking:manage")
    return AvailabilityOut.of(await consultants.get_availability(session, user_id))


@router.get(
    "/consultants/{user_id}/slots",
    summary="Free slots of a consultant for a service type, in the viewer's time zone",
    description="Slots starting on the viewer's dates `from` to `to` (inclusive, at most 62 "
    "days, in `timeZone`), after minimum notice and "
    "within the horizon, minus existing sessions with their buffers and full days.",
    response_model=SlotsOut,
    responses=errors(404, 422),
)
async def list_slots(
    user_id: uuid.UUID,
    request: Request,
    session: DbSession,
    service_type_id: Annotated[uuid.UUID, Query(alias="serviceTypeId")],
    first_day: Annotated[date, Query(alias="from")],
    last_day: Annotated[date, Query(alias="to")],
    time_zone: Annotated[str, Query(alias="timeZone", min_length=1, max_length=64)] = "UTC",
) -> Response:
    found = await consultants.list_slots(
        session,
        request.app.state.settings,
        user_id,
        service_type_id,
        first_day,
        last_day,
        time_zone,
    )
    # Encoded directly (a listing holds hundreds of slots): the shape of ``SlotsOut``.
    return CampusJSONResponse(
        {
            "timeZone": time_zone,
            "items": [
                {
                    "startsAt": _instant(s.starts_at),
                    "endsAt": _instant(s.ends_at),
                    "localStart": _instant(s.local_start),
                    "localEnd": _instant(s.local_end),
                }
                for s in found
            ],
        }
    )


def _instant(moment: datetime) -> str:
    """ISO 8601 as pydantic writes it (``Z`` for UTC)."""
    text = moment.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text
