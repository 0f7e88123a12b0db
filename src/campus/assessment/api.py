"""Assessment's doorway for other contexts (ARCHITECTURE.md §3 rule 1). Reads return frozen
DTOs from ``assessment.data``; none of these check permissions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import (
    AssessmentKind,
    AssignmentSummary,
    PublicationStatus,
    QuizResult,
    QuizSummary,
)
from campus.assessment.repository import assignments as assignments_repo
from campus.assessment.repository import attempts as attempts_repo
from campus.assessment.repository import questions as questions_repo
from campus.assessment.service.gradebook import policy_score

__all__ = [
    "get_assignment_summary",
    "get_quiz_summary",
    "passed_quiz_ids",
    "quiz_results",
]


async def get_quiz_summary(session: AsyncSession, quiz_id: uuid.UUID) -> QuizSummary | None:
    quiz = await questions_repo.get_quiz(session, quiz_id)
    if quiz is None:
        return None
    return QuizSummary(
        id=quiz.id,
        course_id=quiz.course_id,
        module_id=quiz.module_id,
        lesson_id=quiz.lesson_id,
        title=quiz.title,
        passing_score=quiz.passing_score,
        status=PublicationStatus(quiz.status),
    )


async def get_assignment_summary(
    session: AsyncSession, assignment_id: uuid.UUID
) -> AssignmentSummary | None:
    assignment = await assignments_repo.get_assignment(session, assignment_id)
    if assignment is None:
        return None
    return AssignmentSummary(
        id=assignment.id,
        course_id=assignment.course_id,
        module_id=assignment.module_id,
        lesson_id=assignment.lesson_id,
        kind=AssessmentKind(assignment.kind),
        title=assignment.title,
        max_marks=assignment.max_marks,
        status=PublicationStatus(assignment.status),
    )


async def quiz_results(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> dict[uuid.UUID, QuizResult]:
    """The learner's counted result on each published quiz of the course (three queries)."""
    quizzes = await questions_repo.quizzes_of_course(session, course_id, published_only=True)
    rows = await attempts_repo.submitted_scores(session, [q.id for q in quizzes], [user_id])
    by_quiz: dict[uuid.UUID, list[tuple[int, object]]] = {}
    passed: set[uuid.UUID] = set()
    for row in rows:
        by_quiz.setdefault(row.quiz_id, []).append((row.attempt_number, row.score_percent))
        if row.passed:
            passed.add(row.quiz_id)
    out: dict[uuid.UUID, QuizResult] = {}
    for quiz in quizzes:
        found = by_quiz.get(quiz.id, [])
        score = policy_score(quiz.score_policy, found) if found else None  # type: ignore[arg-type]
        out[quiz.id] = QuizResult(quiz.id, len(found), score, quiz.id in passed)
    return out


async def passed_quiz_ids(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> frozenset[uuid.UUID]:
    """Published quizzes of the course the learner has passed at least once."""
    return frozenset(
        q for q, r in (await quiz_results(session, user_id, course_id)).items() if r.passed
    )
