"""Assessment ORM models. Ids of other contexts (courses, modules, lessons, users) are stored as
plain columns, never foreign keys (ARCHITECTURE.md §3 rule 1). Relationships: none; every read
is an explicit query in ``repository``."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONType, TimestampMixin

Score = sa.Numeric(9, 2)


class Question(IdMixin, TimestampMixin, Base):
    """One question of a course's question bank. ``prompt`` is what learners may see (matching
    sides, ordering items, blank count); ``answer_key`` never leaves the staff views."""

    __tablename__ = "assessment_questions"
    __table_args__ = (sa.Index("ix_assessment_questions_course", "course_id", "archived"),)

    course_id: Mapped[uuid.UUID] = mapped_column()
    type: Mapped[str] = mapped_column(sa.String(20))
    text: Mapped[str] = mapped_column(sa.Text)
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    hint: Mapped[str | None] = mapped_column(sa.Text)
    points: Mapped[int] = mapped_column(default=1)
    difficulty: Mapped[str] = mapped_column(sa.String(10), default="MEDIUM")
    topics: Mapped[list[str]] = mapped_column(JSONType, default=list)
    image_url: Mapped[str | None] = mapped_column(sa.String(2048))
    video_url: Mapped[str | None] = mapped_column(sa.String(2048))
    prompt: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    answer_key: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_by: Mapped[uuid.UUID] = mapped_column()
    archived: Mapped[bool] = mapped_column(default=False)


class QuestionOption(IdMixin, Base):
    """An option of a choice question (seed 001 ``answers`` with ``feedback_if_selected``)."""

    __tablename__ = "assessment_question_options"
    __table_args__ = (sa.UniqueConstraint("question_id", "position"),)

    question_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_questions.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column()
    text: Mapped[str] = mapped_column(sa.Text)
    is_correct: Mapped[bool] = mapped_column(default=False)
    feedback: Mapped[str | None] = mapped_column(sa.Text)


class QuestionTranslation(Base):
    __tablename__ = "assessment_question_translations"

    question_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_questions.id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(sa.String(35), primary_key=True)
    text: Mapped[str] = mapped_column(sa.Text)
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    hint: Mapped[str | None] = mapped_column(sa.Text)
    #: Option texts by option id.
    options: Mapped[dict[str, str]] = mapped_column(JSONType, default=dict)


class Quiz(IdMixin, TimestampMixin, Base):
    __tablename__ = "assessment_quizzes"
    __table_args__ = (sa.Index("ix_assessment_quizzes_course", "course_id"),)

    course_id: Mapped[uuid.UUID] = mapped_column()
    module_id: Mapped[uuid.UUID | None] = mapped_column()
    lesson_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    passing_score: Mapped[int] = mapped_column(default=70)
    time_limit_seconds: Mapped[int | None] = mapped_column()
    attempt_limit: Mapped[int | None] = mapped_column()
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_options: Mapped[bool] = mapped_column(default=False)
    draw_count: Mapped[int | None] = mapped_column()
    #: Share of a question's points taken away for a wrong (not for a missing) answer.
    negative_marking_percent: Mapped[int] = mapped_column(default=0)
    available_from: Mapped[datetime | None] = mapped_column()
    available_until: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    reveal_policy: Mapped[str] = mapped_column(sa.String(20), default="after_submission")
    score_policy: Mapped[str] = mapped_column(sa.String(10), default="best")
    weight: Mapped[int] = mapped_column(default=1)
    #: Bumped by every change to the quiz, its pool or a question of it (cache key).
    revision: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[uuid.UUID] = mapped_column()


class QuizQuestion(Base):
    """A question in a quiz's pool, in display order."""

    __tablename__ = "assessment_quiz_questions"
    __table_args__ = (sa.Index("ix_assessment_quiz_questions_question", "question_id"),)

    quiz_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_quizzes.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_questions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column()


class AttemptCounter(Base):
    """How many attempts (or submissions) a learner has started on one quiz/assignment/exam.
    Starting locks this row, so the limit and the single open attempt hold under concurrency."""

    __tablename__ = "assessment_attempt_counters"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    subject_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    started: Mapped[int] = mapped_column(default=0)


class Attempt(IdMixin, Base):
    __tablename__ = "assessment_attempts"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "quiz_id", "attempt_number"),
        # One open attempt per learner and quiz (a partial unique index on both backends).
        sa.Index(
            "uq_assessment_attempts_open",
            "user_id",
            "quiz_id",
            unique=True,
            postgresql_where=sa.text("status = 'in_progress'"),
            sqlite_where=sa.text("status = 'in_progress'"),
        ),
        sa.Index("ix_assessment_attempts_quiz_status", "quiz_id", "status"),
        sa.Index("ix_assessment_attempts_course_user", "course_id", "user_id"),
    )

    quiz_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_quizzes.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    attempt_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    auto_submitted: Mapped[bool] = mapped_column(default=False)
    #: The drawn questions in the order this learner sees them.
    question_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    #: Per question: the order of its options / items for this learner.
    layout: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    score_points: Mapped[Decimal | None] = mapped_column(Score)
    max_points: Mapped[int | None] = mapped_column()
    score_percent: Mapped[Decimal | None] = mapped_column(Score)
    passed: Mapped[bool | None] = mapped_column()
    time_taken_seconds: Mapped[int | None] = mapped_column()
    #: When a corrected question last changed this attempt's grading (``None``: never).
    regraded_at: Mapped[datetime | None] = mapped_column()


class AttemptAnswer(Base):
    __tablename__ = "assessment_attempt_answers"

    attempt_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_attempts.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    response: Mapped[dict[str, Any]] = mapped_column(JSONType)
    saved_at: Mapped[datetime] = mapped_column(default=utcnow)
    fraction: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 4))
    points_awarded: Mapped[Decimal | None] = mapped_column(Score)


class Assignment(IdMixin, TimestampMixin, Base):
    """An assignment or an exam (``kind``): both collect files/text from learners and are
    graded by instructors."""

    __tablename__ = "assessment_assignments"
    __table_args__ = (sa.Index("ix_assessment_assignments_course", "course_id", "kind"),)

    kind: Mapped[str] = mapped_column(sa.String(12))
    course_id: Mapped[uuid.UUID] = mapped_column()
    module_id: Mapped[uuid.UUID | None] = mapped_column()
    lesson_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    due_at: Mapped[datetime | None] = mapped_column()
    max_marks: Mapped[int] = mapped_column(default=100)
    passing_marks: Mapped[int] = mapped_column(default=50)
    late_policy: Mapped[str] = mapped_column(sa.String(10), default="accept")
    late_penalty_percent_per_day: Mapped[int] = mapped_column(default=0)
    submission_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    allowed_file_types: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_file_bytes: Mapped[int] = mapped_column(sa.BigInteger, default=10 * 1024 * 1024)
    max_files: Mapped[int] = mapped_column(default=5)
    max_submissions: Mapped[int | None] = mapped_column()
    duration_minutes: Mapped[int | None] = mapped_column()
    rubric: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    weight: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[uuid.UUID] = mapped_column()


class Submission(IdMixin, Base):
    __tablename__ = "assessment_submissions"
    __table_args__ = (
        sa.UniqueConstraint("assignment_id", "user_id", "attempt_number"),
        sa.Index(
            "uq_assessment_submissions_open",
            "assignment_id",
            "user_id",
            unique=True,
            postgresql_where=sa.text("status IN ('pending', 'in_progress')"),
            sqlite_where=sa.text("status IN ('pending', 'in_progress')"),
        ),
        sa.Index("ix_assessment_submissions_queue", "course_id", "status", "submitted_at"),
        sa.Index("ix_assessment_submissions_user", "user_id", "assignment_id"),
    )

    assignment_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_assignments.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(12))
    attempt_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20))
    text_answer: Mapped[str | None] = mapped_column(sa.Text)
    link_url: Mapped[str | None] = mapped_column(sa.String(2048))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    #: An exam closed at its deadline with what was saved (not handed in by the learner).
    auto_submitted: Mapped[bool] = mapped_column(default=False)
    is_late: Mapped[bool] = mapped_column(default=False)
    days_late: Mapped[int] = mapped_column(default=0)
    marks: Mapped[Decimal | None] = mapped_column(Score)
    penalty_percent: Mapped[int] = mapped_column(default=0)
    final_marks: Mapped[Decimal | None] = mapped_column(Score)
    score_percent: Mapped[Decimal | None] = mapped_column(Score)
    letter_grade: Mapped[str | None] = mapped_column(sa.String(8))
    passed: Mapped[bool | None] = mapped_column()
    feedback: Mapped[str | None] = mapped_column(sa.Text)
    rubric_scores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    graded_by: Mapped[uuid.UUID | None] = mapped_column()
    graded_at: Mapped[datetime | None] = mapped_column()


class StoredFile(IdMixin, Base):
    """A file on disk under ``<data_dir>/files/assessment/``, named by its id only. ``name`` is
    the sanitised client name, for display and the download's Content-Disposition."""

    __tablename__ = "assessment_files"
    __table_args__ = (sa.Index("ix_assessment_files_owner", "owner_id"),)

    #: "submission" (a learner's file) or "resource" (an instructor's attachment).
    owner_type: Mapped[str] = mapped_column(sa.String(12))
    owner_id: Mapped[uuid.UUID] = mapped_column()
    assignment_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    uploaded_by: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size_bytes: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradeHistory(IdMixin, Base):
    """Every grade, feedback or revision request given to a submission, in order."""

    __tablename__ = "assessment_grade_history"
    __table_args__ = (sa.Index("ix_assessment_grade_history_submission", "submission_id"),)

    submission_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_submissions.id", ondelete="CASCADE")
    )
    action: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    marks: Mapped[Decimal | None] = mapped_column(Score)
    final_marks: Mapped[Decimal | None] = mapped_column(Score)
    letter_grade: Mapped[str | None] = mapped_column(sa.String(8))
    feedback: Mapped[str | None] = mapped_column(sa.Text)
    rubric_scores: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    actor_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CourseGrading(Base):
    """Per-course grading settings: the letter-grade scale and the course pass mark."""

    __tablename__ = "assessment_course_grading"

    course_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: ``[{"letter": "A", "minPercent": 90}, ...]``, highest first.
    bands: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    pass_percent: Mapped[int] = mapped_column(default=60)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AssignmentAnalysis(IdMixin, TimestampMixin, Base):
    """Seed 003 ``AssignmentAnalysis``: structured feedback on one submission."""

    __tablename__ = "assessment_assignment_analyses"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("assessment_submissions.id", ondelete="CASCADE"), unique=True
    )
    analysis_type: Mapped[str] = mapped_column(sa.String(10))
    overall_score: Mapped[int | None] = mapped_column()
    strengths: Mapped[list[str]] = mapped_column(JSONType, default=list)
    weaknesses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    suggestions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    detailed_feedback: Mapped[str | None] = mapped_column(sa.Text)
    ai_model: Mapped[str | None] = mapped_column(sa.String(80))
    analyzed_by: Mapped[uuid.UUID | None] = mapped_column()


class CodeScore(Base):
    """Assessment's projection of coding's grades, one row per graded code submission, kept
    from ``coding.events.CodeSubmissionGraded`` (``assessment.tasks``). The gradebook shows a
    learner's best score per exercise from it. Assessment comes before coding in the context
    order, so it may not call ``coding.api``: coding publishes its grades and assessment keeps
    its own copy (docs/adr/0025). Ids are plain columns (no foreign key across contexts)."""

    __tablename__ = "assessment_gradebook_code_scores"
    __table_args__ = (
        sa.Index("ix_assessment_gradebook_code_scores_course", "course_id", "exercise_id"),
        sa.Index("ix_assessment_gradebook_code_scores_exercise", "exercise_id"),
    )

    submission_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    course_id: Mapped[uuid.UUID] = mapped_column()
    exercise_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    exercise_title: Mapped[str] = mapped_column(sa.String(200))
    #: Percent of the exercise's max score; ``None`` for a submission that ended in ``ERROR``.
    score_percent: Mapped[Decimal | None] = mapped_column(Score)
    graded_at: Mapped[datetime] = mapped_column()
