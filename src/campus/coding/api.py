"""The coding exercises' doorway for other contexts (ARCHITECTURE.md §3 rule 1), re-usable
through ``campus.coding.api``. Reads return frozen DTOs from ``coding.data``; none
of these check permissions."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding.data import CodeExerciseSummary, CodeLanguage, CodeResult, ExerciseStatus
from campus.coding.repository import exercises as exercises_repo
from campus.coding.repository import submissions as submissions_repo

__all__ = ["code_results", "get_exercise_summary"]


async def get_exercise_summary(
    session: AsyncSession, exercise_id: uuid.UUID
) -> CodeExerciseSummary | None:
    exercise = await exercises_repo.get_exercise(session, exercise_id)
    if exercise is None:
        return None
    return CodeExerciseSummary(
        id=exercise.id,
        course_id=exercise.course_id,
        module_id=exercise.module_id,
        lesson_id=exercise.lesson_id,
        title=exercise.title,
        language=CodeLanguage(exercise.language),
        max_score=exercise.max_score,
        status=ExerciseStatus(exercise.status),
    )


async def code_results(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> dict[uuid.UUID, CodeResult]:
    """The learner's results on each published exercise of the course (two queries)."""
    exercises = [
        e
        for e in await exercises_repo.exercises_of_course(session, course_id)
        if e.status == ExerciseStatus.PUBLISHED.value
    ]
    rows = {
        row[0]: row
        for row in await submissions_repo.best_results(session, [e.id for e in exercises], user_id)
    }
    out: dict[uuid.UUID, CodeResult] = {}
    for exercise in exercises:
        row = rows.get(exercise.id)
        out[exercise.id] = CodeResult(
            exercise_id=exercise.id,
            submissions=row[1] if row else 0,
            best_score=row[2] if row else None,
            passed=row[3] if row else False,
        )
    return out
