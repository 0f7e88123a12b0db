"""Quizzes: authoring (settings, question pool, publication) and what learners see of them."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import PublicationStatus, RevealPolicy, ScorePolicy
from campus.assessment.exceptions import QuizNotFound
from campus.assessment.models import Quiz
from campus.assessment.repository import attempts as attempts_repo
from campus.assessment.repository import questions as repo
from campus.assessment.service import access, statistics
from campus.assessment.service.records import QuizRecord, QuizStatistics
from campus.catalog import api as catalog
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.pagination import PageParams

_DEFAULTS: dict[str, Any] = {
    "passing_score": 70,
    "shuffle_questions": False,
    "shuffle_options": False,
    "negative_marking_percent": 0,
    "reveal_policy": RevealPolicy.AFTER_SUBMISSION.value,
    "score_policy": ScorePolicy.BEST.value,
    "weight": 1,
    "status": PublicationStatus.DRAFT.value,
}
_SETTINGS = (
    "title",
    "description",
    "module_id",
    "lesson_id",
    "passing_score",
    "time_limit_seconds",
    "attempt_limit",
    "shuffle_questions",
    "shuffle_options",
    "draw_count",
    "negative_marking_percent",
    "available_from",
    "available_until",
    "due_at",
    "reveal_policy",
    "score_policy",
    "weight",
    "status",
)


def quiz_record(
    quiz: Quiz,
    pool: list[uuid.UUID] | int,
    *,
    staff: bool,
    attempts_used: int | None = None,
) -> QuizRecord:
    """The quiz as the caller sees it: the pool (``pool`` as ids) for staff only."""
    size = pool if isinstance(pool, int) else len(pool)
    return QuizRecord(
        id=quiz.id,
        course_id=quiz.course_id,
        module_id=quiz.module_id,
        lesson_id=quiz.lesson_id,
        title=quiz.title,
        description=quiz.description,
        status=PublicationStatus(quiz.status),
        passing_score=quiz.passing_score,
        time_limit_seconds=quiz.time_limit_seconds,
        attempt_limit=quiz.attempt_limit,
        shuffle_questions=quiz.shuffle_questions,
        shuffle_options=quiz.shuffle_options,
        draw_count=quiz.draw_count,
        negative_marking_percent=quiz.negative_marking_percent,
        available_from=quiz.available_from,
        available_until=quiz.available_until,
        due_at=quiz.due_at,
        reveal_policy=RevealPolicy(quiz.reveal_policy),
        score_policy=ScorePolicy(quiz.score_policy),
        weight=quiz.weight,
        question_count=min(size, quiz.draw_count) if quiz.draw_count else size,
        question_ids=tuple(pool) if staff and not isinstance(pool, int) else None,
        attempts_used=attempts_used,
        created_at=quiz.created_at,
        updated_at=quiz.updated_at,
    )


async def _check_lesson(session: AsyncSession, course_id: uuid.UUID, lesson_id: uuid.UUID) -> None:
    lesson = await catalog.get_lesson_content(session, lesson_id)
    if lesson is None or lesson.course_id != course_id:
        raise field_error("lessonId", "Not a lesson of this course.")


def _check_window(values: dict[str, Any]) -> None:
    start: datetime | None = values.get("available_from")
    end: datetime | None = values.get("available_until")
    if start and end and start >= end:
        raise field_error("availableUntil", "The window must end after it starts.")


async def _check_pool(
    session: AsyncSession, course_id: uuid.UUID, ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    if len(set(ids)) != len(ids):
        raise field_error("questionIds", "Questions must not repeat.")
    found = await repo.course_question_ids(session, course_id, ids)
    if found != set(ids):
        raise field_error("questionIds", "Use questions of this course's bank.")
    return ids


def _check_publishable(values: dict[str, Any], pool_size: int) -> None:
    if values.get("status") != PublicationStatus.PUBLISHED.value:
        return
    if pool_size == 0:
        raise field_error("status", "Add questions before publishing.")
    draw = values.get("draw_count")
    if draw and draw > pool_size:
        raise field_error("drawCount", "Cannot draw more questions than the pool holds.")


async def create_quiz(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    settings: Mapping[str, Any],
    question_ids: Sequence[uuid.UUID],
) -> QuizRecord:
    """``settings``: the quiz's settings that were given (by field name; the rest take their
    defaults); ``question_ids``: the pool in display order."""
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id)
    values = {**_DEFAULTS, **settings}
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
    _check_window(values)
    if values.get("lesson_id"):
        await _check_lesson(session, course_id, values["lesson_id"])
    pool = await _check_pool(session, course_id, list(question_ids))
    _check_publishable(values, len(pool))
    quiz = Quiz(course_id=course_id, created_by=principal.user_id, **values)
    session.add(quiz)
    await session.flush()
    await repo.set_pool(session, quiz.id, pool)
    if quiz.lesson_id is not None:
        await _link_lesson(session, quiz)
    return quiz_record(quiz, pool, staff=True)


async def _link_lesson(session: AsyncSession, quiz: Quiz) -> None:
    """Point the quiz lesson at the quiz (catalog keeps the id), however the quiz got its
    lesson: at creation or by an update. A lesson of another type is a 422 on ``lessonId``."""
    assert quiz.lesson_id is not None
    await catalog.set_lesson_assessment(
        session, quiz.lesson_id, course_id=quiz.course_id, quiz_id=quiz.id
    )


async def _staff_quiz(session: AsyncSession, principal: Principal, quiz_id: uuid.UUID) -> Quiz:
    quiz = await repo.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    await access.require_staff(session, principal, quiz.course_id)
    return quiz


async def update_quiz(
    session: AsyncSession, principal: Principal, quiz_id: uuid.UUID, changes: Mapping[str, Any]
) -> QuizRecord:
    """``changes``: the settings that were given, by field name (``None`` clears one)."""
    quiz = await _staff_quiz(session, principal, quiz_id)
    changes = {k: (v.value if hasattr(v, "value") else v) for k, v in changes.items()}
    for required in (
        "title",
        "passing_score",
        "shuffle_questions",
        "shuffle_options",
        "negative_marking_percent",
        "reveal_policy",
        "score_policy",
        "weight",
        "status",
    ):
        if required in changes and changes[required] is None:
            raise field_error(to_camel(required), "This setting cannot be empty.")
    merged = {k: changes.get(k, getattr(quiz, k)) for k in _SETTINGS}
    _check_window(merged)
    if changes.get("lesson_id"):
        await _check_lesson(session, quiz.course_id, changes["lesson_id"])
    pool = await repo.pool_ids(session, quiz.id)
    _check_publishable(merged, len(pool))
    for key, value in changes.items():
        setattr(quiz, key, value)
    quiz.updated_at = utcnow()
    quiz.revision += 1
    await session.flush()
    if changes.get("lesson_id"):
        await _link_lesson(session, quiz)
    return quiz_record(quiz, pool, staff=True)


async def set_questions(
    session: AsyncSession,
    principal: Principal,
    quiz_id: uuid.UUID,
    question_ids: Sequence[uuid.UUID],
) -> QuizRecord:
    """Replace the quiz's pool with ``question_ids`` (in display order)."""
    quiz = await _staff_quiz(session, principal, quiz_id)
    pool = await _check_pool(session, quiz.course_id, list(question_ids))
    _check_publishable({"status": quiz.status, "draw_count": quiz.draw_count}, len(pool))
    await repo.set_pool(session, quiz.id, pool)
    quiz.updated_at = utcnow()
    quiz.revision += 1
    return quiz_record(quiz, pool, staff=True)


async def visible_quiz(
    session: AsyncSession, principal: Principal, quiz_id: uuid.UUID
) -> tuple[Quiz, bool]:
    """The quiz and whether the caller is course staff. A draft is invisible to learners;
    learners who are not enrolled are refused (403)."""
    quiz = await repo.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    staff = await access.is_staff(session, principal, quiz.course_id, grading=True)
    if staff:
        return quiz, True
    if quiz.status != PublicationStatus.PUBLISHED.value:
        raise QuizNotFound()
    await access.staff_or_enrolled(session, principal, quiz.course_id)
    return quiz, False


async def get_quiz(session: AsyncSession, principal: Principal, quiz_id: uuid.UUID) -> QuizRecord:
    quiz, staff = await visible_quiz(session, principal, quiz_id)
    pool = await repo.pool_ids(session, quiz.id)
    used = None
    if not staff:
        used = (await attempts_repo.started_counts(session, principal.user_id, [quiz.id])).get(
            quiz.id, 0
        )
    return quiz_record(quiz, pool, staff=staff, attempts_used=used)


async def list_quizzes(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, params: PageParams
) -> tuple[list[QuizRecord], int]:
    await access.course(session, course_id)
    staff = await access.staff_or_enrolled(session, principal, course_id)
    quizzes, total = await repo.quiz_page(
        session, course_id, published_only=not staff, offset=params.offset, limit=params.limit
    )
    sizes = await repo.pool_sizes(session, [q.id for q in quizzes])
    used: dict[uuid.UUID, int] = {}
    if not staff:
        used = await attempts_repo.started_counts(
            session, principal.user_id, [q.id for q in quizzes]
        )
    items = [
        quiz_record(
            q, sizes.get(q.id, 0), staff=staff, attempts_used=None if staff else used.get(q.id, 0)
        )
        for q in quizzes
    ]
    return items, total


async def quiz_statistics(
    session: AsyncSession, principal: Principal, quiz_id: uuid.UUID
) -> QuizStatistics:
    quiz = await repo.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    await access.require_staff(session, principal, quiz.course_id, grading=True)
    pool = await repo.pool_ids(session, quiz.id)
    questions = await repo.questions_by_ids(session, pool)
    options = await repo.options_of(session, pool)
    attempts, answers = await attempts_repo.submitted_attempts_with_answers(session, quiz.id)
    return statistics.item_statistics(
        quiz.id, [questions[q] for q in pool if q in questions], options, attempts, answers
    )
