"""A learner's module and track badges, and each as an Open Badges 3.0 credential."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.responses import JSONResponse

from campus.credentials.endpoints.certificates import JSON_LD, JWT
from campus.credentials.endpoints.errors import errors
from campus.credentials.schemas.certificates import BadgeOut
from campus.credentials.service import awards, badges
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/badges", tags=["certificates"])


@router.get(
    "",
    summary="My module and track badges, newest first",
    response_model=Page[BadgeOut],
    responses=errors(401, 422),
)
async def list_my_badges(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[BadgeOut]:
    found, total = await awards.list_mine(session, principal, params.limit, params.offset)
    return Page.build([BadgeOut.of(b) for b in found], total, params)


@router.get(
    "/{badge_id}/credential",
    summary="My badge as a signed Open Badges 3.0 credential (JSON-LD)",
    response_class=JSONResponse,
    responses={**JSON_LD, **errors(401, 404, 422)},
)
async def get_badge_credential(
    badge_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> JSONResponse:
    row = await awards.own(session, principal, badge_id)
    credential = await badges.signed_badge_credential(session, request.app.state.settings, row)
    return JSONResponse(
        credential,
        media_type="application/ld+json",
        headers={"Content-Disposition": 'attachment; filename="badge.json"'},
    )


@router.get(
    "/{badge_id}/credential.jwt",
    summary="My badge as a VC-JWT",
    response_class=Response,
    responses={**JWT, **errors(401, 404, 422)},
)
async def get_badge_credential_jwt(
    badge_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    row = await awards.own(session, principal, badge_id)
    token = await badges.badge_jwt(session, request.app.state.settings, row)
    return Response(
        token,
        media_type="application/vc+jwt",
        headers={"Content-Disposition": 'attachment; filename="badge.jwt"'},
    )
