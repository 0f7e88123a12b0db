"""Assignment, exam, submission and grading wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field

from campus.assessment.data import (
    AnalysisType,
    AssessmentKind,
    LatePolicy,
    PublicationStatus,
    SubmissionStatus,
    SubmissionType,
)
from campus.assessment.schemas.fields import (
    ListItem,
    LongText,
    Marks,
    Percent,
    ShortText,
    Title,
    WebUrl,
)
from campus.kernel.schemas import ApiModel, InputModel, Instant


class FileType(StrEnum):
    PDF = "pdf"
    ZIP = "zip"
    PNG = "png"
    JPEG = "jpeg"
    TEXT = "text"
    DOCX = "docx"


class RubricLevelIn(InputModel):
    label: Title
    points: int = Field(ge=0, le=1000)
    description: ShortText | None = None


class RubricCriterionIn(InputModel):
    title: Title
    description: ShortText | None = None
    levels: list[RubricLevelIn] = Field(min_length=1, max_length=10)


class AssignmentFields(InputModel):
    instructions: LongText | None = None
    module_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None
    due_at: Instant | None = None
    max_marks: int | None = Field(default=None, ge=1, le=1000)
    passing_marks: int | None = Field(default=None, ge=0, le=1000)
    late_policy: LatePolicy | None = None
    late_penalty_percent_per_day: int | None = Field(default=None, ge=0, le=100)
    submission_types: list[SubmissionType] | None = Field(default=None, min_length=1, max_length=3)
    allowed_file_types: list[FileType] | None = Field(default=None, max_length=6)
    max_file_bytes: int | None = Field(default=None, ge=1)
    max_files: int | None = Field(default=None, ge=1, le=20)
    #: Submissions (assignment) or attempts (exam) a learner may make; ``None``: no limit.
    max_submissions: int | None = Field(default=None, ge=1, le=100)
    duration_minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    rubric: list[RubricCriterionIn] | None = Field(default=None, max_length=20)
    weight: int | None = Field(default=None, ge=0, le=1000)
    status: PublicationStatus | None = None


class AssignmentCreate(AssignmentFields):
    title: Title


class AssignmentUpdate(AssignmentFields):
    title: Title | None = None


class FileOut(ApiModel):
    id: uuid.UUID
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
    download_url: str


class RubricLevelOut(ApiModel):
    label: str
    points: int
    description: str | None = None


class RubricCriterionOut(ApiModel):
    id: str
    title: str
    description: str | None = None
    levels: list[RubricLevelOut]


class AssignmentOut(ApiModel):
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
    submission_types: list[SubmissionType]
    allowed_file_types: list[str]
    max_file_bytes: int
    max_files: int
    max_submissions: int | None
    duration_minutes: int | None
    rubric: list[RubricCriterionOut]
    weight: int
    resources: list[FileOut]
    created_at: datetime
    updated_at: datetime


class SubmissionIn(InputModel):
    text_answer: str | None = Field(default=None, max_length=100_000)
    link_url: WebUrl | None = None


class GradeOut(ApiModel):
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


class AssignmentSubmissionOut(ApiModel):
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
    #: An exam closed at its deadline with what was saved.
    auto_submitted: bool = False
    is_late: bool
    days_late: int
    files: list[FileOut]
    grade: GradeOut | None = None


class QueueItemOut(ApiModel):
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


class GradeIn(InputModel):
    """Give ``marks``, or ``rubric`` (criterion id -> chosen level index), or both (the rubric's
    total then must not exceed the marks... it is simply used when marks are absent)."""

    marks: Marks | None = None
    rubric: dict[str, int] | None = Field(default=None, max_length=20)
    feedback: LongText | None = None
    letter_grade: str | None = Field(default=None, min_length=1, max_length=8)


class RevisionIn(InputModel):
    feedback: str = Field(min_length=1, max_length=20_000)


class GradeHistoryOut(ApiModel):
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


class GradeBandIn(InputModel):
    letter: str = Field(min_length=1, max_length=8)
    min_percent: Percent


class CourseGradingIn(InputModel):
    bands: list[GradeBandIn] = Field(min_length=1, max_length=20)
    pass_percent: int = Field(ge=0, le=100)


class GradeBandOut(ApiModel):
    letter: str
    min_percent: Decimal


class CourseGradingOut(ApiModel):
    course_id: uuid.UUID
    bands: list[GradeBandOut]
    pass_percent: int


class AnalysisIn(InputModel):
    analysis_type: AnalysisType = AnalysisType.MANUAL
    overall_score: int | None = Field(default=None, ge=0, le=100)
    strengths: list[ListItem] = Field(default_factory=list, max_length=20)
    weaknesses: list[ListItem] = Field(default_factory=list, max_length=20)
    suggestions: list[ListItem] = Field(default_factory=list, max_length=20)
    detailed_feedback: LongText | None = None


class AssignmentAnalysisOut(ApiModel):
    submission_id: uuid.UUID
    analysis_type: AnalysisType
    overall_score: int | None
    strengths: list[str]
    weaknesses: list[str]
    suggestions: list[str]
    detailed_feedback: str | None
    ai_model: str | None
    analyzed_by: uuid.UUID | None
    updated_at: datetime


class GradebookColumn(ApiModel):
    id: uuid.UUID
    kind: str
    title: str
    weight: int
    score_policy: str | None


class GradebookRow(ApiModel):
    user_id: uuid.UUID
    name: str | None
    #: Percent per column id; ``None`` where nothing counts yet.
    scores: dict[str, Decimal | None]
    course_percent: Decimal
    letter_grade: str | None
    passed: bool


class GradebookOut(ApiModel):
    course_id: uuid.UUID
    columns: list[GradebookColumn]
    pass_percent: int
    items: list[GradebookRow]
    total: int
    page: int
    limit: int
    has_next: bool
    has_prev: bool
