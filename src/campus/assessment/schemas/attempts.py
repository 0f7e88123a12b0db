"""Attempt wire models. Nothing a learner receives before the reveal point carries correctness,
accepted answers, explanations or option feedback."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from campus.assessment.data import AttemptStatus, QuestionType
from campus.assessment.service import records
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

    @classmethod
    def of(cls, choice: records.Choice) -> ChoiceOut:
        return cls(id=choice.id, text=choice.text)

    @classmethod
    def all_of(cls, choices: tuple[records.Choice, ...] | None) -> list[ChoiceOut] | None:
        return None if choices is None else [cls(id=c.id, text=c.text) for c in choices]


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

    @classmethod
    def of(cls, question: records.LearnerQuestion) -> AttemptQuestionOut:
        return cls(
            id=question.id,
            position=question.position,
            type=question.type,
            text=question.text,
            hint=question.hint,
            points=question.points,
            image_url=question.image_url,
            video_url=question.video_url,
            options=ChoiceOut.all_of(question.options),
            left=ChoiceOut.all_of(question.left),
            right=ChoiceOut.all_of(question.right),
            items=ChoiceOut.all_of(question.items),
            blank_count=question.blank_count,
        )


class SavedAnswerOut(ApiModel):
    question_id: uuid.UUID
    response: dict[str, Any]
    saved_at: datetime

    @classmethod
    def of(cls, answer: records.SavedAnswer) -> SavedAnswerOut:
        return cls(
            question_id=answer.question_id, response=dict(answer.response), saved_at=answer.saved_at
        )


class OptionFeedbackOut(ApiModel):
    option_id: uuid.UUID
    feedback: str

    @classmethod
    def of(cls, feedback: records.OptionFeedback) -> OptionFeedbackOut:
        return cls(option_id=feedback.option_id, feedback=feedback.feedback)


# A question's outcome with its key: built from a ``RevealedQuestion`` only (staff, or the
# learner past the reveal point). No docstring: it would become the schema's description.
class QuestionResultOut(ApiModel):
    question_id: uuid.UUID
    is_correct: bool
    fraction: Decimal | None
    points_awarded: Decimal
    correct_answer: dict[str, Any]
    explanation: str | None
    option_feedback: list[OptionFeedbackOut]

    @classmethod
    def of(cls, outcome: records.RevealedQuestion) -> QuestionResultOut:
        return cls(
            question_id=outcome.question_id,
            is_correct=outcome.is_correct,
            fraction=outcome.fraction,
            points_awarded=outcome.points_awarded,
            correct_answer=dict(outcome.correct_answer),
            explanation=outcome.explanation,
            option_feedback=[OptionFeedbackOut.of(f) for f in outcome.option_feedback],
        )


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

    @classmethod
    def of(cls, result: records.AttemptResult) -> AttemptResultOut:
        return cls(
            score_percent=result.score_percent,
            score_points=result.score_points,
            max_points=result.max_points,
            passed=result.passed,
            revealed=result.revealed,
            regraded_at=result.regraded_at,
            questions=None
            if result.questions is None
            else [QuestionResultOut.of(q) for q in result.questions],
        )


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

    @classmethod
    def of(cls, attempt: records.AttemptRecord) -> AttemptOut:
        return cls(
            id=attempt.id,
            quiz_id=attempt.quiz_id,
            user_id=attempt.user_id,
            attempt_number=attempt.attempt_number,
            status=attempt.status,
            started_at=attempt.started_at,
            deadline_at=attempt.deadline_at,
            submitted_at=attempt.submitted_at,
            auto_submitted=attempt.auto_submitted,
            time_taken_seconds=attempt.time_taken_seconds,
            questions=[AttemptQuestionOut.of(q) for q in attempt.questions],
            answers=[SavedAnswerOut.of(a) for a in attempt.answers],
            result=None if attempt.result is None else AttemptResultOut.of(attempt.result),
        )


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

    @classmethod
    def of(cls, summary: records.AttemptSummary) -> AttemptSummaryOut:
        return cls(
            id=summary.id,
            quiz_id=summary.quiz_id,
            user_id=summary.user_id,
            attempt_number=summary.attempt_number,
            status=summary.status,
            started_at=summary.started_at,
            submitted_at=summary.submitted_at,
            score_percent=summary.score_percent,
            passed=summary.passed,
            regraded_at=summary.regraded_at,
        )


class TopicLessonOut(ApiModel):
    topic: str
    lesson_id: uuid.UUID
    lesson_title: str

    @classmethod
    def of(cls, lesson: records.TopicLesson) -> TopicLessonOut:
        return cls(topic=lesson.topic, lesson_id=lesson.lesson_id, lesson_title=lesson.lesson_title)


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

    @classmethod
    def of(cls, analysis: records.QuizAnalysis) -> QuizAnalysisOut:
        return cls(
            attempt_id=analysis.attempt_id,
            performance_breakdown=dict(analysis.performance_breakdown),
            strong_topics=list(analysis.strong_topics),
            weak_topics=list(analysis.weak_topics),
            recommendations=[TopicLessonOut.of(x) for x in analysis.recommendations],
            avg_time_per_question_seconds=analysis.avg_time_per_question_seconds,
            time_management=analysis.time_management,
        )
