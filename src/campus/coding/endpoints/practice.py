"""HTTP routes for learners working on an exercise: hints and runs against the visible tests."""

from __future__ import annotations

import uuid

from fastapi import Response

from campus.coding.endpoints.dependencies import EXERCISES_TAG, AppSettings, Engine, Limiter
from campus.coding.endpoints.errors import RATE_LIMITED_WRITE_ERRORS, WRITE_ERRORS, errors
from campus.coding.schemas.exercises import HintsOut
from campus.coding.schemas.submissions import CodeIn, RunOut
from campus.coding.service import submissions
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.ratelimit import set_rate_limit_headers

router = api_router()


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
    return HintsOut.of(await submissions.hints(session, principal, exercise_id))


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
    return HintsOut.of(await submissions.reveal_next_hint(session, principal, exercise_id))


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
        session, principal, exercise_id, body.code, engine, limiter, settings
    )
    set_rate_limit_headers(response, rate)
    return RunOut.of(result)
