"""The learner's own dashboard and activity feed."""

from __future__ import annotations

from fastapi import Depends, Query

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    CursorPage,
    Page,
    PageParams,
    page_params,
)
from campus.learning.data import ACCESS_STATUSES, EnrollmentStatus
from campus.learning.endpoints.errors import errors
from campus.learning.schemas.me import ActivityOut, MyCourseOut
from campus.learning.service import learner_reads

router = api_router(prefix="/me", tags=["my learning"])


@router.get(
    "/learning",
    summary="My courses with progress, last activity and next lesson (recent first)",
    response_model=Page[MyCourseOut],
    responses=errors(401, 422),
)
async def my_learning(
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParams = Depends(page_params),
    status: EnrollmentStatus | None = Query(
        None, description="Only this status (default: active and completed)"
    ),
) -> Page[MyCourseOut]:
    statuses = [status.value] if status else sorted(s.value for s in ACCESS_STATUSES)
    items, total = await learner_reads.my_learning(session, principal, statuses, page)
    return Page[MyCourseOut].build([MyCourseOut.of(i) for i in items], total, page)


@router.get(
    "/activity",
    summary="My recent learning events (cursor-paginated, newest first)",
    response_model=CursorPage[ActivityOut],
    responses=errors(401, 422),
)
async def my_activity(
    session: DbSession,
    principal: CurrentPrincipal,
    cursor: str | None = Query(None, max_length=512, description="nextCursor of the last page"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Page size"),
) -> CursorPage[ActivityOut]:
    feed = await learner_reads.activity_feed(session, principal, cursor, limit)
    return CursorPage[ActivityOut](
        items=[ActivityOut.of(i) for i in feed.items], next_cursor=feed.next_cursor, limit=limit
    )
