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
from campus.assessment.service import records
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


def download_url(file_id: uuid.UUID) -> str:
    """Where a file is downloaded (``GET /assessment-files/{file_id}``)."""
    return f"/api/v1/assessment-files/{file_id}"


class FileOut(ApiModel):
    id: uuid.UUID
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: datetime
    download_url: str

    @classmethod
    def of(cls, file: records.FileRecord) -> FileOut:
        return cls(
            id=file.id,
            name=file.name,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            sha256=file.sha256,
            created_at=file.created_at,
            download_url=download_url(file.id),
        )


class RubricLevelOut(ApiModel):
    label: str
    points: int
    description: str | None = None

    @classmethod
    def of(cls, level: records.RubricLevel) -> RubricLevelOut:
        return cls(label=level.label, points=level.points, description=level.description)


class RubricCriterionOut(ApiModel):
    id: str
    title: str
    description: str | None = None
    levels: list[RubricLevelOut]

    @classmethod
    def of(cls, criterion: records.RubricCriterion) -> RubricCriterionOut:
        return cls(
            id=criterion.id,
            title=criterion.title,
            description=criterion.description,
            levels=[RubricLevelOut.of(level) for level in criterion.levels],
        )


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

    @classmethod
    def of(cls, assignment: records.AssignmentRecord) -> AssignmentOut:
        return cls(
            id=assignment.id,
            kind=assignment.kind,
            course_id=assignment.course_id,
            module_id=assignment.module_id,
            lesson_id=assignment.lesson_id,
            title=assignment.title,
            instructions=assignment.instructions,
            status=assignment.status,
            due_at=assignment.due_at,
            max_marks=assignment.max_marks,
            passing_marks=assignment.passing_marks,
            late_policy=assignment.late_policy,
            late_penalty_percent_per_day=assignment.late_penalty_percent_per_day,
            submission_types=list(assignment.submission_types),
            allowed_file_types=list(assignment.allowed_file_types),
            max_file_bytes=assignment.max_file_bytes,
            max_files=assignment.max_files,
            max_submissions=assignment.max_submissions,
            duration_minutes=assignment.duration_minutes,
            rubric=[RubricCriterionOut.of(c) for c in assignment.rubric],
            weight=assignment.weight,
            resources=[FileOut.of(f) for f in assignment.resources],
            created_at=assignment.created_at,
            updated_at=assignment.updated_at,
        )


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

    @classmethod
    def of(cls, grade: records.GradeRecord) -> GradeOut:
        return cls(
            marks=grade.marks,
            penalty_percent=grade.penalty_percent,
            final_marks=grade.final_marks,
            score_percent=grade.score_percent,
            letter_grade=grade.letter_grade,
            passed=grade.passed,
            feedback=grade.feedback,
            rubric_scores=dict(grade.rubric_scores),
            graded_by=grade.graded_by,
            graded_at=grade.graded_at,
        )


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
    #: Staff always; the learner once graded or sent back for revision.
    grade: GradeOut | None = None

    @classmethod
    def of(cls, submission: records.SubmissionRecord) -> AssignmentSubmissionOut:
        return cls(
            id=submission.id,
            assignment_id=submission.assignment_id,
            kind=submission.kind,
            course_id=submission.course_id,
            user_id=submission.user_id,
            attempt_number=submission.attempt_number,
            status=submission.status,
            text_answer=submission.text_answer,
            link_url=submission.link_url,
            started_at=submission.started_at,
            deadline_at=submission.deadline_at,
            submitted_at=submission.submitted_at,
            auto_submitted=submission.auto_submitted,
            is_late=submission.is_late,
            days_late=submission.days_late,
            files=[FileOut.of(f) for f in submission.files],
            grade=None if submission.grade is None else GradeOut.of(submission.grade),
        )


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

    @classmethod
    def of(cls, item: records.QueueItem) -> QueueItemOut:
        return cls(
            submission_id=item.submission_id,
            assignment_id=item.assignment_id,
            assignment_title=item.assignment_title,
            kind=item.kind,
            course_id=item.course_id,
            user_id=item.user_id,
            learner_name=item.learner_name,
            attempt_number=item.attempt_number,
            status=item.status,
            submitted_at=item.submitted_at,
            is_late=item.is_late,
            file_count=item.file_count,
        )


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

    @classmethod
    def of(cls, entry: records.GradeHistoryEntry) -> GradeHistoryOut:
        return cls(
            id=entry.id,
            action=entry.action,
            status=entry.status,
            marks=entry.marks,
            final_marks=entry.final_marks,
            letter_grade=entry.letter_grade,
            feedback=entry.feedback,
            rubric_scores=dict(entry.rubric_scores),
            actor_id=entry.actor_id,
            created_at=entry.created_at,
        )


class GradeBandIn(InputModel):
    letter: str = Field(min_length=1, max_length=8)
    min_percent: Percent


class CourseGradingIn(InputModel):
    bands: list[GradeBandIn] = Field(min_length=1, max_length=20)
    pass_percent: int = Field(ge=0, le=100)


class GradeBandOut(ApiModel):
    letter: str
    min_percent: Decimal

    @classmethod
    def of(cls, band: records.GradeBand) -> GradeBandOut:
        return cls(letter=band.letter, min_percent=band.min_percent)


class CourseGradingOut(ApiModel):
    course_id: uuid.UUID
    bands: list[GradeBandOut]
    pass_percent: int

    @classmethod
    def of(cls, scale: records.GradeScale) -> CourseGradingOut:
        return cls(
            course_id=scale.course_id,
            bands=[GradeBandOut.of(b) for b in scale.bands],
            pass_percent=scale.pass_percent,
        )


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

    @classmethod
    def of(cls, analysis: records.AssignmentAnalysis) -> AssignmentAnalysisOut:
        return cls(
            submission_id=analysis.submission_id,
            analysis_type=analysis.analysis_type,
            overall_score=analysis.overall_score,
            strengths=list(analysis.strengths),
            weaknesses=list(analysis.weaknesses),
            suggestions=list(analysis.suggestions),
            detailed_feedback=analysis.detailed_feedback,
            ai_model=analysis.ai_model,
            analyzed_by=analysis.analyzed_by,
            updated_at=analysis.updated_at,
        )


class GradebookColumn(ApiModel):
    id: uuid.UUID
    kind: str
    title: str
    weight: int
    score_policy: str | None

    @classmethod
    def of(cls, column: records.Column) -> GradebookColumn:
        return cls(
            id=column.id,
            kind=column.kind,
            title=column.title,
            weight=column.weight,
            score_policy=column.score_policy,
        )


class GradebookRow(ApiModel):
    user_id: uuid.UUID
    name: str | None
    #: Percent per column id; ``None`` where nothing counts yet.
    scores: dict[str, Decimal | None]
    course_percent: Decimal
    letter_grade: str | None
    passed: bool

    @classmethod
    def of(cls, grades: records.LearnerGrades) -> GradebookRow:
        return cls(
            user_id=grades.user_id,
            name=grades.name,
            scores=dict(grades.scores),
            course_percent=grades.course_percent,
            letter_grade=grades.letter_grade,
            passed=grades.passed,
        )


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

    @classmethod
    def of(cls, book: records.Gradebook) -> GradebookOut:
        """With the pagination envelope's fields, as ``Page`` computes them."""
        page = book.page
        return cls(
            course_id=book.course_id,
            columns=[GradebookColumn.of(c) for c in book.columns],
            pass_percent=book.pass_percent,
            items=[GradebookRow.of(r) for r in book.rows],
            total=book.total,
            page=page.page,
            limit=page.limit,
            has_next=page.offset + len(book.rows) < book.total,
            has_prev=page.page > 1,
        )
