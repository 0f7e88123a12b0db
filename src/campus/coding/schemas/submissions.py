"""Wire models of code submissions, runs, per-test results and analyses. Per-test results of
hidden tests carry the verdict, time and memory only."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from campus.coding.data import CodeLanguage, CodeSubmissionStatus
from campus.coding.schemas.fields import Code, ListItem, Markdown
from campus.kernel.schemas import ApiModel, InputModel


class CodeIn(InputModel):
    code: Code = Field(description="The program (size-limited; see codeMaxBytes)")


class FeedbackIn(InputModel):
    feedback: Markdown | None = None
    strengths: list[ListItem] = Field(default_factory=list, max_length=20)
    weaknesses: list[ListItem] = Field(default_factory=list, max_length=20)
    suggestions: list[ListItem] = Field(default_factory=list, max_length=20)
    overall_score: int | None = Field(default=None, ge=0, le=100)


class TestResultOut(ApiModel):
    """One test's verdict. Hidden tests: ``passed``, ``status``, time and memory only."""

    __test__ = False

    test_id: uuid.UUID | None
    position: int
    name: str
    hidden: bool
    passed: bool
    status: str
    weight: int
    time_ms: float
    memory_kb: int
    output: str | None = None
    diff: str | None = None
    error: str | None = None


class LintFinding(ApiModel):
    code: str
    message: str
    line: int
    column: int


class FunctionMetric(ApiModel):
    name: str
    line: int
    complexity: int


class AnalysisOut(ApiModel):
    """Seed 003 ``AssignmentAnalysis`` for code: ``AUTOMATED`` (machine-made: metrics and lint
    computed in the sandbox by tools, no model), ``MANUAL`` (instructor only) or ``HYBRID``
    (both)."""

    analysis_type: str
    automated_status: str | None
    automated_note: str | None
    lines_of_code: int | None
    comment_lines: int | None
    blank_lines: int | None
    max_complexity: int | None
    functions: list[FunctionMetric]
    lint_findings: list[LintFinding]
    lint_total: int | None
    tool: str | None
    feedback: str | None
    strengths: list[str]
    weaknesses: list[str]
    suggestions: list[str]
    overall_score: int | None
    analyzed_by: uuid.UUID | None
    updated_at: datetime


class SubmissionSummary(ApiModel):
    id: uuid.UUID
    exercise_id: uuid.UUID
    course_id: uuid.UUID
    user_id: uuid.UUID
    language: CodeLanguage
    status: CodeSubmissionStatus
    score: Decimal | None
    max_score: int
    tests_passed: int | None
    tests_total: int | None
    tests_version: int | None
    hints_used: int
    submitted_at: datetime
    graded_at: datetime | None


class SubmissionOut(SubmissionSummary):
    code: str
    started_at: datetime | None
    error: str | None
    regrades: int
    results: list[TestResultOut]
    analysis: AnalysisOut | None


class RunOut(ApiModel):
    """A "run": the visible tests only, nothing recorded."""

    status: str
    tests_passed: int
    tests_total: int
    hidden_tests_not_run: int
    results: list[TestResultOut]
    error: str | None = None
