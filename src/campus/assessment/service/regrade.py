"""Regrading submitted quiz attempts after an instructor corrected a question.

Attempts store which questions were drawn (``question_ids``) and the learner's responses, not a
copy of the questions: grading always reads the question bank. Correcting a question's key,
points or correct options (``service.questions.replace_question``) enqueues
``assessment.regrade_question``; the job regrades every submitted attempt that drew the question
against the current version of all its questions and the quiz's current settings (negative
marking, passing score), one chunk of attempts per run, each run enqueueing the next.

* Idempotent: an attempt whose recomputed grading equals what is stored is left alone, so a
  redelivered or repeated job changes nothing and publishes nothing.
* No N+1: a chunk costs a fixed number of queries (the attempts, their answers, the questions
  and options of all of them, their quizzes), then batched writes.
* An attempt whose grading changed gets ``regradedAt`` and ``assessment.attempt_regraded``; one
  that now passes and did not before also gets ``assessment.quiz_passed`` (learning completes
  a lesson once per learner, so a repeated pass never counts twice). An attempt that passed and
  now fails is stored as failed, but progress already granted for it is kept: nothing is taken
  back from the learner.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events
from campus.assessment.models import Attempt, AttemptAnswer, Quiz
from campus.assessment.repository import attempts as repo
from campus.assessment.repository import questions as questions_repo
from campus.assessment.service import sheets
from campus.assessment.service.questions import keyed
from campus.assessment.service.scoring import KeyedQuestion, fraction, grade_sheet
from campus.kernel.clock import utcnow
from campus.kernel.errors import ValidationFailed
from campus.kernel.events import publish
from campus.kernel.outbox import enqueue_job

CHUNK_SIZE = 200
_CENT = Decimal("0.01")
_SHARE = Decimal("0.0001")  # the stored precision of an answer's fraction


def _q(value: Decimal | None, step: Decimal) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(step)


def _gradable(question: KeyedQuestion | None, response: Mapping[str, Any]) -> bool:
    """Whether a saved response still fits the question (a question whose type changed may
    hold responses of the old shape: they count as unanswered)."""
    if question is None:
        return False
    try:
        fraction(question, response)
    except (ValidationFailed, ValueError, TypeError, KeyError, AttributeError):
        return False
    return True


def _regrade(
    attempt: Attempt,
    quiz: Quiz,
    questions: Mapping[uuid.UUID, KeyedQuestion],
    answers: Sequence[AttemptAnswer],
    now: datetime,
) -> tuple[Decimal | None, bool | None] | None:
    """Recompute one attempt; write and return its previous (score, passed) when anything
    changed, else ``None``."""
    drawn = [questions[q] for q in (uuid.UUID(x) for x in attempt.question_ids) if q in questions]
    responses = {
        a.question_id: a.response
        for a in answers
        if _gradable(questions.get(a.question_id), a.response)
    }
    result = grade_sheet(drawn, responses, quiz.negative_marking_percent)
    passed = result.percent >= quiz.passing_score
    per_answer = {
        a.question_id: result.per_question.get(a.question_id, (None, Decimal(0))) for a in answers
    }
    changed = (
        _q(attempt.score_points, _CENT) != _q(result.points, _CENT)
        or attempt.max_points != result.max_points
        or _q(attempt.score_percent, _CENT) != _q(result.percent, _CENT)
        or attempt.passed is not passed
        or any(
            _q(a.fraction, _SHARE) != _q(per_answer[a.question_id][0], _SHARE)
            or _q(a.points_awarded, _CENT) != _q(per_answer[a.question_id][1], _CENT)
            for a in answers
        )
    )
    if not changed:
        return None
    previous = (attempt.score_percent, attempt.passed)
    for answer in answers:  # written by the next flush (batched UPDATEs)
        share, earned = per_answer[answer.question_id]
        answer.fraction, answer.points_awarded = _q(share, _SHARE), earned
    attempt.score_points = result.points
    attempt.max_points = result.max_points
    attempt.score_percent = result.percent
    attempt.passed = passed
    attempt.regraded_at = now
    return previous


async def regrade_chunk(
    session: AsyncSession,
    question_id: uuid.UUID,
    after: uuid.UUID | None,
    *,
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """Regrade the next chunk of submitted attempts holding the question (the job's body);
    returns how many attempts changed. A full chunk enqueues the job for the next one."""
    question = (await questions_repo.questions_by_ids(session, [question_id])).get(question_id)
    if question is None:
        return 0
    batch = await repo.submitted_holding(
        session, question.course_id, question_id, after=after, limit=chunk_size
    )
    if not batch:
        return 0
    if len(batch) == chunk_size:
        await enqueue_job(
            session,
            events.REGRADE_JOB,
            {"questionId": str(question_id), "after": str(batch[-1].id)},
        )
    answers = await repo.answers_of_attempts(session, [a.id for a in batch])
    sheet = await sheets.load(session, list({uuid.UUID(x) for a in batch for x in a.question_ids}))
    quizzes = await questions_repo.quizzes_by_ids(session, {a.quiz_id for a in batch})
    keyed_questions = {
        qid: keyed(q, sheet.options.get(qid, [])) for qid, q in sheet.questions.items()
    }
    now = utcnow()
    changed = 0
    for attempt in batch:
        quiz = quizzes[attempt.quiz_id]
        previous = _regrade(attempt, quiz, keyed_questions, answers[attempt.id], now)
        if previous is None:
            continue
        changed += 1
        await _publish(session, attempt, quiz, question_id, previous, now)
    await session.flush()
    return changed


async def _publish(
    session: AsyncSession,
    attempt: Attempt,
    quiz: Quiz,
    question_id: uuid.UUID,
    previous: tuple[Decimal | None, bool | None],
    now: datetime,
) -> None:
    score = _q(attempt.score_percent, _CENT)
    await publish(
        session,
        events.AttemptRegraded(
            attempt_id=attempt.id,
            user_id=attempt.user_id,
            course_id=attempt.course_id,
            quiz_id=quiz.id,
            question_id=question_id,
            previous_score_percent=_q(previous[0], _CENT),
            score_percent=score,
            previous_passed=bool(previous[1]),
            passed=bool(attempt.passed),
            regraded_at=now,
        ),
    )
    if attempt.passed and not previous[1]:
        await publish(
            session,
            events.QuizPassed(
                user_id=attempt.user_id,
                course_id=attempt.course_id,
                quiz_id=quiz.id,
                lesson_id=quiz.lesson_id,
                attempt_id=attempt.id,
                score_percent=score,
            ),
        )
