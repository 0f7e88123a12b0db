"""Attempt wire models. Nothing a learner receives before the reveal point carries correctness,
accepted answers, explanations or option feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from campus.assessment.data import AttemptStatus, QuestionType
from campus.kernel.schemas import ApiModel, CanonicalDecimal, InputModel


class AnswerIn(InputModel):
    """A response; give only the field of the question's type."""

    option_id: uuid.UUID | None = None
    option_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)
    value: bool | None = None
    text: str | None = Field(default=None, max_length=200)
    blanks: list[str] | None = Field(default=None, max_length=20)
    matches: dict[str, str] | None = Field(default=None, max_length=20)
    order: list[str] | None = Field(default=None, max_length=20)
    number: CanonicalDecimal | None = None


class ChoiceOut(ApiModel):
    id: str
    text: str


class AttemptQuestionOut(ApiModel):
    """A question as a learner sees it: no key, no explanation, no feedback."""

    id: uuid.UUID
    position: int
    type: QuestionType
    text: str
    hint: str | None
    points: int
    image_url: str | None
    video_url: str | None
    options: list[ChoiceOut] | None = None
    left: list[ChoiceOut] | None = None
    right: list[ChoiceOut] | None = None
    items: list[ChoiceOut] | None = None
    blank_count: int | None = None


class SavedAnswerOut(ApiModel):
    question_id: uuid.UUID
    response: dict[str, Any]
    saved_at: datetime


class OptionFeedbackOut(ApiModel):
    option_id: uuid.UUID
    feedback: str


class QuestionResultOut(ApiModel):
    question_id: uuid.UUID
    is_correct: bool
    fraction: Decimal | None
    points_awarded: Decimal
    correct_answer: dict[str, Any]
    explanation: str | None
    option_feedback: list[OptionFeedbackOut]


class AttemptResultOut(ApiModel):
    score_percent: Decimal
    score_points: Decimal
    max_points: int
    passed: bool
    #: Whether per-question correctness is shown (the quiz's reveal policy).
    revealed: bool
    #: When a corrected question last changed this result (``None``: graded once, at submission).
    regraded_at: datetime | None = None
    questions: list[QuestionResultOut] | None = None


class AttemptOut(ApiModel):
    id: uuid.UUID
    quiz_id: uuid.UUID
    user_id: uuid.UUID
    attempt_number: int
    status: AttemptStatus
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    auto_submitted: bool
    time_taken_seconds: int | None
    questions: list[AttemptQuestionOut]
    answers: list[SavedAnswerOut]
    result: AttemptResultOut | None = None


class AttemptSummaryOut(ApiModel):
    id: uuid.UUID
    quiz_id: uuid.UUID
    user_id: uuid.UUID
    attempt_number: int
    status: AttemptStatus
    started_at: datetime
    submitted_at: datetime | None
    score_percent: Decimal | None
    passed: bool | None
    regraded_at: datetime | None = None


class TopicLessonOut(ApiModel):
    topic: str
    lesson_id: uuid.UUID
    lesson_title: str


class QuizAnalysisOut(ApiModel):
    """Seed 003 ``QuizAnalysis``, computed from the attempt's data."""

    attempt_id: uuid.UUID
    source: str = "computed"
    #: Percent of the available points earned per topic.
    performance_breakdown: dict[str, Decimal]
    strong_topics: list[str]
    weak_topics: list[str]
    recommendations: list[TopicLessonOut]
    avg_time_per_question_seconds: int | None
    time_management: str | None
