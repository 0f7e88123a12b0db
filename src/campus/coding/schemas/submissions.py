"""Wire models of code submissions, runs, per-test results and analyses. Per-test results of
hidden tests carry the verdict, time and memory only."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from pydantic import Field

from campus.coding.data import CodeLanguage, CodeSubmissionStatus
from campus.coding.schemas.fields import Code, ListItem, Markdown
from campus.coding.service.records import (
    AnalysisRecord,
    Feedback,
    RunRecord,
    SubmissionRecord,
    SubmissionSummaryRecord,
    TestResultRecord,
)
from campus.kernel.schemas import ApiModel, InputModel


class CodeIn(InputModel):
    code: Code = Field(description="The program (size-limited; see codeMaxBytes)")


class FeedbackIn(InputModel):
    feedback: Markdown | None = None
    strengths: list[ListItem] = Field(default_factory=list, max_length=20)
    weaknesses: list[ListItem] = Field(default_factory=list, max_length=20)
    suggestions: list[ListItem] = Field(default_factory=list, max_length=20)
    overall_score: int | None = Field(default=None, ge=0, le=100)

    def record(self) -> Feedback:
        return Feedback(
            feedback=self.feedback,
            strengths=tuple(self.strengths),
            weaknesses=tuple(self.weaknesses),
            suggestions=tuple(self.suggestions),
            overall_score=self.overall_score,
        )


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

    @classmethod
    def of(cls, result: TestResultRecord) -> TestResultOut:
        return cls(
            test_id=result.test_id,
            position=result.position,
            name=result.name,
            hidden=result.hidden,
            passed=result.passed,
            status=result.status,
            weight=result.weight,
            time_ms=result.time_ms,
            memory_kb=result.memory_kb,
            output=result.output,
            diff=result.diff,
            error=result.error,
        )


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

    @classmethod
    def of(cls, analysis: AnalysisRecord) -> AnalysisOut:
        return cls(
            analysis_type=analysis.analysis_type,
            automated_status=analysis.automated_status,
            automated_note=analysis.automated_note,
            lines_of_code=analysis.lines_of_code,
            comment_lines=analysis.comment_lines,
            blank_lines=analysis.blank_lines,
            max_complexity=analysis.max_complexity,
            functions=[
                FunctionMetric(name=f.name, line=f.line, complexity=f.complexity)
                for f in analysis.functions
            ],
            lint_findings=[
                LintFinding(code=f.code, message=f.message, line=f.line, column=f.column)
                for f in analysis.lint_findings
            ],
            lint_total=analysis.lint_total,
            tool=analysis.tool,
            feedback=analysis.feedback,
            strengths=list(analysis.strengths),
            weaknesses=list(analysis.weaknesses),
            suggestions=list(analysis.suggestions),
            overall_score=analysis.overall_score,
            analyzed_by=analysis.analyzed_by,
            updated_at=analysis.updated_at,
        )


class _SubmissionFields(ApiModel):
    """What a submission's summary and its detail share (the summary's fields, in order)."""

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


def _summary_fields(summary: SubmissionSummaryRecord) -> dict[str, Any]:
    return {
        "id": summary.id,
        "exercise_id": summary.exercise_id,
        "course_id": summary.course_id,
        "user_id": summary.user_id,
        "language": summary.language,
        "status": summary.status,
        "score": summary.score,
        "max_score": summary.max_score,
        "tests_passed": summary.tests_passed,
        "tests_total": summary.tests_total,
        "tests_version": summary.tests_version,
        "hints_used": summary.hints_used,
        "submitted_at": summary.submitted_at,
        "graded_at": summary.graded_at,
    }


class SubmissionSummary(_SubmissionFields):
    @classmethod
    def of(cls, summary: SubmissionSummaryRecord) -> SubmissionSummary:
        return cls(**_summary_fields(summary))


class SubmissionOut(_SubmissionFields):
    code: str
    started_at: datetime | None
    error: str | None
    regrades: int
    results: list[TestResultOut]
    analysis: AnalysisOut | None

    @classmethod
    def of(cls, submission: SubmissionRecord) -> SubmissionOut:
        analysis = submission.analysis
        return cls(
            **_summary_fields(submission.summary),
            code=submission.code,
            started_at=submission.started_at,
            error=submission.error,
            regrades=submission.regrades,
            results=[TestResultOut.of(r) for r in submission.results],
            analysis=AnalysisOut.of(analysis) if analysis is not None else None,
        )


class RunOut(ApiModel):
    """A "run": the visible tests only, nothing recorded."""

    status: str
    tests_passed: int
    tests_total: int
    hidden_tests_not_run: int
    results: list[TestResultOut]
    error: str | None = None

    @classmethod
    def of(cls, run: RunRecord) -> RunOut:
        return cls(
            status=run.status,
            tests_passed=run.tests_passed,
            tests_total=run.tests_total,
            hidden_tests_not_run=run.hidden_tests_not_run,
            results=[TestResultOut.of(r) for r in run.results],
            error=run.error,
        )
