"""Question bank and quiz wire models. Staff models carry answer keys; learner models never do."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field, model_validator

from campus.assessment.data import (
    Difficulty,
    PublicationStatus,
    QuestionType,
    RevealPolicy,
    ScorePolicy,
)
from campus.assessment.schemas.fields import LongText, ShortText, Title, Tolerance, Topic, WebUrl
from campus.assessment.service import records
from campus.kernel.schemas import ApiModel, CanonicalDecimal, InputModel, Instant

AnswerText = Field(min_length=1, max_length=200)


class OptionIn(InputModel):
    """An option. When replacing a question, ``id`` names the existing option this one
    continues (saved answers keep pointing at it); an option without an id continues the
    existing option with the same text, if any, else it is new."""

    id: uuid.UUID | None = None
    text: ShortText
    is_correct: bool = False
    feedback: ShortText | None = None


class BlankIn(InputModel):
    accepted_answers: list[str] = Field(default_factory=list, max_length=20)
    pattern: str | None = Field(default=None, max_length=200)


class PairIn(InputModel):
    left: ShortText
    right: ShortText


class QuestionIn(InputModel):
    """A question definition. Give the fields of its type only: ``options`` (choice types),
    ``trueFalseAnswer``, ``acceptedAnswers``/``pattern`` (short answer), ``blanks``,
    ``pairs`` (matching), ``items`` in their correct order (ordering), ``numericAnswer`` and
    ``tolerance`` (numeric)."""

    type: QuestionType
    text: str = Field(min_length=1, max_length=10_000)
    explanation: LongText | None = None
    hint: ShortText | None = None
    points: int = Field(default=1, ge=1, le=100)
    difficulty: Difficulty = Difficulty.MEDIUM
    topics: list[Topic] = Field(default_factory=list, max_length=20)
    image_url: WebUrl | None = None
    video_url: WebUrl | None = None
    options: list[OptionIn] | None = Field(default=None, min_length=2, max_length=20)
    true_false_answer: bool | None = None
    accepted_answers: list[str] | None = Field(default=None, max_length=20)
    pattern: str | None = Field(default=None, max_length=200)
    blanks: list[BlankIn] | None = Field(default=None, min_length=1, max_length=20)
    pairs: list[PairIn] | None = Field(default=None, min_length=2, max_length=20)
    items: list[ShortText] | None = Field(default=None, min_length=2, max_length=20)
    numeric_answer: CanonicalDecimal | None = None
    tolerance: Tolerance | None = None

    @model_validator(mode="after")
    def _answer_strings(self) -> QuestionIn:
        for value in [
            *(self.accepted_answers or []),
            *[a for b in self.blanks or [] for a in b.accepted_answers],
        ]:
            if not 1 <= len(value) <= 200:
                raise ValueError("accepted answers are 1..200 characters")
        return self


class QuestionTranslationIn(InputModel):
    text: str = Field(min_length=1, max_length=10_000)
    explanation: LongText | None = None
    hint: ShortText | None = None
    #: Option texts by option id.
    options: dict[uuid.UUID, ShortText] = Field(default_factory=dict, max_length=20)


class OptionOut(ApiModel):
    id: uuid.UUID
    position: int
    text: str
    is_correct: bool
    feedback: str | None

    @classmethod
    def of(cls, option: records.StaffOption) -> OptionOut:
        return cls(
            id=option.id,
            position=option.position,
            text=option.text,
            is_correct=option.is_correct,
            feedback=option.feedback,
        )


class QuestionOut(ApiModel):
    """A question with its answer key (course staff only)."""

    id: uuid.UUID
    course_id: uuid.UUID
    type: QuestionType
    text: str
    explanation: str | None
    hint: str | None
    points: int
    difficulty: Difficulty
    topics: list[str]
    image_url: str | None
    video_url: str | None
    options: list[OptionOut]
    prompt: dict[str, Any]
    answer_key: dict[str, Any]
    translations: list[str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, question: records.StaffQuestion) -> QuestionOut:
        return cls(
            id=question.id,
            course_id=question.course_id,
            type=question.type,
            text=question.text,
            explanation=question.explanation,
            hint=question.hint,
            points=question.points,
            difficulty=question.difficulty,
            topics=list(question.topics),
            image_url=question.image_url,
            video_url=question.video_url,
            options=[OptionOut.of(o) for o in question.options],
            prompt=dict(question.prompt),
            answer_key=dict(question.answer_key),
            translations=list(question.translations),
            created_at=question.created_at,
            updated_at=question.updated_at,
        )


class QuizFields(InputModel):
    description: LongText | None = None
    module_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None
    passing_score: int | None = Field(default=None, ge=0, le=100)
    time_limit_seconds: int | None = Field(default=None, ge=10, le=7 * 24 * 3600)
    attempt_limit: int | None = Field(default=None, ge=1, le=100)
    shuffle_questions: bool | None = None
    shuffle_options: bool | None = None
    draw_count: int | None = Field(default=None, ge=1, le=500)
    negative_marking_percent: int | None = Field(default=None, ge=0, le=100)
    available_from: Instant | None = None
    available_until: Instant | None = None
    due_at: Instant | None = None
    reveal_policy: RevealPolicy | None = None
    score_policy: ScorePolicy | None = None
    weight: int | None = Field(default=None, ge=0, le=1000)
    status: PublicationStatus | None = None


class QuizCreate(QuizFields):
    title: Title
    question_ids: list[uuid.UUID] = Field(default_factory=list, max_length=500)


class QuizUpdate(QuizFields):
    title: Title | None = None


class QuizQuestionsIn(InputModel):
    """The complete pool, in display order."""

    question_ids: list[uuid.UUID] = Field(max_length=500)


class QuizOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    title: str
    description: str | None
    status: PublicationStatus
    passing_score: int
    time_limit_seconds: int | None
    attempt_limit: int | None
    shuffle_questions: bool
    shuffle_options: bool
    draw_count: int | None
    negative_marking_percent: int
    available_from: datetime | None
    available_until: datetime | None
    due_at: datetime | None
    reveal_policy: RevealPolicy
    score_policy: ScorePolicy
    weight: int
    question_count: int
    #: The pool (course staff only).
    question_ids: list[uuid.UUID] | None = None
    #: Attempts the caller has started (learners only).
    attempts_used: int | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, quiz: records.QuizRecord) -> QuizOut:
        return cls(
            id=quiz.id,
            course_id=quiz.course_id,
            module_id=quiz.module_id,
            lesson_id=quiz.lesson_id,
            title=quiz.title,
            description=quiz.description,
            status=quiz.status,
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
            reveal_policy=quiz.reveal_policy,
            score_policy=quiz.score_policy,
            weight=quiz.weight,
            question_count=quiz.question_count,
            question_ids=None if quiz.question_ids is None else list(quiz.question_ids),
            attempts_used=quiz.attempts_used,
            created_at=quiz.created_at,
            updated_at=quiz.updated_at,
        )


class OptionStat(ApiModel):
    option_id: uuid.UUID | None
    label: str
    count: int
    share: Decimal

    @classmethod
    def of(cls, tally: records.OptionTally) -> OptionStat:
        return cls(
            option_id=tally.option_id, label=tally.label, count=tally.count, share=tally.share
        )


class QuestionStat(ApiModel):
    question_id: uuid.UUID
    text: str
    type: QuestionType
    responses: int
    #: Share of answered responses that were fully correct (the classical p-value).
    difficulty_index: Decimal | None
    #: Upper minus lower 27 % groups' share correct (-1..1).
    discrimination: Decimal | None
    #: Point-biserial correlation of the item with the attempt score.
    point_biserial: Decimal | None
    options: list[OptionStat]

    @classmethod
    def of(cls, item: records.ItemStatistics) -> QuestionStat:
        return cls(
            question_id=item.question_id,
            text=item.text,
            type=item.type,
            responses=item.responses,
            difficulty_index=item.difficulty_index,
            discrimination=item.discrimination,
            point_biserial=item.point_biserial,
            options=[OptionStat.of(o) for o in item.options],
        )


class QuizStatisticsOut(ApiModel):
    quiz_id: uuid.UUID
    submitted_attempts: int
    average_percent: Decimal | None
    pass_rate: Decimal | None
    questions: list[QuestionStat]

    @classmethod
    def of(cls, statistics: records.QuizStatistics) -> QuizStatisticsOut:
        return cls(
            quiz_id=statistics.quiz_id,
            submitted_attempts=statistics.submitted_attempts,
            average_percent=statistics.average_percent,
            pass_rate=statistics.pass_rate,
            questions=[QuestionStat.of(q) for q in statistics.questions],
        )
