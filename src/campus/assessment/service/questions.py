"""The question bank: authoring questions of every type, their keys and translations."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Protocol

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events
from campus.assessment.data import Difficulty, QuestionType
from campus.assessment.exceptions import QuestionNotFound
from campus.assessment.models import Question, QuestionOption
from campus.assessment.repository import questions as repo
from campus.assessment.service import access
from campus.assessment.service.records import StaffOption, StaffQuestion
from campus.assessment.service.scoring import (
    KeyedQuestion,
    OptionKey,
    compile_pattern,
    normalize_text,
)
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import ValidationFailed, field_error
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams


class OptionDefinition(Protocol):
    """A choice option as an author gives it (``schemas.quiz.OptionIn``)."""

    @property
    def id(self) -> uuid.UUID | None: ...
    @property
    def text(self) -> str: ...
    @property
    def is_correct(self) -> bool: ...
    @property
    def feedback(self) -> str | None: ...


class BlankDefinition(Protocol):
    @property
    def accepted_answers(self) -> Sequence[str]: ...
    @property
    def pattern(self) -> str | None: ...


class PairDefinition(Protocol):
    @property
    def left(self) -> str: ...
    @property
    def right(self) -> str: ...


class QuestionDefinition(Protocol):
    """What authoring reads of a question definition (``schemas.quiz.QuestionIn``, already
    checked field by field): the common fields, and the definition fields of its type."""

    @property
    def type(self) -> QuestionType: ...
    @property
    def text(self) -> str: ...
    @property
    def explanation(self) -> str | None: ...
    @property
    def hint(self) -> str | None: ...
    @property
    def points(self) -> int: ...
    @property
    def difficulty(self) -> Difficulty: ...
    @property
    def topics(self) -> Sequence[str]: ...
    @property
    def image_url(self) -> str | None: ...
    @property
    def video_url(self) -> str | None: ...
    @property
    def options(self) -> Sequence[OptionDefinition] | None: ...
    @property
    def true_false_answer(self) -> bool | None: ...
    @property
    def accepted_answers(self) -> Sequence[str] | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def blanks(self) -> Sequence[BlankDefinition] | None: ...
    @property
    def pairs(self) -> Sequence[PairDefinition] | None: ...
    @property
    def items(self) -> Sequence[str] | None: ...
    @property
    def numeric_answer(self) -> Decimal | None: ...
    @property
    def tolerance(self) -> Decimal | None: ...


#: The definition fields each type takes (anything else given is a 422).
_TYPE_FIELDS: dict[QuestionType, set[str]] = {
    QuestionType.SINGLE_CHOICE: {"options"},
    QuestionType.MULTIPLE_CHOICE: {"options"},
    QuestionType.TRUE_FALSE: {"true_false_answer"},
    QuestionType.SHORT_ANSWER: {"accepted_answers", "pattern"},
    QuestionType.FILL_BLANKS: {"blanks"},
    QuestionType.MATCHING: {"pairs"},
    QuestionType.ORDERING: {"items"},
    QuestionType.NUMERIC: {"numeric_answer", "tolerance"},
}
_DEFINITION_FIELDS = set().union(*_TYPE_FIELDS.values())


def _accepted(values: Sequence[str], pattern: str | None, field: str) -> dict[str, Any]:
    if not values and not pattern:
        raise field_error(field, "Give at least one accepted answer or a pattern.")
    if pattern:
        compile_pattern(pattern, "pattern" if field == "acceptedAnswers" else field)
    accepted = sorted({normalize_text(v) for v in values})
    return {"accepted": accepted, "pattern": pattern or None, "display": list(values[:1])}


class _Reuse:
    """Ids of the replaced definition's options/items, handed out again by text so that saved
    responses keep pointing at the same choices after a correction."""

    def __init__(self, by_text: Sequence[tuple[str, str]]) -> None:
        self._free: dict[str, list[str]] = {}
        for text, ident in by_text:
            self._free.setdefault(text, []).append(ident)
        self.known = {ident for _, ident in by_text}
        self.claimed: set[str] = set()

    def claim(self, ident: str) -> bool:
        if ident not in self.known or ident in self.claimed:
            return False
        self.claimed.add(ident)
        return True

    def by_text(self, text: str) -> str | None:
        for ident in self._free.get(text, []):
            if ident not in self.claimed:
                self.claimed.add(ident)
                return ident
        return None


def _item_ids(texts: Sequence[str], reuse: _Reuse) -> list[dict[str, str]]:
    # Random (not time-ordered) ids: sorting them must reveal nothing about the key.
    return [{"id": reuse.by_text(t) or uuid.uuid4().hex[:12], "text": t} for t in texts]


def build_definition(
    body: QuestionDefinition,
    question_id: uuid.UUID,
    previous: tuple[Question, Sequence[QuestionOption]] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], list[QuestionOption]]:
    """Turn an authoring payload into (learner prompt, answer key, options); 422 when the
    payload does not fit its type. With ``previous`` (a replacement of the same type), options
    and matching/ordering items keep their ids where they continue an existing one."""
    t = body.type
    same_type = previous is not None and previous[0].type == t.value
    sent = {f for f in _DEFINITION_FIELDS if getattr(body, f) is not None}
    extra = sent - _TYPE_FIELDS[t]
    if extra:
        raise ValidationFailed(
            "These fields do not belong to this question type.",
            details={
                "fields": [
                    {
                        "field": to_camel(f),
                        "message": f"Not used by {t.value} questions.",
                        "code": "field_not_allowed",
                    }
                    for f in sorted(extra)
                ]
            },
        )
    prompt: dict[str, Any] = {}
    key: dict[str, Any] = {}
    options: list[QuestionOption] = []
    if t in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        if not body.options:
            raise field_error("options", "Give at least two options.")
        correct = sum(1 for o in body.options if o.is_correct)
        if t is QuestionType.SINGLE_CHOICE and correct != 1:
            raise field_error("options", "Exactly one option must be correct.")
        if t is QuestionType.MULTIPLE_CHOICE and correct < 1:
            raise field_error("options", "At least one option must be correct.")
        reuse = _Reuse([(o.text, str(o.id)) for o in previous[1]] if previous and same_type else [])
        for i, o in enumerate(body.options):
            if o.id is not None and not reuse.claim(str(o.id)):
                raise field_error(f"options.{i}.id", "Not an option of this question.")
        ids = [
            o.id if o.id is not None else uuid.UUID(reuse.by_text(o.text) or str(new_id()))
            for o in body.options
        ]
        options = [
            QuestionOption(
                id=ids[i],
                question_id=question_id,
                position=i,
                text=o.text,
                is_correct=o.is_correct,
                feedback=o.feedback,
            )
            for i, o in enumerate(body.options)
        ]
    elif t is QuestionType.TRUE_FALSE:
        if body.true_false_answer is None:
            raise field_error("trueFalseAnswer", "Say whether the statement is true.")
        key = {"value": body.true_false_answer}
    elif t is QuestionType.SHORT_ANSWER:
        key = _accepted(body.accepted_answers or [], body.pattern, "acceptedAnswers")
    elif t is QuestionType.FILL_BLANKS:
        blanks = body.blanks or []
        if not blanks:
            raise field_error("blanks", "Give at least one blank.")
        key = {
            "blanks": [
                _accepted(b.accepted_answers, b.pattern, f"blanks.{i}")
                for i, b in enumerate(blanks)
            ]
        }
        prompt = {"blankCount": len(blanks)}
    elif t is QuestionType.MATCHING:
        pairs = body.pairs or []
        if len(pairs) < 2:
            raise field_error("pairs", "Give at least two pairs.")
        old_prompt = (previous[0].prompt or {}) if previous and same_type else {}
        left = _item_ids(
            [p.left for p in pairs],
            _Reuse([(x["text"], x["id"]) for x in old_prompt.get("left", [])]),
        )
        right = _item_ids(
            [p.right for p in pairs],
            _Reuse([(x["text"], x["id"]) for x in old_prompt.get("right", [])]),
        )
        prompt = {"left": left, "right": sorted(right, key=lambda x: x["id"])}
        key = {"pairs": {a["id"]: b["id"] for a, b in zip(left, right, strict=True)}}
    elif t is QuestionType.ORDERING:
        old_prompt = (previous[0].prompt or {}) if previous and same_type else {}
        items = _item_ids(
            list(body.items or []),
            _Reuse([(x["text"], x["id"]) for x in old_prompt.get("items", [])]),
        )
        if len(items) < 2:
            raise field_error("items", "Give at least two items.")
        prompt = {"items": sorted(items, key=lambda x: x["id"])}
        key = {"order": [x["id"] for x in items]}
    else:
        if body.numeric_answer is None:
            raise field_error("numericAnswer", "Give the numeric answer.")
        key = {"value": str(body.numeric_answer), "tolerance": str(body.tolerance or 0)}
    return prompt, key, options


def keyed(question: Question, options: Sequence[QuestionOption]) -> KeyedQuestion:
    return KeyedQuestion(
        id=question.id,
        type=QuestionType(question.type),
        points=question.points,
        prompt=question.prompt or {},
        answer_key=question.answer_key or {},
        options=tuple(OptionKey(o.id, o.is_correct) for o in options),
    )


def grading_fingerprint(question: Question, options: Sequence[QuestionOption]) -> str:
    """Everything a question's grading depends on, as one comparable string."""
    return json.dumps(
        [
            question.type,
            question.points,
            question.answer_key or {},
            sorted((str(o.id), o.is_correct) for o in options),
        ],
        sort_keys=True,
        default=str,
    )


def staff_question(
    question: Question, options: Sequence[QuestionOption], languages: Sequence[str]
) -> StaffQuestion:
    return StaffQuestion(
        id=question.id,
        course_id=question.course_id,
        type=QuestionType(question.type),
        text=question.text,
        explanation=question.explanation,
        hint=question.hint,
        points=question.points,
        difficulty=Difficulty(question.difficulty),
        topics=tuple(question.topics or []),
        image_url=question.image_url,
        video_url=question.video_url,
        options=tuple(
            StaffOption(
                id=o.id,
                position=o.position,
                text=o.text,
                is_correct=o.is_correct,
                feedback=o.feedback,
            )
            for o in options
        ),
        prompt=dict(question.prompt or {}),
        answer_key=dict(question.answer_key or {}),
        translations=tuple(languages),
        created_at=question.created_at,
        updated_at=question.updated_at,
    )


def _topics(values: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(" ".join(v.split()) for v in values))


async def _one(session: AsyncSession, question: Question) -> StaffQuestion:
    options = await repo.options_of(session, [question.id])
    languages = await repo.translation_languages(session, [question.id])
    return staff_question(question, options[question.id], languages[question.id])


async def _staff_question(
    session: AsyncSession, principal: Principal, question_id: uuid.UUID, *, lock: bool = False
) -> Question:
    question = await repo.get_question(session, question_id, lock=lock)
    if question is None:
        raise QuestionNotFound()
    if not await access.is_staff(session, principal, question.course_id):
        raise QuestionNotFound()  # the bank is invisible to everyone but the course's staff
    return question


async def create_question(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, body: QuestionDefinition
) -> StaffQuestion:
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id)
    for i, option in enumerate(body.options or []):
        if option.id is not None:  # ids are the server's to give
            raise field_error(f"options.{i}.id", "A new question's options have no ids yet.")
    question_id = new_id()
    prompt, key, options = build_definition(body, question_id)
    question = Question(
        id=question_id,
        course_id=course_id,
        type=body.type.value,
        text=body.text,
        explanation=body.explanation,
        hint=body.hint,
        points=body.points,
        difficulty=body.difficulty.value,
        topics=_topics(body.topics),
        image_url=body.image_url,
        video_url=body.video_url,
        prompt=prompt,
        answer_key=key,
        created_by=principal.user_id,
    )
    await repo.add_question(session, question, options)
    return staff_question(question, options, [])


async def replace_question(
    session: AsyncSession, principal: Principal, question_id: uuid.UUID, body: QuestionDefinition
) -> StaffQuestion:
    """Replace a question's definition. Options and items keep their ids where they continue
    an existing one; when what grading depends on changed (type, points, key, correct options),
    the submitted attempts holding the question are regraded by a job (``service.regrade``)."""
    question = await _staff_question(session, principal, question_id, lock=True)
    old_options = (await repo.options_of(session, [question.id]))[question.id]
    before = grading_fingerprint(question, old_options)
    prompt, key, options = build_definition(body, question.id, (question, old_options))
    question.type = body.type.value
    question.text = body.text
    question.explanation = body.explanation
    question.hint = body.hint
    question.points = body.points
    question.difficulty = body.difficulty.value
    question.topics = _topics(body.topics)
    question.image_url = body.image_url
    question.video_url = body.video_url
    question.prompt = prompt
    question.answer_key = key
    question.updated_at = utcnow()
    await repo.replace_options(session, question.id, old_options, options)
    await repo.touch_quizzes_of(session, question.id, question.updated_at)
    if grading_fingerprint(question, options) != before:
        await enqueue_job(
            session, events.REGRADE_JOB, {"questionId": str(question.id), "after": None}
        )
    return await _one(session, question)


async def get_question(
    session: AsyncSession, principal: Principal, question_id: uuid.UUID
) -> StaffQuestion:
    return await _one(session, await _staff_question(session, principal, question_id))


async def archive_question(
    session: AsyncSession, principal: Principal, question_id: uuid.UUID
) -> None:
    question = await _staff_question(session, principal, question_id, lock=True)
    question.archived = True
    question.updated_at = utcnow()
    await repo.touch_quizzes_of(session, question.id, question.updated_at)


async def list_questions(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    params: PageParams,
    *,
    topic: str | None,
    difficulty: Difficulty | None,
    type_: QuestionType | None,
) -> tuple[list[StaffQuestion], int]:
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id)
    rows, total = await repo.list_questions(
        session,
        course_id,
        topic=topic,
        difficulty=difficulty.value if difficulty else None,
        type_=type_.value if type_ else None,
        offset=params.offset,
        limit=params.limit,
    )
    ids = [q.id for q in rows]
    options = await repo.options_of(session, ids)
    languages = await repo.translation_languages(session, ids)
    return [staff_question(q, options[q.id], languages[q.id]) for q in rows], total


async def put_translation(
    session: AsyncSession,
    principal: Principal,
    question_id: uuid.UUID,
    language: str,
    *,
    text: str,
    explanation: str | None,
    hint: str | None,
    options: Mapping[uuid.UUID, str],
) -> StaffQuestion:
    """Add or replace the question's translation into ``language``; ``options`` are the
    options' texts by option id."""
    question = await _staff_question(session, principal, question_id)
    known = {o.id for o in (await repo.options_of(session, [question.id]))[question.id]}
    if not set(options) <= known:
        raise field_error("options", "Translate options of this question only.")
    await repo.touch_quizzes_of(session, question.id, utcnow())
    await repo.upsert_translation(
        session,
        {
            "question_id": question.id,
            "language": language,
            "text": text,
            "explanation": explanation,
            "hint": hint,
            "options": {str(k): v for k, v in options.items()},
        },
    )
    return await _one(session, question)
