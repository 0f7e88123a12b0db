"""The gradebook: every learner x every published assessment of a course, a weighted course
grade, a letter and pass/fail. Built in a fixed number of queries whatever the number of
learners, assessments or attempts.

* quizzes count per their score policy: best, last or average of the submitted attempts;
* assignments and exams count their latest graded submission (after late penalties);
* coding exercises count the learner's best graded submission (percent of the exercise's
  max score), with weight 0: they are shown, but the course percent is the instructors'
  weighted quizzes and assignments only (exercises have no weight to set). Their scores come
  from assessment's projection of ``coding.events.CodeSubmissionGraded`` (``CodeScore``):
  assessment comes before coding in the context order, so it may not call ``coding.api``
  (docs/adr/0025); an exercise gets its column once someone's submission was graded;
* the course percent is ``sum(weight * score) / sum(weight)`` over every published assessment
  with a weight, a missing score counting 0; pass when it reaches the course's pass mark.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import ScorePolicy
from campus.assessment.exceptions import NotEnrolled
from campus.assessment.repository import assignments as assignments_repo
from campus.assessment.repository import attempts as attempts_repo
from campus.assessment.repository import code_scores as code_scores_repo
from campus.assessment.repository import questions as questions_repo
from campus.assessment.service import access
from campus.assessment.service.grading import course_grading, letter_for
from campus.assessment.service.records import Column, Gradebook, LearnerGrades
from campus.coding.events import CodeSubmissionGraded
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.pagination import PageParams
from campus.learning import api as learning

_Q = Decimal("0.01")
#: The gradebook column kind of a coding exercise.
CODE_EXERCISE = "code_exercise"


def policy_score(policy: str, rows: list[tuple[int, Decimal]]) -> Decimal:
    if policy == ScorePolicy.LAST.value:
        return max(rows)[1]
    if policy == ScorePolicy.AVERAGE.value:
        return (sum((r[1] for r in rows), Decimal(0)) / len(rows)).quantize(_Q, ROUND_HALF_UP)
    return max(r[1] for r in rows)


async def _build(
    session: AsyncSession, course_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> tuple[list[Column], list[LearnerGrades], int]:
    quizzes = await questions_repo.quizzes_of_course(session, course_id, published_only=True)
    works = await assignments_repo.assignments_of_course(
        session, course_id, kind=None, published_only=True
    )
    columns = [Column(q.id, "quiz", q.title, q.weight, q.score_policy) for q in quizzes] + [
        Column(a.id, a.kind, a.title, a.weight, None) for a in works
    ]
    policy = {q.id: q.score_policy for q in quizzes}
    attempts: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[int, Decimal]]] = {}
    for row in await attempts_repo.submitted_scores(session, list(policy), user_ids):
        attempts.setdefault((row.user_id, row.quiz_id), []).append(
            (row.attempt_number, Decimal(row.score_percent or 0))
        )
    graded: dict[tuple[uuid.UUID, uuid.UUID], tuple[int, Decimal]] = {}
    for row in await assignments_repo.graded_scores(session, [a.id for a in works], user_ids):
        key = (row.user_id, row.assignment_id)
        if key not in graded or graded[key][0] < row.attempt_number:
            graded[key] = (row.attempt_number, Decimal(row.score_percent or 0))
    exercise_titles, code_best = await code_scores_repo.best_scores(session, course_id, user_ids)
    columns += [
        Column(eid, CODE_EXERCISE, title, 0, "best") for eid, title in exercise_titles.items()
    ]
    bands, pass_percent = await course_grading(session, course_id)
    people = await identity.get_user_summaries(session, set(user_ids))
    total_weight = sum(c.weight for c in columns)
    rows: list[LearnerGrades] = []
    for uid in user_ids:
        scores: dict[str, Decimal | None] = {}
        weighted = Decimal(0)
        for column in columns:
            score: Decimal | None = None
            if column.kind == "quiz":
                found = attempts.get((uid, column.id))
                if found:
                    score = policy_score(policy[column.id], found)
            elif column.kind == CODE_EXERCISE:
                score = code_best.get((uid, column.id))
            elif (uid, column.id) in graded:
                score = graded[(uid, column.id)][1]
            scores[str(column.id)] = score
            weighted += Decimal(column.weight) * (score or Decimal(0))
        course_percent = (
            (weighted / total_weight).quantize(_Q, ROUND_HALF_UP) if total_weight else Decimal(0)
        ).quantize(_Q)
        person = people.get(uid)
        rows.append(
            LearnerGrades(
                user_id=uid,
                name=person.display_name if person else None,
                scores=scores,
                course_percent=course_percent,
                letter_grade=letter_for(course_percent, bands),
                passed=course_percent >= pass_percent,
            )
        )
    return columns, rows, pass_percent


async def record_code_grade(session: AsyncSession, event: CodeSubmissionGraded) -> None:
    """Keep the gradebook's copy of one coding verdict (the subscriber of
    ``CodeSubmissionGraded``): the score as a percent of the exercise's max score."""
    percent: Decimal | None = None
    if event.score is not None:
        percent = (
            (event.score * 100 / event.max_score).quantize(_Q, ROUND_HALF_UP)
            if event.max_score > 0
            else Decimal(0)
        )
    await code_scores_repo.record(
        session,
        {
            "submission_id": event.submission_id,
            "course_id": event.course_id,
            "exercise_id": event.exercise_id,
            "user_id": event.user_id,
            "exercise_title": (event.exercise_title or "Coding exercise")[:200],
            "score_percent": percent,
            "graded_at": event.graded_at,
        },
        title_known=event.exercise_title is not None,
    )


async def course_gradebook(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, params: PageParams
) -> Gradebook:
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id, grading=True)
    learners = sorted(await learning.enrolled_user_ids(session, course_id))
    page = learners[params.offset : params.offset + params.limit]
    columns, rows, pass_percent = await _build(session, course_id, page)
    return Gradebook(
        course_id=course_id,
        columns=tuple(columns),
        pass_percent=pass_percent,
        rows=tuple(rows),
        total=len(learners),
        page=params,
    )


async def my_gradebook(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> Gradebook:
    """The caller's own row, as a page of one."""
    await access.course(session, course_id)
    if not await access.is_enrolled(session, principal.user_id, course_id):
        raise NotEnrolled()
    columns, rows, pass_percent = await _build(session, course_id, [principal.user_id])
    return Gradebook(
        course_id=course_id,
        columns=tuple(columns),
        pass_percent=pass_percent,
        rows=tuple(rows),
        total=1,
        page=PageParams(page=1, limit=1),
    )


async def gradebook_csv(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> Iterator[str]:
    """The whole gradebook as CSV lines (computed up front in a fixed number of queries; the
    endpoint streams the lines)."""
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id, grading=True)
    learners = sorted(await learning.enrolled_user_ids(session, course_id))
    columns, rows, _ = await _build(session, course_id, learners)
    return _csv_lines(columns, rows)


def _safe_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # CSV injection: a cell starting with a formula character is quoted as text.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _csv_lines(columns: Sequence[Column], rows: Sequence[LearnerGrades]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(values: list[Any]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_safe_cell(v) for v in values])
        return buffer.getvalue()

    yield line(
        [
            "user_id",
            "name",
            *[f"{c.title} ({c.kind})" for c in columns],
            "course_percent",
            "letter_grade",
            "passed",
        ]
    )
    for row in rows:
        yield line(
            [
                row.user_id,
                row.name,
                *[row.scores.get(str(c.id)) for c in columns],
                row.course_percent,
                row.letter_grade,
                "yes" if row.passed else "no",
            ]
        )
