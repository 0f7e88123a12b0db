"""Enrollments: enroll, read, cancel, revoke, upgrade, progress outline, resume point."""

from __future__ import annotations

import uuid

from fastapi import Response

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.learning.endpoints.errors import READ_ERRORS, WRITE_ERRORS, errors
from campus.learning.schemas.enrollments import (
    ContinueOut,
    EnrollmentOut,
    EnrollRequest,
    EnrollResult,
    ProgressOutline,
    RevokeRequest,
)
from campus.learning.service import enrollments, learner_reads

router = api_router(tags=["enrollments"])
OBJECT_ERRORS = errors(401, 403, 404, 409, 422)


@router.post(
    "/enrollments",
    status_code=201,
    summary="Enroll in a published course (free, or with an entitlement)",
    description=(
        "Idempotent per learner and course: the first call creates the enrollment (201, "
        "`outcome: created`), a cancelled or expired one is reactivated with its progress (201, "
        "`outcome: reactivated`), and any other call, also 50 simultaneous ones, returns the "
        "existing enrollment (200, `outcome: existing`). Paid courses need an entitlement "
        "(403 `entitlement_required`)."
    ),
    response_model=EnrollResult,
    responses={200: {"model": EnrollResult, "description": "Already enrolled"}, **WRITE_ERRORS},
)
async def enroll(
    body: EnrollRequest, session: DbSession, principal: CurrentPrincipal, response: Response
) -> EnrollResult:
    admission = await enrollments.enroll(session, principal, body.course_id, body.tier)
    if admission.outcome == "existing":
        response.status_code = 200
    return EnrollResult.of_admission(admission)


@router.get(
    "/enrollments/{enrollment_id}",
    summary="One enrollment (the learner, the course's instructors, administrators)",
    response_model=EnrollmentOut,
    responses=READ_ERRORS,
)
async def get_enrollment(
    enrollment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> EnrollmentOut:
    return EnrollmentOut.of(await enrollments.get_enrollment(session, principal, enrollment_id))


@router.delete(
    "/enrollments/{enrollment_id}",
    summary="Unenroll (the learner; progress is kept for a later re-enrollment)",
    response_model=EnrollmentOut,
    responses=OBJECT_ERRORS,
)
async def unenroll(
    enrollment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> EnrollmentOut:
    return EnrollmentOut.of(await enrollments.cancel(session, principal, enrollment_id))


@router.post(
    "/enrollments/{enrollment_id}/cancel",
    summary="Unenroll (same as DELETE)",
    response_model=EnrollmentOut,
    responses=OBJECT_ERRORS,
)
async def cancel(
    enrollment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> EnrollmentOut:
    return EnrollmentOut.of(await enrollments.cancel(session, principal, enrollment_id))


@router.post(
    "/enrollments/{enrollment_id}/revoke",
    summary="Revoke a learner's access (administrators)",
    response_model=EnrollmentOut,
    responses=WRITE_ERRORS,
)
async def revoke(
    enrollment_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    body: RevokeRequest | None = None,
) -> EnrollmentOut:
    reason = body.reason if body is not None else None
    return EnrollmentOut.of(await enrollments.revoke(session, principal, enrollment_id, reason))


@router.post(
    "/enrollments/{enrollment_id}/upgrade",
    summary="Move to the course's current version, keeping matching progress",
    response_model=EnrollmentOut,
    responses=OBJECT_ERRORS,
)
async def upgrade(
    enrollment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> EnrollmentOut:
    return EnrollmentOut.of(await enrollments.upgrade(session, principal, enrollment_id))


@router.get(
    "/enrollments/{enrollment_id}/progress",
    summary="The enrolled version's outline with progress, locks and the next lesson",
    response_model=ProgressOutline,
    responses=READ_ERRORS,
)
async def progress_outline(
    enrollment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ProgressOutline:
    outline = await learner_reads.enrollment_outline(session, principal, enrollment_id)
    return ProgressOutline.of(outline)


@router.get(
    "/enrollments/{enrollment_id}/continue",
    summary="Where to continue: the next lesson to open",
    response_model=ContinueOut,
    responses=READ_ERRORS,
)
async def continue_learning(
    enrollment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ContinueOut:
    return ContinueOut.of(await learner_reads.continue_at(session, principal, enrollment_id))
