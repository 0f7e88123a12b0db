"""HTTP routes of coding exercises (mounted under ``/api/v1`` by ``campus.main``). Thin: parse,
resolve the principal, call one service function, return."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Depends, Query, Request, Response

from campus.coding import service, submissions
from campus.coding.data import CodeSubmissionStatus
from campus.coding.runners import GradingEngine, engine_for
from campus.coding.schemas import (
    RATE_LIMITED_WRITE_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    CodeIn,
    ExerciseCreate,
    ExerciseListItem,
    ExerciseOut,
    ExerciseUpdate,
    FeedbackIn,
    HintsOut,
    RegradeOut,
    RunOut,
    SandboxStatusOut,
    SubmissionOut,
    SubmissionSummary,
    TestsReplace,
    ValidationOut,
    errors,
)
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.ratelimit import RateLimiter, set_rate_limit_headers

EXERCISES_TAG = "coding exercises"
SUBMISSIONS_TAG = "code submissions"
SANDBOX_TAG = "sandbox"


async def _engine(request: Request) -> GradingEngine:
    engine: GradingEngine | None = getattr(request.app.state, "coding_engine", None)
    return engine or engine_for(request.app.state.settings)


async def _settings(request: Request) -> Any:
    return request.app.state.settings


async def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


Engine = Annotated[GradingEngine, Depends(_engine)]
AppSettings = Annotated[Any, Depends(_settings)]
Limiter = Annotated[RateLimiter, Depends(_limiter)]
Paging = Annotated[PageParams, Depends(page_params)]

router = api_router()


# --------------------------------------------------------------------------- authoring


@router.post(
    "/courses/{course_id}/coding-exercises",
    status_code=201,
    tags=[EXERCISES_TAG],
    summary="Create a coding exercise (the course's instructors)",
    response_model=ExerciseOut,
    responses=WRITE_ERRORS,
)
async def create_exercise(
    course_id: uuid.UUID,
    body: ExerciseCreate,
    session: DbSession,
    principal: CurrentPrincipal,
    engine: Engine,
    settings: AppSettings,
) -> ExerciseOut:
    return await service.create_exercise(session, principal, course_id, body, engine, settings)


@router.get(
    "/courses/{course_id}/coding-exercises",
    tags=[EXERCISES_TAG],
    summary="The course's coding exercises (learners see published ones)",
    response_model=Page[ExerciseListItem],
    responses=READ_ERRORS,
)
async def list_exercises(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, page: Paging
) -> Page[ExerciseListItem]:
    return await service.list_exercises(session, principal, course_id, page)


@router.get(
    "/coding-exercises/{exercise_id}",
    tags=[EXERCISES_TAG],
    summary="One exercise: visible tests, hidden test count, my revealed hints",
    response_model=ExerciseOut,
    responses=READ_ERRORS,
)
async def get_exercise(
    exercise_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ExerciseOut:
    return await service.get_exercise(session, principal, exercise_id)


@router.patch(
    "/coding-exercises/{exercise_id}",
    tags=[EXERCISES_TAG],
    summary="Change an exercise (a published one must keep passing its tests)",
    response_model=ExerciseOut,
    responses=WRITE_ERRORS,
)
async def update_exercise(
    exercise_id: uuid.UUID,
    body: ExerciseUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
    engine: Engine,
    settings: AppSettings,
) -> ExerciseOut:
    return await service.update_exercise(session, principal, exercise_id, body, engine, settings)


@router.put(
    "/coding-exercises/{exercise_id}/tests",
    tags=[EXERCISES_TAG],
    summary="Replace the test cases (bumps the tests version)",
    response_model=ExerciseOut,
    responses=WRITE_ERRORS,
)
async def replace_tests(
    exercise_id: uuid.UUID,
    body: TestsReplace,
    session: DbSession,
    principal: CurrentPrincipal,
    engine: Engine,
) -> ExerciseOut:
    return await service.replace_tests(session, principal, exercise_id, body, engine)


@router.post(
    "/coding-exercises/{exercise_id}/validate",
    tags=[EXERCISES_TAG],
    summary="Run the reference solution against every test case",
    response_model=ValidationOut,
    responses=WRITE_ERRORS,
)
async def validate(
    exercise_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, engine: Engine
) -> ValidationOut:
    return await service.validate(session, principal, exercise_id, engine)


@router.post(
    "/coding-exercises/{exercise_id}/publish",
    tags=[EXERCISES_TAG],
    summary="Publish (409 with the failing test ids if the reference solution fails)",
    response_model=ExerciseOut,
    responses=WRITE_ERRORS,
)
async def publish(
    exercise_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, engine: Engine
) -> ExerciseOut:
    return await service.publish(session, principal, exercise_id, engine)


@router.post(
    "/coding-exercises/{exercise_id}/regrade",
    status_code=202,
    tags=[EXERCISES_TAG],
    summary="Re-grade submissions graded against older tests (idempotent)",
    response_model=RegradeOut,
    responses=WRITE_ERRORS,
)
async def regrade(
    exercise_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> RegradeOut:
    return await service.request_regrade(session, principal, exercise_id)


# --------------------------------------------------------------------------- learners


@router.get(
    "/coding-exercises/{exercise_id}/hints",
    tags=[EXERCISES_TAG],
    summary="My revealed hints (enrolled learners)",
    response_model=HintsOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def my_hints(
    exercise_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> HintsOut:
    return await submissions.hints(session, principal, exercise_id)


@router.post(
    "/coding-exercises/{exercise_id}/hints/next",
    tags=[EXERCISES_TAG],
    summary="Reveal the next hint (the count is recorded)",
    response_model=HintsOut,
    responses=WRITE_ERRORS,
)
async def reveal_hint(
    exercise_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> HintsOut:
    return await submissions.reveal_next_hint(session, principal, exercise_id)


@router.post(
    "/coding-exercises/{exercise_id}/run",
    tags=[EXERCISES_TAG],
    summary="Run code against the visible tests (nothing recorded; rate limited)",
    response_model=RunOut,
    responses=RATE_LIMITED_WRITE_ERRORS,
)
async def run(
    exercise_id: uuid.UUID,
    body: CodeIn,
    response: Response,
    session: DbSession,
    principal: CurrentPrincipal,
    engine: Engine,
    limiter: Limiter,
    settings: AppSettings,
) -> RunOut:
    result, rate = await submissions.run_visible(
        session, principal, exercise_id, body, engine, limiter, settings
    )
    set_rate_limit_headers(response, rate)
    return result


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
    return result


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
    return await submissions.list_submissions(
        session, principal, exercise_id, page, user_id=user_id, status=status
    )


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
    return await submissions.get_submission(session, principal, submission_id)


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
    return await submissions.give_feedback(session, principal, submission_id, body)


# --------------------------------------------------------------------------- operations


@router.get(
    "/admin/sandbox",
    tags=[SANDBOX_TAG],
    summary="The code runner and the sandbox layers active on this host (sandbox:admin)",
    response_model=SandboxStatusOut,
    responses=errors(401, 403, 422),
)
async def sandbox_status(principal: CurrentPrincipal, engine: Engine) -> SandboxStatusOut:
    return await service.sandbox_status(principal, engine)
