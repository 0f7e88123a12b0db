"""ORM models of coding exercises (seed 003 ``Assignment`` / ``AssignmentSubmission`` /
``AssignmentAnalysis`` for code). Ids of other contexts (courses, modules, lessons, users) are
plain columns, never foreign keys (ARCHITECTURE.md §3 rule 1); no relationships: every read is
an explicit query in ``repository``.

Secrecy: hidden test cases (``CodeTestCase.hidden``) keep their input and expected value in
this table only. Per-test results of hidden tests (``CodeTestResult``) never store output, diff
or error text, so nothing a learner can read is derived from hidden data but the verdict.
"""

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


class CodeExercise(IdMixin, TimestampMixin, Base):
    """A coding exercise of a course (optionally placed in a module or lesson).

    ``tests_version`` grows with every change that can change a verdict (test cases,
    language, reference solution, limits, maximum score); submissions record the version they
    were graded against, and a regrade targets the older ones.
    """

    __tablename__ = "assessment_code_exercises"
    __table_args__ = (sa.Index("ix_code_exercises_course", "course_id", "status"),)

    course_id: Mapped[uuid.UUID] = mapped_column()
    module_id: Mapped[uuid.UUID | None] = mapped_column()
    lesson_id: Mapped[uuid.UUID | None] = mapped_column()
    title: Mapped[str] = mapped_column(sa.String(200))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    difficulty: Mapped[str] = mapped_column(sa.String(10), default="MEDIUM")
    language: Mapped[str] = mapped_column(sa.String(20), default="python")
    starter_code: Mapped[str] = mapped_column(sa.Text, default="")
    reference_solution: Mapped[str | None] = mapped_column(sa.Text)
    hints: Mapped[list[str]] = mapped_column(JSONType, default=list)
    max_score: Mapped[int] = mapped_column(default=100)
    #: Per test case: CPU seconds (wall-clock budget is twice this, plus a second).
    time_limit_ms: Mapped[int] = mapped_column(default=2000)
    memory_limit_mb: Mapped[int] = mapped_column(default=256)
    status: Mapped[str] = mapped_column(sa.String(20), default="draft")
    tests_version: Mapped[int] = mapped_column(default=1)
    #: Last validation of the reference solution: the version it ran against and its verdict.
    validated_version: Mapped[int | None] = mapped_column()
    validation_passed: Mapped[bool | None] = mapped_column()
    validated_at: Mapped[datetime | None] = mapped_column()
    #: The tests version a regrade was last requested for (the request is idempotent).
    regrade_version: Mapped[int | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    created_by: Mapped[uuid.UUID] = mapped_column()


class CodeTestCase(IdMixin, Base):
    """One test case. ``input``: the stdin text (``stdio``) or the JSON list of arguments of
    ``solve`` (``function``); ``expected``: the stdout text or the JSON return value."""

    __tablename__ = "assessment_code_tests"
    __table_args__ = (
        sa.UniqueConstraint("exercise_id", "position", name="uq_code_tests_position"),
    )

    exercise_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(
            "assessment_code_exercises.id", ondelete="CASCADE", name="fk_code_tests_exercise"
        )
    )
    position: Mapped[int] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(10))
    input: Mapped[Any] = mapped_column(JSONType)
    expected: Mapped[Any] = mapped_column(JSONType)
    hidden: Mapped[bool] = mapped_column(default=False)
    weight: Mapped[int] = mapped_column(default=1)
    comparison: Mapped[str] = mapped_column(sa.String(12), default="exact")
    tolerance: Mapped[float] = mapped_column(sa.Float, default=1e-6)
    rel_tolerance: Mapped[float] = mapped_column(sa.Float, default=1e-9)


class CodeSubmission(IdMixin, Base):
    """A learner's submitted code (seed 003 ``AssignmentSubmission``).

    Status: ``PENDING`` (queued) -> ``RUNNING`` (a grader claimed it) -> ``PASSED`` /
    ``FAILED`` / ``ERROR`` (the grader itself could not grade). A claim stamps
    ``grading_token``; only the holder of the current token may record the verdict (a
    conditional update), so a duplicate or superseded grading never records a second one.
    """

    __tablename__ = "assessment_code_submissions"
    __table_args__ = (
        sa.Index("ix_code_submissions_learner", "exercise_id", "user_id", "submitted_at"),
        sa.Index("ix_code_submissions_status", "exercise_id", "status"),
        sa.Index("ix_code_submissions_user", "user_id", "submitted_at"),
    )

    exercise_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(
            "assessment_code_exercises.id", ondelete="CASCADE", name="fk_code_submissions_exercise"
        )
    )
    course_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column()
    language: Mapped[str] = mapped_column(sa.String(20))
    code: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="PENDING")
    score: Mapped[Decimal | None] = mapped_column(Score)
    max_score: Mapped[int] = mapped_column()
    tests_passed: Mapped[int | None] = mapped_column()
    tests_total: Mapped[int | None] = mapped_column()
    tests_version: Mapped[int | None] = mapped_column()
    hints_used: Mapped[int] = mapped_column(default=0)
    #: Learner-safe explanation of an ``ERROR`` verdict (never hidden test data).
    error: Mapped[str | None] = mapped_column(sa.String(500))
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    graded_at: Mapped[datetime | None] = mapped_column()
    grading_token: Mapped[uuid.UUID | None] = mapped_column()
    #: The outbox message whose delivery holds the current claim (its redelivery may resume).
    grading_message_id: Mapped[uuid.UUID | None] = mapped_column()
    grading_deadline: Mapped[datetime | None] = mapped_column()
    grading_attempts: Mapped[int] = mapped_column(default=0)
    regrades: Mapped[int] = mapped_column(default=0)


class CodeTestResult(Base):
    """The verdict of one test case for one submission. Hidden tests: verdict, time and memory
    only (``output``/``diff``/``error`` stay NULL)."""

    __tablename__ = "assessment_code_results"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(
            "assessment_code_submissions.id", ondelete="CASCADE", name="fk_code_results_submission"
        ),
        primary_key=True,
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    test_id: Mapped[uuid.UUID] = mapped_column()
    name: Mapped[str] = mapped_column(sa.String(100))
    hidden: Mapped[bool] = mapped_column()
    passed: Mapped[bool] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(20))
    weight: Mapped[int] = mapped_column()
    time_ms: Mapped[float] = mapped_column(sa.Float)
    memory_kb: Mapped[int] = mapped_column()
    output: Mapped[str | None] = mapped_column(sa.Text)
    diff: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)


class CodeAnalysis(TimestampMixin, Base):
    """Code quality of a submission (seed 003 ``AssignmentAnalysis``): metrics and lint
    findings computed in the sandbox (``AI``: machine-made), instructor feedback (``MANUAL``),
    or both (``HYBRID``)."""

    __tablename__ = "assessment_code_analyses"

    submission_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(
            "assessment_code_submissions.id", ondelete="CASCADE", name="fk_code_analyses_submission"
        ),
        primary_key=True,
    )
    analysis_type: Mapped[str] = mapped_column(sa.String(10))
    #: ``complete``, ``partial`` (a tool was unavailable or failed), ``unavailable``.
    automated_status: Mapped[str | None] = mapped_column(sa.String(12))
    automated_note: Mapped[str | None] = mapped_column(sa.String(500))
    lines_of_code: Mapped[int | None] = mapped_column()
    comment_lines: Mapped[int | None] = mapped_column()
    blank_lines: Mapped[int | None] = mapped_column()
    max_complexity: Mapped[int | None] = mapped_column()
    #: ``[{"name", "line", "complexity"}]`` per function (``<module>`` for top-level code).
    functions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    #: ``[{"code", "message", "line", "column"}]`` from ruff, capped.
    lint_findings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    lint_total: Mapped[int | None] = mapped_column()
    tool: Mapped[str | None] = mapped_column(sa.String(100))
    feedback: Mapped[str | None] = mapped_column(sa.Text)
    strengths: Mapped[list[str]] = mapped_column(JSONType, default=list)
    weaknesses: Mapped[list[str]] = mapped_column(JSONType, default=list)
    suggestions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    overall_score: Mapped[int | None] = mapped_column()
    analyzed_by: Mapped[uuid.UUID | None] = mapped_column()


class CodeHintReveal(Base):
    """How many hints of an exercise a learner has revealed (they are revealed in order)."""

    __tablename__ = "assessment_code_hint_reveals"

    exercise_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey(
            "assessment_code_exercises.id", ondelete="CASCADE", name="fk_code_hint_reveals_exercise"
        ),
        primary_key=True,
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    revealed: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
