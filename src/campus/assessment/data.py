"""Assessment's public data: enums and frozen DTOs other contexts may import (the doorway)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission

# --------------------------------------------------------------------------- permissions

GRADING_ANY: Final = "grading:any"

PERMISSIONS: Final[tuple[Permission, ...]] = (Permission(GRADING_ANY, "Grade any submission."),)


class QuestionType(StrEnum):
    SINGLE_CHOICE = "single_choice"
    MULTIPLE_CHOICE = "multiple_choice"
    TRUE_FALSE = "true_false"
    SHORT_ANSWER = "short_answer"
    FILL_BLANKS = "fill_blanks"
    MATCHING = "matching"
    ORDERING = "ordering"
    NUMERIC = "numeric"


class Difficulty(StrEnum):
    EASY = "EASY"
    MEDIUM = "MEDIUM"
    HARD = "HARD"


class RevealPolicy(StrEnum):
    """When a learner may see per-question correctness, correct answers and explanations."""

    NEVER = "never"
    AFTER_SUBMISSION = "after_submission"
    AFTER_DUE_DATE = "after_due_date"
    AFTER_PASSING = "after_passing"


class PublicationStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"


class ScorePolicy(StrEnum):
    """Which attempt counts in the gradebook."""

    BEST = "best"
    LAST = "last"
    AVERAGE = "average"


class AssessmentKind(StrEnum):
    ASSIGNMENT = "assignment"
    EXAM = "exam"


class LatePolicy(StrEnum):
    ACCEPT = "accept"
    PENALTY = "penalty"
    REFUSE = "refuse"


class SubmissionType(StrEnum):
    TEXT = "text"
    FILE = "file"
    LINK = "link"


class SubmissionStatus(StrEnum):
    #: An assignment submission being assembled (text, link, files) before it is handed in.
    PENDING = "pending"
    #: An exam that has been started and not yet handed in.
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    LATE = "late"
    GRADED = "graded"
    REVISION_REQUIRED = "revision_required"


OPEN_SUBMISSION_STATUSES = frozenset({SubmissionStatus.PENDING, SubmissionStatus.IN_PROGRESS})
UNGRADED_STATUSES = frozenset({SubmissionStatus.SUBMITTED, SubmissionStatus.LATE})


class AnalysisType(StrEnum):
    MANUAL = "MANUAL"
    AI = "AI"
    HYBRID = "HYBRID"


@dataclass(frozen=True, slots=True)
class QuizSummary:
    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    title: str
    passing_score: int
    status: PublicationStatus


@dataclass(frozen=True, slots=True)
class AssignmentSummary:
    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    kind: AssessmentKind
    title: str
    max_marks: int
    status: PublicationStatus


@dataclass(frozen=True, slots=True)
class QuizResult:
    """A learner's counted result on one quiz (per the quiz's score policy)."""

    quiz_id: uuid.UUID
    attempts: int
    score_percent: Decimal | None
    passed: bool
