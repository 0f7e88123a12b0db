"""HTTP routes for code submissions: submit, read, give feedback."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Response

from campus.coding.data import CodeSubmissionStatus
from campus.coding.endpoints.dependencies import (
    SUBMISSIONS_TAG,
    AppSettings,
    Engine,
    Limiter,
    Paging,
)
from campus.coding.endpoints.errors import RATE_LIMITED_WRITE_ERRORS, READ_ERRORS, WRITE_ERRORS
from campus.coding.schemas.submissions import CodeIn, FeedbackIn, SubmissionOut, SubmissionSummary
from campus.coding.service import submissions
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page
from campus.kernel.ratelimit import set_rate_limit_headers

router = api_router()


@router.post(
    "/coding-exercises/{exercise_id}/submissions",
    status_code=201,
    tags=[SUBMISSIONS_TAG],
    summary="Submit code for grading (queued; rate limited)",
    response_model=SubmissionOut,
    responses=RATE_LIMITED_WRITE_ERRORS,
)
async def submit(
    exercise_id: uuid.UUID,
    body: CodeIn,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    engine: Engine,
    limiter: Limiter,
    settings: AppSettings,
) -> SubmissionOut:
    result, rate = await submissions.submit(
        session, principal, exercise_id, body, engine, limiter, settings
    )
    set_rate_limit_headers(response, rate)
    return SubmissionOut.of(result)


@router.get(
    "/coding-exercises/{exercise_id}/submissions",
    tags=[SUBMISSIONS_TAG],
    summary="Submissions to an exercise (staff: everyone's; learners: their own)",
    response_model=Page[SubmissionSummary],
    responses=READ_ERRORS,
)
async def list_submissions(
    exercise_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    page: Paging,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    status: Annotated[CodeSubmissionStatus | None, Query()] = None,
) -> Page[SubmissionSummary]:
    items, total = await submissions.list_submissions(
        session, principal, exercise_id, page, user_id=user_id, status=status
    )
    return Page[SubmissionSummary].build([SubmissionSummary.of(i) for i in items], total, page)


@router.get(
    "/code-submissions/{submission_id}",
    tags=[SUBMISSIONS_TAG],
    summary="One submission with per-test results and its analysis",
    response_model=SubmissionOut,
    responses=READ_ERRORS,
)
async def get_submission(
    submission_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> SubmissionOut:
    return SubmissionOut.of(await submissions.get_submission(session, principal, submission_id))


@router.put(
    "/code-submissions/{submission_id}/feedback",
    tags=[SUBMISSIONS_TAG],
    summary="Instructor feedback on a submission (the analysis becomes HYBRID)",
    response_model=SubmissionOut,
    responses=WRITE_ERRORS,
)
async def give_feedback(
    submission_id: uuid.UUID, body: FeedbackIn, session: DbSession, principal: CurrentPrincipal
) -> SubmissionOut:
    return SubmissionOut.of(
        await submissions.give_feedback(session, principal, submission_id, body.record())
    )
