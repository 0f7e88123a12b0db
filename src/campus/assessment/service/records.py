"""The domain objects assessment's services return (frozen; ``schemas`` maps them to the wire).

What a learner and what course staff may see are different records wherever answers are at
stake: a ``StaffQuestion`` carries the answer key and option correctness and is only built for
the course's staff; a ``LearnerQuestion`` has no key, no explanation and no option feedback by
construction, and an ``AttemptResult`` holds ``RevealedQuestion``s (correct answers,
explanations, feedback) only when the reveal point was reached.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from campus.assessment.data import (
    AnalysisType,
    AssessmentKind,
    AttemptStatus,
    Difficulty,
    LatePolicy,
    PublicationStatus,
    QuestionType,
    RevealPolicy,
    ScorePolicy,
    SubmissionStatus,
    SubmissionType,
)
from campus.kernel.pagination import PageParams

# --------------------------------------------------------------------------- question bank


@dataclass(frozen=True, slots=True)
class StaffOption:
    """A choice option with its correctness and feedback (course staff only)."""

    id: uuid.UUID
    position: int
    text: str
    is_correct: bool
    feedback: str | None


@dataclass(frozen=True, slots=True)
class StaffQuestion:
    """A bank question with its answer key (course staff only)."""

    id: uuid.UUID
    course_id: uuid.UUID
    type: QuestionType
    text: str
    explanation: str | None
    hint: str | None
    points: int
    difficulty: Difficulty
    topics: tuple[str, ...]
    image_url: str | None
    video_url: str | None
    options: tuple[StaffOption, ...]
    prompt: dict[str, Any]
    answer_key: dict[str, Any]
    #: Languages the question has a translation in.
    translations: tuple[str, ...]
    created_at: datetime
    updated_at: datetime


# --------------------------------------------------------------------------- quizzes


@dataclass(frozen=True, slots=True)
class QuizRecord:
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
    #: Questions an attempt shows (the pool, or the draw when smaller).
    question_count: int
    #: The pool in display order: course staff only (``None`` for learners).
    question_ids: tuple[uuid.UUID, ...] | None
    #: Attempts the caller has started: learners only (``None`` for staff).
    attempts_used: int | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class OptionTally:
    """How often an option (or, for other types, an outcome such as ``correct``) was chosen."""

    option_id: uuid.UUID | None
    label: str
    count: int
    share: Decimal


@dataclass(frozen=True, slots=True)
class ItemStatistics:
    question_id: uuid.UUID
    text: str
    type: QuestionType
    responses: int
    difficulty_index: Decimal | None
    discrimination: Decimal | None
    point_biserial: Decimal | None
    options: tuple[OptionTally, ...]


@dataclass(frozen=True, slots=True)
class QuizStatistics:
    quiz_id: uuid.UUID
    submitted_attempts: int
    average_percent: Decimal | None
    pass_rate: Decimal | None
    questions: tuple[ItemStatistics, ...]


# --------------------------------------------------------------------------- attempts


@dataclass(frozen=True, slots=True)
class Choice:
    """Something a learner picks or arranges: an option, an ordering item, a matching side."""

    id: str
    text: str


@dataclass(frozen=True, slots=True)
class LearnerQuestion:
    """A question as a learner sees it in an attempt: no key, no explanation, no feedback.
    Only the fields of its type are set (choices in the learner's own order)."""

    id: uuid.UUID
    position: int
    type: QuestionType
    text: str
    hint: str | None
    points: int
    image_url: str | None
    video_url: str | None
    options: tuple[Choice, ...] | None = None
    left: tuple[Choice, ...] | None = None
    right: tuple[Choice, ...] | None = None
    items: tuple[Choice, ...] | None = None
    blank_count: int | None = None


@dataclass(frozen=True, slots=True)
class SavedAnswer:
    question_id: uuid.UUID
    response: dict[str, Any]
    saved_at: datetime


@dataclass(frozen=True, slots=True)
class OptionFeedback:
    option_id: uuid.UUID
    feedback: str


@dataclass(frozen=True, slots=True)
class RevealedQuestion:
    """A question's outcome with its correct answer, explanation and the feedback of the chosen
    options: shown to staff, and to the learner only past the quiz's reveal point."""

    question_id: uuid.UUID
    is_correct: bool
    fraction: Decimal | None
    points_awarded: Decimal
    correct_answer: dict[str, Any]
    explanation: str | None
    option_feedback: tuple[OptionFeedback, ...]


@dataclass(frozen=True, slots=True)
class AttemptResult:
    score_percent: Decimal
    score_points: Decimal
    max_points: int
    passed: bool
    #: Whether per-question correctness is shown (the quiz's reveal policy, or staff).
    revealed: bool
    regraded_at: datetime | None
    #: Per-question outcomes; only when ``revealed``.
    questions: tuple[RevealedQuestion, ...] | None

    def __post_init__(self) -> None:
        if self.questions is not None and not self.revealed:
            raise ValueError("per-question outcomes are only shown once revealed")


@dataclass(frozen=True, slots=True)
class AttemptRecord:
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
    questions: tuple[LearnerQuestion, ...]
    answers: tuple[SavedAnswer, ...]
    result: AttemptResult | None


@dataclass(frozen=True, slots=True)
class AttemptSummary:
    id: uuid.UUID
    quiz_id: uuid.UUID
    user_id: uuid.UUID
    attempt_number: int
    status: AttemptStatus
    started_at: datetime
    submitted_at: datetime | None
    score_percent: Decimal | None
    passed: bool | None
    regraded_at: datetime | None


@dataclass(frozen=True, slots=True)
class TopicLesson:
    topic: str
    lesson_id: uuid.UUID
    lesson_title: str


@dataclass(frozen=True, slots=True)
class QuizAnalysis:
    attempt_id: uuid.UUID
    #: Percent of the available points earned per topic.
    performance_breakdown: dict[str, Decimal]
    strong_topics: tuple[str, ...]
    weak_topics: tuple[str, ...]
    recommendations: tuple[TopicLesson, ...]
    avg_time_per_question_seconds: int | None
    time_management: str | None


# --------------------------------------------------------------------------- assignments


@dataclass(frozen=True, slots=True)
class FileRecord:
    """An uploaded file (an assignment's resource or a submission's file)."""

    id: uuid.UUID
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RubricLevel:
    label: str
    points: int
    description: str | None


@dataclass(frozen=True, slots=True)
class RubricCriterion:
    id: str
    title: str
    description: str | None
    levels: tuple[RubricLevel, ...]


@dataclass(frozen=True, slots=True)
class AssignmentRecord:
    """An assignment or exam with its resources."""

    id: uuid.UUID
    kind: AssessmentKind
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    title: str
    instructions: str | None
    status: PublicationStatus
    due_at: datetime | None
    max_marks: int
    passing_marks: int
    late_policy: LatePolicy
    late_penalty_percent_per_day: int
    submission_types: tuple[SubmissionType, ...]
    allowed_file_types: tuple[str, ...]
    max_file_bytes: int
    max_files: int
    max_submissions: int | None
    duration_minutes: int | None
    rubric: tuple[RubricCriterion, ...]
    weight: int
    resources: tuple[FileRecord, ...]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class GradeRecord:
    marks: Decimal | None
    penalty_percent: int
    final_marks: Decimal | None
    score_percent: Decimal | None
    letter_grade: str | None
    passed: bool | None
    feedback: str | None
    rubric_scores: dict[str, Any]
    graded_by: uuid.UUID | None
    graded_at: datetime | None


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    id: uuid.UUID
    assignment_id: uuid.UUID
    kind: AssessmentKind
    course_id: uuid.UUID
    user_id: uuid.UUID
    attempt_number: int
    status: SubmissionStatus
    text_answer: str | None
    link_url: str | None
    started_at: datetime
    deadline_at: datetime | None
    submitted_at: datetime | None
    auto_submitted: bool
    is_late: bool
    days_late: int
    files: tuple[FileRecord, ...]
    #: Staff always see it; the learner once the submission is graded or sent back for revision.
    grade: GradeRecord | None


# --------------------------------------------------------------------------- grading


@dataclass(frozen=True, slots=True)
class QueueItem:
    submission_id: uuid.UUID
    assignment_id: uuid.UUID
    assignment_title: str
    kind: AssessmentKind
    course_id: uuid.UUID
    user_id: uuid.UUID
    learner_name: str | None
    attempt_number: int
    status: SubmissionStatus
    submitted_at: datetime | None
    is_late: bool
    file_count: int


@dataclass(frozen=True, slots=True)
class GradeHistoryEntry:
    id: uuid.UUID
    action: str
    status: SubmissionStatus
    marks: Decimal | None
    final_marks: Decimal | None
    letter_grade: str | None
    feedback: str | None
    rubric_scores: dict[str, Any]
    actor_id: uuid.UUID
    created_at: datetime


@dataclass(frozen=True, slots=True)
class GradeBand:
    letter: str
    min_percent: Decimal


@dataclass(frozen=True, slots=True)
class GradeScale:
    """A course's letter bands (highest first) and pass mark."""

    course_id: uuid.UUID
    bands: tuple[GradeBand, ...]
    pass_percent: int


@dataclass(frozen=True, slots=True)
class AssignmentAnalysis:
    submission_id: uuid.UUID
    analysis_type: AnalysisType
    overall_score: int | None
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    suggestions: tuple[str, ...]
    detailed_feedback: str | None
    ai_model: str | None
    analyzed_by: uuid.UUID | None
    updated_at: datetime


# --------------------------------------------------------------------------- gradebook


@dataclass(frozen=True, slots=True)
class Column:
    """A gradebook column: a published quiz, assignment or exam, or a graded coding exercise."""

    id: uuid.UUID
    kind: str
    title: str
    weight: int
    score_policy: str | None


@dataclass(frozen=True, slots=True)
class LearnerGrades:
    """A learner's gradebook row."""

    user_id: uuid.UUID
    name: str | None
    #: Percent per column id; ``None`` where nothing counts yet.
    scores: dict[str, Decimal | None]
    course_percent: Decimal
    letter_grade: str | None
    passed: bool


@dataclass(frozen=True, slots=True)
class Gradebook:
    """One page of a course's gradebook: ``rows`` of the ``total`` learners at ``page``."""

    course_id: uuid.UUID
    columns: tuple[Column, ...]
    pass_percent: int
    rows: tuple[LearnerGrades, ...]
    total: int
    page: PageParams
