"""``/instructors``: the public instructor directory."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends

from campus.identity.endpoints.errors import error_responses
from campus.identity.schemas.responses import InstructorOut
from campus.identity.service import instructors
from campus.kernel.auth import DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/instructors", tags=["instructors"])

Pagination = Annotated[PageParams, Depends(page_params)]


@router.get(
    "",
    summary="Instructors (public)",
    response_model=Page[InstructorOut],
    responses=error_responses(422),
)
async def list_instructors(session: DbSession, page: Pagination) -> Page[InstructorOut]:
    rows, total = await instructors.public_list(session, page)
    return Page[InstructorOut].build([InstructorOut.of(r) for r in rows], total, page)


@router.get(
    "/{user_id}",
    summary="An instructor's public profile",
    response_model=InstructorOut,
    responses=error_responses(404, 422),
)
async def get_instructor(user_id: uuid.UUID, session: DbSession) -> InstructorOut:
    return InstructorOut.of(await instructors.public_profile(session, user_id))
