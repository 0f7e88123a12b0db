"""Course announcements: an instructor to their course's learners (an admin to any course's),
now or at a time; cancellable until they go out."""

from __future__ import annotations

import uuid

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.notifications.endpoints.errors import errors
from campus.notifications.schemas.notifications import CourseAnnouncementIn, CourseAnnouncementOut
from campus.notifications.service import announcements

router = api_router(prefix="/courses", tags=["notifications"])
manage_router = api_router(prefix="/notifications/announcements", tags=["notifications"])


@router.post(
    "/{course_id}/announcements",
    summary="Announce to a course's learners (in-app and email, per their preferences)",
    status_code=201,
    response_model=CourseAnnouncementOut,
    responses=errors(401, 404, 415, 422),
)
async def announce(
    course_id: uuid.UUID,
    body: CourseAnnouncementIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CourseAnnouncementOut:
    return CourseAnnouncementOut.of(
        await announcements.create(
            session,
            principal,
            course_id=course_id,
            title=body.title,
            message=body.message,
            send_at=body.send_at,
        )
    )


@manage_router.post(
    "/{announcement_id}/cancel",
    summary="Cancel a scheduled announcement before it goes out",
    response_model=CourseAnnouncementOut,
    responses=errors(401, 404, 409, 422),
)
async def cancel(
    announcement_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CourseAnnouncementOut:
    return CourseAnnouncementOut.of(await announcements.cancel(session, principal, announcement_id))
