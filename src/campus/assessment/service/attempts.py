"""Quiz attempts: start, fetch, autosave, submit, resume, and automatic submission.

Invariants under concurrency (ARCHITECTURE.md §3 rule 5):

* starting first upserts the (learner, quiz) counter row, which takes its row lock until the
  transaction ends: the open-attempt check and the attempt-limit check that follow run one start
  at a time per learner and quiz. A partial unique index (one ``in_progress`` attempt per learner
  and quiz) and ``unique(user, quiz, attempt_number)`` back this up;
* saving and submitting lock the attempt row, so an answer is either saved before the
  submission grades the sheet or refused after it;
* answers after the deadline (plus ``assessment_answer_grace_seconds``) are refused; an open
  attempt past its deadline is submitted with what was saved by a job scheduled at the deadline,
  or by the next read, whichever comes first.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events, policies
from campus.assessment.data import AttemptStatus, PublicationStatus, QuestionType, RevealPolicy
from campus.assessment.exceptions import (
    AttemptClosed,
    AttemptInProgress,
    AttemptLimitReached,
    AttemptNotFound,
    DeadlinePassed,
    NotEnrolled,
    QuestionNotInAttempt,
    QuizNotAvailable,
    QuizNotFound,
)
from campus.assessment.models import (
    Attempt,
    AttemptAnswer,
    Question,
    QuestionOption,
    QuestionTranslation,
    Quiz,
)
from campus.assessment.repository import attempts as repo
from campus.assessment.repository import questions as questions_repo
from campus.assessment.service import access, deadlines, sheets
from campus.assessment.service.questions import keyed
from campus.assessment.service.records import (
    AttemptRecord,
    AttemptResult,
    AttemptSummary,
    Choice,
    LearnerQuestion,
    OptionFeedback,
    RevealedQuestion,
    SavedAnswer,
)
from campus.assessment.service.scoring import check_response, correct_response, grade_sheet
from campus.assessment.service.sheets import Sheet
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams

_random = secrets.SystemRandom()


def _ids(attempt: Attempt) -> list[uuid.UUID]:
    return [uuid.UUID(x) for x in attempt.question_ids]


def _shuffled(values: list[str], avoid: list[str] | None = None) -> list[str]:
    """A random order that is neither the stored order nor ``avoid`` (an ordering question's
    correct order: showing it would give the answer away)."""
    out = list(values)
    if len(out) < 2:
        return out
    for _ in range(20):
        _random.shuffle(out)
        if out != values and out != avoid:
            return out
    # Two items whose stored order is not the answer: keep the stored order.
    return values[1:] + values[:1] if values == avoid else list(values)


def _layout(quiz: Quiz, sheet: Sheet, ids: Sequence[uuid.UUID]) -> dict[str, Any]:
    layout: dict[str, Any] = {}
    for qid in ids:
        question = sheet.questions[qid]
        t = QuestionType(question.type)
        entry: dict[str, list[str]] = {}
        if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
            opts = [str(o.id) for o in sheet.options.get(qid, [])]
            entry["options"] = _shuffled(opts) if quiz.shuffle_options else opts
        elif t is QuestionType.ORDERING:
            entry["items"] = _shuffled(
                [x["id"] for x in question.prompt.get("items", [])],
                list((question.answer_key or {}).get("order", [])),
            )
        elif t is QuestionType.MATCHING:
            right = [x["id"] for x in question.prompt.get("right", [])]
            entry["right"] = _shuffled(right) if quiz.shuffle_options else right
        if entry:
            layout[str(qid)] = entry
    return layout


def _question_view(
    question: Question,
    options: Sequence[QuestionOption],
    layout: Mapping[str, Any],
    position: int,
    translation: QuestionTranslation | None = None,
) -> LearnerQuestion:
    t = QuestionType(question.type)
    entry = layout.get(str(question.id), {})
    view: dict[str, Any] = {}
    texts = translation.options if translation else {}
    if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        by_id = {str(o.id): texts.get(str(o.id), o.text) for o in options}
        order = [x for x in entry.get("options", list(by_id)) if x in by_id]
        view["options"] = tuple(Choice(x, by_id[x]) for x in order)
    elif t is QuestionType.ORDERING:
        by_id = {x["id"]: x["text"] for x in question.prompt.get("items", [])}
        view["items"] = tuple(Choice(x, by_id[x]) for x in entry.get("items", list(by_id)))
    elif t is QuestionType.MATCHING:
        right = {x["id"]: x["text"] for x in question.prompt.get("right", [])}
        view["left"] = tuple(Choice(x["id"], x["text"]) for x in question.prompt["left"])
        view["right"] = tuple(Choice(x, right[x]) for x in entry.get("right", list(right)))
    elif t is QuestionType.FILL_BLANKS:
        view["blank_count"] = int(question.prompt.get("blankCount", 0))
    return LearnerQuestion(
        id=question.id,
        position=position,
        type=t,
        text=translation.text if translation else question.text,
        hint=(translation.hint or question.hint) if translation else question.hint,
        points=question.points,
        image_url=question.image_url,
        video_url=question.video_url,
        **view,
    )


@dataclass(frozen=True, slots=True)
class _View:
    """A question's learner view without position and order: the fields, and its choices by
    id, ready to be arranged in one learner's layout."""

    fields: dict[str, Any]
    options: dict[str, Choice]
    items: dict[str, Choice]
    right: dict[str, Choice]
    left: tuple[Choice, ...] | None


def _view_of(question: Question, options: Sequence[QuestionOption]) -> _View:
    prompt = question.prompt or {}
    t = QuestionType(question.type)
    return _View(
        fields={
            "id": question.id,
            "type": t,
            "text": question.text,
            "hint": question.hint,
            "points": question.points,
            "image_url": question.image_url,
            "video_url": question.video_url,
            "blank_count": int(prompt.get("blankCount", 0))
            if t is QuestionType.FILL_BLANKS
            else None,
        },
        options={str(o.id): Choice(str(o.id), o.text) for o in options},
        items={x["id"]: Choice(x["id"], x["text"]) for x in prompt.get("items", [])},
        right={x["id"]: Choice(x["id"], x["text"]) for x in prompt.get("right", [])},
        left=tuple(Choice(x["id"], x["text"]) for x in prompt["left"])
        if t is QuestionType.MATCHING
        else None,
    )


def _arranged(view: _View, layout: Mapping[str, Any], position: int) -> LearnerQuestion:
    """The view in one learner's order (the sheet's views are shared by every start of the
    revision, so only the arrangement is per learner)."""
    t: QuestionType = view.fields["type"]
    entry = layout.get(str(view.fields["id"]), {})
    arranged: dict[str, Any] = {"options": None, "left": None, "right": None, "items": None}
    if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        order = entry.get("options", list(view.options))
        arranged["options"] = tuple(view.options[x] for x in order if x in view.options)
    elif t is QuestionType.ORDERING:
        arranged["items"] = tuple(view.items[x] for x in entry.get("items", list(view.items)))
    elif t is QuestionType.MATCHING:
        arranged["left"] = view.left
        arranged["right"] = tuple(view.right[x] for x in entry.get("right", list(view.right)))
    return LearnerQuestion(position=position, **view.fields, **arranged)


def _learner_questions(
    attempt: Attempt, sheet: Sheet, ids: Sequence[uuid.UUID] | None = None
) -> tuple[LearnerQuestion, ...]:
    out = []
    for i, qid in enumerate(_ids(attempt) if ids is None else ids):
        question = sheet.questions.get(qid)
        if question is None:
            continue
        translation = sheet.translations.get(qid)
        if translation is not None:
            out.append(
                _question_view(question, sheet.options.get(qid, []), attempt.layout, i, translation)
            )
            continue
        view = sheet.views.get(qid)
        if view is None:
            view = sheet.views[qid] = _view_of(question, sheet.options.get(qid, []))
        out.append(_arranged(view, attempt.layout, i))
    return tuple(out)


def _result(
    attempt: Attempt,
    sheet: Sheet,
    answers: Sequence[AttemptAnswer],
    reveal: bool,
) -> AttemptResult | None:
    if attempt.status != AttemptStatus.SUBMITTED.value or attempt.score_percent is None:
        return None
    details = None
    if reveal:
        saved = {a.question_id: a for a in answers}
        details = []
        for qid in _ids(attempt):
            question = sheet.questions.get(qid)
            if question is None:
                continue
            options = sheet.options.get(qid, [])
            answer = saved.get(qid)
            chosen = set()
            if answer is not None:
                chosen = set(answer.response.get("optionIds") or [answer.response.get("optionId")])
            details.append(
                RevealedQuestion(
                    question_id=qid,
                    is_correct=answer is not None and answer.fraction == 1,
                    fraction=answer.fraction if answer else None,
                    points_awarded=(answer.points_awarded or Decimal(0)) if answer else Decimal(0),
                    correct_answer=correct_response(keyed(question, options)),
                    explanation=_explanation(sheet, question),
                    option_feedback=tuple(
                        OptionFeedback(option_id=o.id, feedback=o.feedback)
                        for o in options
                        if o.feedback and str(o.id) in chosen
                    ),
                )
            )
    return AttemptResult(
        score_percent=attempt.score_percent,
        score_points=attempt.score_points or Decimal(0),
        max_points=attempt.max_points or 0,
        passed=bool(attempt.passed),
        revealed=reveal,
        regraded_at=attempt.regraded_at,
        questions=None if details is None else tuple(details),
    )


def _explanation(sheet: Sheet, question: Question) -> str | None:
    translation = sheet.translations.get(question.id)
    if translation is not None and translation.explanation:
        return translation.explanation
    return question.explanation


def _saved_answers(answers: Sequence[AttemptAnswer]) -> tuple[SavedAnswer, ...]:
    return tuple(
        SavedAnswer(question_id=a.question_id, response=dict(a.response), saved_at=a.saved_at)
        for a in sorted(answers, key=lambda a: str(a.question_id))
    )


def _reveal_for(quiz: Quiz, attempt: Attempt, staff: bool) -> bool:
    if staff:
        return True
    return policies.reveals(
        RevealPolicy(quiz.reveal_policy),
        submitted=attempt.status == AttemptStatus.SUBMITTED.value,
        passed=bool(attempt.passed),
        due_at=quiz.due_at or quiz.available_until,
        now=utcnow(),
    )


async def _view(
    session: AsyncSession,
    quiz: Quiz,
    attempt: Attempt,
    *,
    staff: bool,
    sheet: Sheet | None = None,
    answers: list[AttemptAnswer] | None = None,
    language: str | None = None,
) -> AttemptRecord:
    """The attempt as the caller sees it: its result's per-question outcomes only for staff or
    once the quiz's reveal point is reached."""
    sheet = sheet or await sheets.load(session, _ids(attempt), language)
    if answers is None:
        answers = await repo.answers_of(session, attempt.id)
    return AttemptRecord(
        id=attempt.id,
        quiz_id=attempt.quiz_id,
        user_id=attempt.user_id,
        attempt_number=attempt.attempt_number,
        status=AttemptStatus(attempt.status),
        started_at=attempt.started_at,
        deadline_at=attempt.deadline_at,
        submitted_at=attempt.submitted_at,
        auto_submitted=attempt.auto_submitted,
        time_taken_seconds=attempt.time_taken_seconds,
        questions=_learner_questions(attempt, sheet),
        answers=_saved_answers(answers),
        result=_result(attempt, sheet, answers, _reveal_for(quiz, attempt, staff)),
    )


# --------------------------------------------------------------------------- closing


def _expired(attempt: Attempt, grace_seconds: int, now: datetime) -> bool:
    return attempt.status == AttemptStatus.IN_PROGRESS.value and deadlines.is_over(
        attempt.deadline_at, grace_seconds, now
    )


async def finalize(
    session: AsyncSession, quiz: Quiz, attempt: Attempt, *, auto: bool, sheet: Sheet | None = None
) -> tuple[Sheet, list[AttemptAnswer]]:
    """Grade what was saved and close the attempt (the caller holds the attempt's row lock)."""
    sheet = sheet or await sheets.load(session, _ids(attempt))
    answers = await repo.answers_of(session, attempt.id)
    keyed_questions = [
        keyed(sheet.questions[q], sheet.options.get(q, []))
        for q in _ids(attempt)
        if q in sheet.questions
    ]
    responses = {a.question_id: a.response for a in answers}
    result = grade_sheet(keyed_questions, responses, quiz.negative_marking_percent)
    for answer in answers:  # written by the flush below (one batched UPDATE)
        share, earned = result.per_question.get(answer.question_id, (None, Decimal(0)))
        answer.fraction, answer.points_awarded = share, earned
    now = utcnow()
    closed_at = min(now, attempt.deadline_at) if auto and attempt.deadline_at else now
    passed = result.percent >= quiz.passing_score
    attempt.status = AttemptStatus.SUBMITTED.value
    attempt.submitted_at = closed_at
    attempt.auto_submitted = auto
    attempt.score_points = result.points
    attempt.max_points = result.max_points
    attempt.score_percent = result.percent
    attempt.passed = passed
    attempt.time_taken_seconds = max(0, int((closed_at - attempt.started_at).total_seconds()))
    await session.flush()
    await publish(
        session,
        events.AttemptSubmitted(
            attempt_id=attempt.id,
            user_id=attempt.user_id,
            course_id=attempt.course_id,
            quiz_id=quiz.id,
            lesson_id=quiz.lesson_id,
            attempt_number=attempt.attempt_number,
            score_percent=result.percent,
            passed=passed,
            auto_submitted=auto,
            submitted_at=closed_at,
        ),
    )
    if passed:
        await publish(
            session,
            events.QuizPassed(
                user_id=attempt.user_id,
                course_id=attempt.course_id,
                quiz_id=quiz.id,
                lesson_id=quiz.lesson_id,
                attempt_id=attempt.id,
                score_percent=result.percent,
            ),
        )
    return sheet, answers


async def expire_if_due(
    session: AsyncSession, quiz: Quiz, attempt: Attempt, grace_seconds: int
) -> None:
    """Lazy auto-submission: an open attempt past its deadline is closed on the next read."""
    if _expired(attempt, grace_seconds, utcnow()):
        locked = await repo.get_attempt(session, attempt.id, lock=True)
        if locked is not None and _expired(locked, grace_seconds, utcnow()):
            await finalize(session, quiz, locked, auto=True)


async def auto_submit(session: AsyncSession, attempt_id: uuid.UUID, grace_seconds: int) -> bool:
    """The scheduled job: close the attempt if it is still open and its time is over."""
    attempt = await repo.get_attempt(session, attempt_id, lock=True)
    if attempt is None or not _expired(attempt, grace_seconds, utcnow()):
        return False
    quiz = await questions_repo.get_quiz(session, attempt.quiz_id)
    assert quiz is not None
    await finalize(session, quiz, attempt, auto=True)
    return True


# --------------------------------------------------------------------------- learner actions


async def _quiz_for_learner(
    session: AsyncSession, principal: Principal, quiz_id: uuid.UUID
) -> Quiz:
    quiz = await questions_repo.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    if quiz.status != PublicationStatus.PUBLISHED.value:
        if await access.is_staff(session, principal, quiz.course_id):
            raise QuizNotAvailable("Publish the quiz before it can be attempted.")
        raise QuizNotFound()
    if not await access.is_enrolled(session, principal.user_id, quiz.course_id):
        raise NotEnrolled()
    return quiz


async def start_attempt(
    session: AsyncSession,
    principal: Principal,
    quiz_id: uuid.UUID,
    grace_seconds: int,
    language: str | None = None,
) -> AttemptRecord:
    principal.require_verified_email("submit")
    quiz = await _quiz_for_learner(session, principal, quiz_id)
    now = utcnow()
    if (quiz.available_from and now < quiz.available_from) or (
        quiz.available_until and now >= quiz.available_until
    ):
        raise QuizNotAvailable(
            details={
                "availableFrom": _iso(quiz.available_from),
                "availableUntil": _iso(quiz.available_until),
            }
        )
    # Serialises starts of this learner on this quiz (see the module docstring).
    number = await repo.bump_counter(session, principal.user_id, quiz.id)
    # The counter counts every start that committed: on the first there is nothing open.
    current = None if number == 1 else await repo.open_attempt(session, principal.user_id, quiz.id)
    if current is not None:
        if not _expired(current, grace_seconds, now):
            raise AttemptInProgress(details={"attemptId": str(current.id)})
        await finalize(session, quiz, current, auto=True)
    if quiz.attempt_limit is not None and number > quiz.attempt_limit:
        raise AttemptLimitReached(details={"attemptLimit": quiz.attempt_limit})
    pool, sheet = await sheets.quiz_sheet(session, quiz, language)
    if quiz.draw_count and quiz.draw_count < len(pool):
        drawn = _random.sample(pool, quiz.draw_count)
        if not quiz.shuffle_questions:
            drawn.sort(key=pool.index)
    else:
        drawn = list(pool)
        if quiz.shuffle_questions:
            _random.shuffle(drawn)
    drawn = [q for q in drawn if q in sheet.questions and not sheet.questions[q].archived]
    deadline = quiz.available_until
    if quiz.time_limit_seconds:
        deadline = deadlines.ends_at(
            now, timedelta(seconds=quiz.time_limit_seconds), quiz.available_until
        )
    attempt = Attempt(
        id=new_id(),
        quiz_id=quiz.id,
        user_id=principal.user_id,
        course_id=quiz.course_id,
        attempt_number=number,
        status=AttemptStatus.IN_PROGRESS.value,
        started_at=now,
        deadline_at=deadline,
        auto_submitted=False,
        question_ids=[str(q) for q in drawn],
        layout=_layout(quiz, sheet, drawn),
    )
    # A plain INSERT (the session does not track the new row: nothing later in the request
    # reads it back through the ORM).
    await repo.insert_attempt(session, attempt)
    if deadline is not None:
        await enqueue_job(
            session,
            events.AUTO_SUBMIT_JOB,
            {"attemptId": str(attempt.id)},
            run_at=deadlines.auto_submit_at(deadline, grace_seconds),
        )
    return AttemptRecord(
        id=attempt.id,
        quiz_id=quiz.id,
        user_id=attempt.user_id,
        attempt_number=number,
        status=AttemptStatus.IN_PROGRESS,
        started_at=now,
        deadline_at=deadline,
        submitted_at=None,
        auto_submitted=False,
        time_taken_seconds=None,
        questions=_learner_questions(attempt, sheet, drawn),
        answers=(),
        result=None,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def _visible_attempt(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID, *, lock: bool = False
) -> tuple[Attempt, bool]:
    """The attempt and whether the caller is course staff; another learner's attempt is a 404."""
    attempt = await repo.get_attempt(session, attempt_id, lock=lock)
    if attempt is None:
        raise AttemptNotFound()
    if attempt.user_id == principal.user_id:
        return attempt, False
    if await access.is_staff(session, principal, attempt.course_id, grading=True):
        return attempt, True
    raise AttemptNotFound()


async def _quiz_of(session: AsyncSession, attempt: Attempt) -> Quiz:
    quiz = await questions_repo.get_quiz(session, attempt.quiz_id)
    assert quiz is not None
    return quiz


async def get_attempt(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    grace_seconds: int,
    language: str | None = None,
) -> AttemptRecord:
    attempt, staff = await _visible_attempt(session, principal, attempt_id)
    quiz = await _quiz_of(session, attempt)
    await expire_if_due(session, quiz, attempt, grace_seconds)
    return await _view(session, quiz, attempt, staff=staff, language=language)


async def current_attempt(
    session: AsyncSession,
    principal: Principal,
    quiz_id: uuid.UUID,
    grace_seconds: int,
    language: str | None = None,
) -> AttemptRecord:
    quiz = await _quiz_for_learner(session, principal, quiz_id)
    attempt = await repo.open_attempt(session, principal.user_id, quiz.id)
    if attempt is None:
        raise AttemptNotFound("No attempt is in progress.")
    await expire_if_due(session, quiz, attempt, grace_seconds)
    if attempt.status != AttemptStatus.IN_PROGRESS.value:
        raise AttemptNotFound("No attempt is in progress (the last one ran out of time).")
    return await _view(session, quiz, attempt, staff=False, language=language)


async def save_answer(
    session: AsyncSession,
    principal: Principal,
    attempt_id: uuid.UUID,
    question_id: uuid.UUID,
    response: Mapping[str, Any],
    grace_seconds: int,
) -> SavedAnswer:
    """Save the learner's ``response`` to one question: the one field of the question's type
    (``option_id``, ``option_ids``, ``value``, ``text``, ``blanks``, ``matches``, ``order`` or
    ``number``; fields given as ``None`` count as absent)."""
    attempt = await repo.get_attempt(session, attempt_id, lock=True)
    if attempt is None or attempt.user_id != principal.user_id:
        raise AttemptNotFound()
    if attempt.status != AttemptStatus.IN_PROGRESS.value:
        raise AttemptClosed()
    now = utcnow()
    if _expired(attempt, grace_seconds, now):
        raise DeadlinePassed(details={"deadline": _iso(attempt.deadline_at)})
    if str(question_id) not in attempt.question_ids:
        raise QuestionNotInAttempt()
    sheet = await sheets.load(session, [question_id])
    question = sheet.questions.get(question_id)
    if question is None:
        raise QuestionNotInAttempt()
    checked = check_response(keyed(question, sheet.options.get(question_id, [])), response)
    await repo.upsert_answer(session, attempt.id, question_id, checked, now)
    return SavedAnswer(question_id=question_id, response=checked, saved_at=now)


async def submit_attempt(
    session: AsyncSession, principal: Principal, attempt_id: uuid.UUID, grace_seconds: int
) -> AttemptRecord:
    attempt = await repo.get_attempt(session, attempt_id, lock=True)
    if attempt is None or attempt.user_id != principal.user_id:
        raise AttemptNotFound()
    if attempt.status != AttemptStatus.IN_PROGRESS.value:
        raise AttemptClosed()
    quiz = await _quiz_of(session, attempt)
    # Past the deadline the attempt closes with what was saved, exactly as the job would.
    auto = _expired(attempt, grace_seconds, utcnow())
    sheet, answers = await finalize(session, quiz, attempt, auto=auto)
    return await _view(session, quiz, attempt, staff=False, sheet=sheet, answers=answers)


async def list_attempts(
    session: AsyncSession, principal: Principal, quiz_id: uuid.UUID, params: PageParams
) -> tuple[list[AttemptSummary], int]:
    quiz = await questions_repo.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    staff = await access.staff_or_enrolled(session, principal, quiz.course_id)
    rows, total = await repo.attempts_of(
        session,
        quiz.id,
        user_id=None if staff else principal.user_id,
        offset=params.offset,
        limit=params.limit,
    )
    items = [
        AttemptSummary(
            id=a.id,
            quiz_id=a.quiz_id,
            user_id=a.user_id,
            attempt_number=a.attempt_number,
            status=AttemptStatus(a.status),
            started_at=a.started_at,
            submitted_at=a.submitted_at,
            score_percent=a.score_percent,
            passed=a.passed,
            regraded_at=a.regraded_at,
        )
        for a in rows
    ]
    return items, total
