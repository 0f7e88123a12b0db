"""Question bank and quiz authoring routes, quiz details and item statistics."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path, Query, Response

from campus.assessment.data import Difficulty, QuestionType
from campus.assessment.endpoints.errors import READ_ERRORS, WRITE_ERRORS, errors
from campus.assessment.schemas.quiz import (
    QuestionIn,
    QuestionOut,
    QuestionTranslationIn,
    QuizCreate,
    QuizOut,
    QuizQuestionsIn,
    QuizStatisticsOut,
    QuizUpdate,
)
from campus.assessment.service import questions, quizzes
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(tags=["question-bank"])
quiz_router = api_router(tags=["quizzes"])
Language = Annotated[str, Path(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$", max_length=35)]


@router.post(
    "/courses/{course_id}/questions",
    status_code=201,
    summary="Add a question to the course's question bank",
    response_model=QuestionOut,
    responses=WRITE_ERRORS,
)
async def create_question(
    course_id: uuid.UUID, body: QuestionIn, session: DbSession, principal: CurrentPrincipal
) -> QuestionOut:
    return QuestionOut.of(await questions.create_question(session, principal, course_id, body))


@router.get(
    "/courses/{course_id}/questions",
    summary="List the course's question bank (filter by topic, difficulty, type)",
    response_model=Page[QuestionOut],
    responses=READ_ERRORS,
)
async def list_questions(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    topic: str | None = Query(None, max_length=60),
    difficulty: Difficulty | None = None,
    type: QuestionType | None = None,
) -> Page[QuestionOut]:
    items, total = await questions.list_questions(
        session, principal, course_id, params, topic=topic, difficulty=difficulty, type_=type
    )
    return Page[QuestionOut].build([QuestionOut.of(q) for q in items], total, params)


@router.get(
    "/questions/{question_id}",
    summary="A question with its answer key",
    response_model=QuestionOut,
    responses=READ_ERRORS,
)
async def get_question(
    question_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> QuestionOut:
    return QuestionOut.of(await questions.get_question(session, principal, question_id))


@router.put(
    "/questions/{question_id}",
    summary="Replace a question's definition",
    response_model=QuestionOut,
    responses=WRITE_ERRORS,
)
async def replace_question(
    question_id: uuid.UUID, body: QuestionIn, session: DbSession, principal: CurrentPrincipal
) -> QuestionOut:
    return QuestionOut.of(await questions.replace_question(session, principal, question_id, body))


@router.delete(
    "/questions/{question_id}",
    status_code=204,
    summary="Archive a question (quizzes stop drawing it)",
    response_class=Response,
    responses=errors(401, 403, 404, 422),
)
async def archive_question(
    question_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await questions.archive_question(session, principal, question_id)
    return Response(status_code=204)


@router.put(
    "/questions/{question_id}/translations/{language}",
    summary="Add or replace a question's translation",
    response_model=QuestionOut,
    responses=WRITE_ERRORS,
)
async def put_translation(
    question_id: uuid.UUID,
    language: Language,
    body: QuestionTranslationIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> QuestionOut:
    question = await questions.put_translation(
        session,
        principal,
        question_id,
        language,
        text=body.text,
        explanation=body.explanation,
        hint=body.hint,
        options=body.options,
    )
    return QuestionOut.of(question)


@quiz_router.post(
    "/courses/{course_id}/quizzes",
    status_code=201,
    summary="Create a quiz",
    response_model=QuizOut,
    responses=WRITE_ERRORS,
)
async def create_quiz(
    course_id: uuid.UUID, body: QuizCreate, session: DbSession, principal: CurrentPrincipal
) -> QuizOut:
    settings = body.model_dump(exclude_unset=True, exclude={"question_ids"})
    return QuizOut.of(
        await quizzes.create_quiz(session, principal, course_id, settings, body.question_ids)
    )


@quiz_router.get(
    "/courses/{course_id}/quizzes",
    summary="The course's quizzes (learners see published ones)",
    response_model=Page[QuizOut],
    responses=READ_ERRORS,
)
async def list_quizzes(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[QuizOut]:
    items, total = await quizzes.list_quizzes(session, principal, course_id, params)
    return Page[QuizOut].build([QuizOut.of(q) for q in items], total, params)


@quiz_router.get(
    "/quizzes/{quiz_id}",
    summary="A quiz's settings (no questions, no answers)",
    response_model=QuizOut,
    responses=READ_ERRORS,
)
async def get_quiz(quiz_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal) -> QuizOut:
    return QuizOut.of(await quizzes.get_quiz(session, principal, quiz_id))


@quiz_router.patch(
    "/quizzes/{quiz_id}",
    summary="Change a quiz's settings or publish it",
    response_model=QuizOut,
    responses=WRITE_ERRORS,
)
async def update_quiz(
    quiz_id: uuid.UUID, body: QuizUpdate, session: DbSession, principal: CurrentPrincipal
) -> QuizOut:
    changes = body.model_dump(exclude_unset=True)
    return QuizOut.of(await quizzes.update_quiz(session, principal, quiz_id, changes))


@quiz_router.put(
    "/quizzes/{quiz_id}/questions",
    summary="Set the quiz's question pool (in display order)",
    response_model=QuizOut,
    responses=WRITE_ERRORS,
)
async def set_questions(
    quiz_id: uuid.UUID, body: QuizQuestionsIn, session: DbSession, principal: CurrentPrincipal
) -> QuizOut:
    return QuizOut.of(await quizzes.set_questions(session, principal, quiz_id, body.question_ids))


@quiz_router.get(
    "/quizzes/{quiz_id}/statistics",
    summary="Item statistics: difficulty, discrimination, option distribution",
    response_model=QuizStatisticsOut,
    responses=READ_ERRORS,
)
async def quiz_statistics(
    quiz_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> QuizStatisticsOut:
    return QuizStatisticsOut.of(await quizzes.quiz_statistics(session, principal, quiz_id))
