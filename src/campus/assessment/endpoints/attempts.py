"""Quiz attempt routes: start, resume, fetch, autosave, submit, analysis."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query

from campus.assessment.endpoints.errors import READ_ERRORS, WRITE_ERRORS, errors
from campus.assessment.endpoints.limits import AssessmentLimits
from campus.assessment.schemas.attempts import (
    AnswerIn,
    AttemptOut,
    AttemptSummaryOut,
    QuizAnalysisOut,
    SavedAnswerOut,
)
from campus.assessment.service import analysis, attempts
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(tags=["attempts"])
#: Serve question texts in this language where the question has a translation.
Language = Annotated[
    str | None,
    Query(
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?$",
        description="Language of the question texts, e.g. 'fr'",
    ),
]


@router.post(
    "/quizzes/{quiz_id}/attempts",
    status_code=201,
    summary="Start an attempt (enrolled learners; the server sets the deadline)",
    response_model=AttemptOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def start_attempt(
    quiz_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
    lang: Language = None,
) -> AttemptOut:
    return AttemptOut.of(
        await attempts.start_attempt(session, principal, quiz_id, limits.grace_seconds, lang)
    )


@router.get(
    "/quizzes/{quiz_id}/attempts",
    summary="Attempts on a quiz (learners: their own; staff: everyone's)",
    response_model=Page[AttemptSummaryOut],
    responses=READ_ERRORS,
)
async def list_attempts(
    quiz_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[AttemptSummaryOut]:
    items, total = await attempts.list_attempts(session, principal, quiz_id, params)
    return Page[AttemptSummaryOut].build([AttemptSummaryOut.of(a) for a in items], total, params)


@router.get(
    "/quizzes/{quiz_id}/attempts/current",
    summary="Resume the attempt in progress",
    response_model=AttemptOut,
    responses=READ_ERRORS,
)
async def current_attempt(
    quiz_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
    lang: Language = None,
) -> AttemptOut:
    return AttemptOut.of(
        await attempts.current_attempt(session, principal, quiz_id, limits.grace_seconds, lang)
    )


@router.get(
    "/attempts/{attempt_id}",
    summary="An attempt: questions, saved answers and (once submitted) the result",
    response_model=AttemptOut,
    responses=READ_ERRORS,
)
async def get_attempt(
    attempt_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
    lang: Language = None,
) -> AttemptOut:
    return AttemptOut.of(
        await attempts.get_attempt(session, principal, attempt_id, limits.grace_seconds, lang)
    )


@router.put(
    "/attempts/{attempt_id}/answers/{question_id}",
    summary="Save (or replace) the answer to one question (autosave; idempotent)",
    response_model=SavedAnswerOut,
    responses=WRITE_ERRORS,
)
async def save_answer(
    attempt_id: uuid.UUID,
    question_id: uuid.UUID,
    body: AnswerIn,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
) -> SavedAnswerOut:
    response = body.model_dump(exclude_none=True)
    return SavedAnswerOut.of(
        await attempts.save_answer(
            session, principal, attempt_id, question_id, response, limits.grace_seconds
        )
    )


@router.post(
    "/attempts/{attempt_id}/submit",
    summary="Submit the attempt for grading",
    response_model=AttemptOut,
    responses=errors(401, 404, 409, 422),
)
async def submit_attempt(
    attempt_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, limits: AssessmentLimits
) -> AttemptOut:
    return AttemptOut.of(
        await attempts.submit_attempt(session, principal, attempt_id, limits.grace_seconds)
    )


@router.get(
    "/attempts/{attempt_id}/analysis",
    summary="Quiz analysis: score by topic, strong and weak topics, lessons to revisit",
    response_model=QuizAnalysisOut,
    responses=errors(401, 404, 409, 422),
)
async def attempt_analysis(
    attempt_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> QuizAnalysisOut:
    return QuizAnalysisOut.of(await analysis.quiz_analysis(session, principal, attempt_id))
