"""HTTP routes for authoring coding exercises. Thin: parse, resolve the principal, call one
service function, return."""

from __future__ import annotations

import uuid

from campus.coding.endpoints.dependencies import EXERCISES_TAG, AppSettings, Engine, Paging
from campus.coding.endpoints.errors import READ_ERRORS, WRITE_ERRORS
from campus.coding.schemas.exercises import (
    ExerciseCreate,
    ExerciseListItem,
    ExerciseOut,
    ExerciseUpdate,
    RegradeOut,
    TestsReplace,
    ValidationOut,
)
from campus.coding.service import exercises
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page

router = api_router()


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
    return ExerciseOut.of(
        await exercises.create_exercise(
            session, principal, course_id, body.draft(), engine, settings
        )
    )


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
    items, total = await exercises.list_exercises(session, principal, course_id, page)
    return Page[ExerciseListItem].build([ExerciseListItem.of(i) for i in items], total, page)


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
    return ExerciseOut.of(await exercises.get_exercise(session, principal, exercise_id))


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
    return ExerciseOut.of(
        await exercises.update_exercise(
            session, principal, exercise_id, body.changes(), engine, settings
        )
    )


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
    return ExerciseOut.of(
        await exercises.replace_tests(session, principal, exercise_id, body.specs(), engine)
    )


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
    return ValidationOut.of(await exercises.validate(session, principal, exercise_id, engine))


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
    return ExerciseOut.of(await exercises.publish(session, principal, exercise_id, engine))


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
    return RegradeOut.of(await exercises.request_regrade(session, principal, exercise_id))
