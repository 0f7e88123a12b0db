"""The domain records coding's services take and return (frozen; the endpoints map them to the
wire models of the context's ``schemas`` package).

This is the one place that decides what of a test case or result a learner sees: hidden test
data is never copied into a record a learner gets. ``ExerciseRecord`` carries the visible test
cases and counts the hidden ones; everything else (reference solution, every hint, every test
case, validation state) lives in its ``staff`` part, set for the course's staff only. A
``TestResultRecord`` of a hidden test carries the verdict, time and memory only, unless staff
run their own reference solution (``reveal_hidden``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from campus.coding.data import (
    CodeLanguage,
    CodeSubmissionStatus,
    Comparison,
    ExerciseStatus,
    TestKind,
)
from campus.coding.models import (
    CodeAnalysis,
    CodeExercise,
    CodeSubmission,
    CodeTestCase,
    CodeTestResult,
)
from campus.sandbox import SandboxLayers, TestResult

# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True, slots=True)
class TestCaseSpec:
    """A test case as an author writes it (``name`` defaults to "Test <position>")."""

    __test__ = False

    name: str | None
    kind: TestKind
    input: Any
    expected: Any
    hidden: bool
    weight: int
    comparison: Comparison
    tolerance: float
    rel_tolerance: float


@dataclass(frozen=True, slots=True)
class ExerciseDraft:
    """A new exercise as its author writes it."""

    title: str
    description: str
    difficulty: str
    language: CodeLanguage
    starter_code: str
    reference_solution: str | None
    hints: tuple[str, ...]
    max_score: int
    time_limit_ms: int
    memory_limit_mb: int
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    tests: tuple[TestCaseSpec, ...]


class SubmittedCode(Protocol):
    """What a learner hands in: the program text (the request body is one)."""

    @property
    def code(self) -> str: ...


@dataclass(frozen=True, slots=True)
class Feedback:
    """An instructor's feedback on a submission."""

    feedback: str | None
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    suggestions: tuple[str, ...]
    overall_score: int | None


# --------------------------------------------------------------------------- exercises


@dataclass(frozen=True, slots=True)
class TestCaseRecord:
    """A whole test case, input and expected value included: learners get visible ones only."""

    __test__ = False

    id: uuid.UUID
    position: int
    name: str
    kind: TestKind
    hidden: bool
    weight: int
    comparison: Comparison
    tolerance: float
    rel_tolerance: float
    input: Any
    expected: Any

    @classmethod
    def of(cls, test: CodeTestCase) -> TestCaseRecord:
        return cls(
            id=test.id,
            position=test.position,
            name=test.name,
            kind=TestKind(test.kind),
            hidden=test.hidden,
            weight=test.weight,
            comparison=Comparison(test.comparison),
            tolerance=test.tolerance,
            rel_tolerance=test.rel_tolerance,
            input=test.input,
            expected=test.expected,
        )


@dataclass(frozen=True, slots=True)
class LastValidation:
    """The last run of the reference solution: the tests version it ran against, its verdict."""

    tests_version: int
    passed: bool | None
    at: datetime | None


@dataclass(frozen=True, slots=True)
class ExerciseStaffRecord:
    """What only the course's instructors and administrators see of an exercise."""

    reference_solution: str | None
    hints: tuple[str, ...]
    tests: tuple[TestCaseRecord, ...]
    tests_version: int
    validation: LastValidation | None
    regrade_version: int | None


@dataclass(frozen=True, slots=True)
class ExerciseRecord:
    """One exercise as the caller may see it: the visible test cases, the number of hidden
    ones, the caller's revealed hints; ``staff`` only for the course's staff."""

    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    title: str
    description: str
    difficulty: str
    language: CodeLanguage
    starter_code: str
    max_score: int
    time_limit_ms: int
    memory_limit_mb: int
    status: ExerciseStatus
    published_at: datetime | None
    created_at: datetime
    updated_at: datetime
    visible_tests: tuple[TestCaseRecord, ...]
    hidden_test_count: int
    hint_count: int
    revealed_hints: tuple[str, ...]
    staff: ExerciseStaffRecord | None

    @classmethod
    def of(
        cls,
        exercise: CodeExercise,
        tests: Sequence[CodeTestCase],
        *,
        staff: bool,
        revealed: int,
    ) -> ExerciseRecord:
        """``staff`` adds the staff part; ``revealed`` is how many hints the caller revealed."""
        visible = [t for t in tests if not t.hidden]
        hints = tuple(exercise.hints or [])
        staff_record = None
        if staff:
            validation = None
            if exercise.validated_version is not None:
                validation = LastValidation(
                    tests_version=exercise.validated_version,
                    passed=exercise.validation_passed,
                    at=exercise.validated_at,
                )
            staff_record = ExerciseStaffRecord(
                reference_solution=exercise.reference_solution,
                hints=hints,
                tests=tuple(TestCaseRecord.of(t) for t in tests),
                tests_version=exercise.tests_version,
                validation=validation,
                regrade_version=exercise.regrade_version,
            )
        return cls(
            id=exercise.id,
            course_id=exercise.course_id,
            module_id=exercise.module_id,
            lesson_id=exercise.lesson_id,
            title=exercise.title,
            description=exercise.description,
            difficulty=exercise.difficulty,
            language=CodeLanguage(exercise.language),
            starter_code=exercise.starter_code,
            max_score=exercise.max_score,
            time_limit_ms=exercise.time_limit_ms,
            memory_limit_mb=exercise.memory_limit_mb,
            status=ExerciseStatus(exercise.status),
            published_at=exercise.published_at,
            created_at=exercise.created_at,
            updated_at=exercise.updated_at,
            visible_tests=tuple(TestCaseRecord.of(t) for t in visible),
            hidden_test_count=len(tests) - len(visible),
            hint_count=len(hints),
            revealed_hints=hints[: min(revealed, len(hints))],
            staff=staff_record,
        )


@dataclass(frozen=True, slots=True)
class ExerciseListRecord:
    """An exercise in a course's list: its test cases are only counted."""

    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    title: str
    difficulty: str
    language: CodeLanguage
    max_score: int
    status: ExerciseStatus
    test_count: int
    hidden_test_count: int

    @classmethod
    def of(cls, exercise: CodeExercise, counts: tuple[int, int]) -> ExerciseListRecord:
        """``counts``: the number of test cases and of hidden ones."""
        return cls(
            id=exercise.id,
            course_id=exercise.course_id,
            module_id=exercise.module_id,
            lesson_id=exercise.lesson_id,
            title=exercise.title,
            difficulty=exercise.difficulty,
            language=CodeLanguage(exercise.language),
            max_score=exercise.max_score,
            status=ExerciseStatus(exercise.status),
            test_count=counts[0],
            hidden_test_count=counts[1],
        )


@dataclass(frozen=True, slots=True)
class HintsRecord:
    hint_count: int
    revealed: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RegradeRecord:
    """``queued`` is false when a regrade for this tests version was already requested."""

    tests_version: int
    queued: bool


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class TestResultRecord:
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
    output: str | None
    diff: str | None
    error: str | None

    @classmethod
    def stored(cls, row: CodeTestResult) -> TestResultRecord:
        hidden = row.hidden
        return cls(
            test_id=row.test_id,
            position=row.position,
            name=row.name,
            hidden=hidden,
            passed=row.passed,
            status=row.status,
            weight=row.weight,
            time_ms=row.time_ms,
            memory_kb=row.memory_kb,
            output=None if hidden else row.output,
            diff=None if hidden else row.diff,
            error=None if hidden else row.error,
        )

    @classmethod
    def live(
        cls, result: TestResult, test: CodeTestCase, *, reveal_hidden: bool = False
    ) -> TestResultRecord:
        """A fresh sandbox result. ``reveal_hidden`` is for staff validating their own tests."""
        show = reveal_hidden or not test.hidden
        return cls(
            test_id=test.id,
            position=test.position,
            name=test.name,
            hidden=test.hidden,
            passed=result.passed,
            status=result.status.value,
            weight=test.weight,
            time_ms=result.time_ms,
            memory_kb=result.memory_kb,
            output=result.output if show else None,
            diff=result.diff if show else None,
            error=result.error if show else None,
        )


@dataclass(frozen=True, slots=True)
class ValidationRecord:
    """The reference solution against every test case (hidden ones revealed: staff only)."""

    passed: bool
    tests_version: int
    failing_test_ids: tuple[uuid.UUID, ...]
    results: tuple[TestResultRecord, ...]
    error: str | None


@dataclass(frozen=True, slots=True)
class RunRecord:
    """A "run": the visible tests only, nothing recorded."""

    status: str
    tests_passed: int
    tests_total: int
    hidden_tests_not_run: int
    results: tuple[TestResultRecord, ...]
    error: str | None


# --------------------------------------------------------------------------- submissions


@dataclass(frozen=True, slots=True)
class FunctionMetricRecord:
    name: str
    line: int
    complexity: int


@dataclass(frozen=True, slots=True)
class LintFindingRecord:
    code: str
    message: str
    line: int
    column: int


@dataclass(frozen=True, slots=True)
class AnalysisRecord:
    """A submission's analysis: ``AUTOMATED`` (metrics and lint), ``MANUAL`` (instructor
    feedback) or ``HYBRID`` (both)."""

    analysis_type: str
    automated_status: str | None
    automated_note: str | None
    lines_of_code: int | None
    comment_lines: int | None
    blank_lines: int | None
    max_complexity: int | None
    functions: tuple[FunctionMetricRecord, ...]
    lint_findings: tuple[LintFindingRecord, ...]
    lint_total: int | None
    tool: str | None
    feedback: str | None
    strengths: tuple[str, ...]
    weaknesses: tuple[str, ...]
    suggestions: tuple[str, ...]
    overall_score: int | None
    analyzed_by: uuid.UUID | None
    updated_at: datetime

    @classmethod
    def of(cls, row: CodeAnalysis) -> AnalysisRecord:
        return cls(
            analysis_type=row.analysis_type,
            automated_status=row.automated_status,
            automated_note=row.automated_note,
            lines_of_code=row.lines_of_code,
            comment_lines=row.comment_lines,
            blank_lines=row.blank_lines,
            max_complexity=row.max_complexity,
            functions=tuple(
                FunctionMetricRecord(name=f["name"], line=f["line"], complexity=f["complexity"])
                for f in row.functions or []
            ),
            lint_findings=tuple(
                LintFindingRecord(
                    code=f["code"], message=f["message"], line=f["line"], column=f["column"]
                )
                for f in row.lint_findings or []
            ),
            lint_total=row.lint_total,
            tool=row.tool,
            feedback=row.feedback,
            strengths=tuple(row.strengths or []),
            weaknesses=tuple(row.weaknesses or []),
            suggestions=tuple(row.suggestions or []),
            overall_score=row.overall_score,
            analyzed_by=row.analyzed_by,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class SubmissionSummaryRecord:
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

    @classmethod
    def of(cls, row: CodeSubmission) -> SubmissionSummaryRecord:
        return cls(
            id=row.id,
            exercise_id=row.exercise_id,
            course_id=row.course_id,
            user_id=row.user_id,
            language=CodeLanguage(row.language),
            status=CodeSubmissionStatus(row.status),
            score=row.score,
            max_score=row.max_score,
            tests_passed=row.tests_passed,
            tests_total=row.tests_total,
            tests_version=row.tests_version,
            hints_used=row.hints_used,
            submitted_at=row.submitted_at,
            graded_at=row.graded_at,
        )


@dataclass(frozen=True, slots=True)
class SubmissionRecord:
    """A submission with its code, per-test results (hidden ones: verdicts only) and analysis."""

    summary: SubmissionSummaryRecord
    code: str
    started_at: datetime | None
    error: str | None
    regrades: int
    results: tuple[TestResultRecord, ...]
    analysis: AnalysisRecord | None

    @classmethod
    def of(
        cls,
        row: CodeSubmission,
        results: Sequence[CodeTestResult],
        analysis: CodeAnalysis | None,
    ) -> SubmissionRecord:
        return cls(
            summary=SubmissionSummaryRecord.of(row),
            code=row.code,
            started_at=row.started_at,
            error=row.error,
            regrades=row.regrades,
            results=tuple(TestResultRecord.stored(r) for r in results),
            analysis=AnalysisRecord.of(analysis) if analysis is not None else None,
        )


# --------------------------------------------------------------------------- the runner


@dataclass(frozen=True, slots=True)
class RunnerStatus:
    """The code runner and the sandbox layers active on this host (operators)."""

    runner: str
    judge0_host: str | None
    languages: tuple[str, ...]
    analysis: bool
    #: ``None`` when no local sandbox runs on this host.
    layers: SandboxLayers | None
    probed_at: datetime | None
    uid_pool_size: int
    uid_pool_in_use: int
    #: Set when jobs are not isolated: grading refused, or the weak sandbox accepted.
    banner: str | None
