"""Wire models of coding exercises (camelCase JSON; inputs forbid unknown fields).

Learners get ``ExerciseOut`` with the visible test cases and the number of hidden ones;
``staff`` (instructors of the course and administrators only) adds the reference solution,
every hint and every test case. Per-test results of hidden tests carry the verdict, time and
memory only.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, cast

from pydantic import Field, StringConstraints, model_validator

from campus.coding.data import (
    CodeLanguage,
    CodeSubmissionStatus,
    Comparison,
    ExerciseStatus,
    TestKind,
)
from campus.kernel.schemas import ApiModel, InputModel, Responses, error_responses
from campus.sandbox import TestCase as SandboxTestCase
from campus.sandbox.models import TestKind as SandboxKind

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Markdown = Annotated[str, StringConstraints(max_length=50_000)]
Hint = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Code = Annotated[str, StringConstraints(max_length=256 * 1024, strip_whitespace=False)]
ListItem = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
Difficulty = Annotated[str, StringConstraints(pattern=r"^(EASY|MEDIUM|HARD)$")]

MAX_TESTS = 50
MAX_TEST_DATA_BYTES = 64 * 1024


# --------------------------------------------------------------------------- inputs


class TestCaseIn(InputModel):
    """``stdio``: ``input`` is the text on stdin and ``expected`` the exact stdout text.
    ``function``: ``input`` is the list of arguments of ``solve`` and ``expected`` the JSON value
    it must return."""

    __test__ = False

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)] | None = None
    kind: TestKind
    input: Any = Field(description="stdin text (stdio) or the list of arguments (function)")
    expected: Any = Field(description="expected stdout text (stdio) or return value (function)")
    hidden: bool = False
    weight: int = Field(default=1, ge=0, le=1000)
    comparison: Comparison = Comparison.EXACT
    tolerance: float = Field(default=1e-6, ge=0, le=1e9, description="absolute (numeric)")
    rel_tolerance: float = Field(default=1e-9, ge=0, le=1, description="relative (numeric)")

    @model_validator(mode="after")
    def _check(self) -> TestCaseIn:
        size = len(json.dumps([self.input, self.expected], ensure_ascii=False, default=str))
        if size > MAX_TEST_DATA_BYTES:
            raise ValueError(f"a test case holds at most {MAX_TEST_DATA_BYTES} bytes of data")
        self.as_sandbox_case("check")  # raises ValueError with the reason
        return self

    def as_sandbox_case(self, test_id: str) -> SandboxTestCase:
        return SandboxTestCase(
            id=test_id,
            kind=cast(SandboxKind, self.kind.value),
            input=self.input,
            expected=self.expected,
            weight=float(self.weight),
            hidden=self.hidden,
            comparison=self.comparison.value,
            tolerance=self.tolerance,
            rel_tolerance=self.rel_tolerance,
        )


def _check_tests(tests: list[TestCaseIn]) -> None:
    if tests and sum(t.weight for t in tests) <= 0:
        raise ValueError("the test cases' total weight must be above 0")


class ExerciseCreate(InputModel):
    title: Title
    description: Markdown = ""
    difficulty: Difficulty = "MEDIUM"
    language: CodeLanguage = CodeLanguage.PYTHON
    starter_code: Code = ""
    reference_solution: Code | None = None
    hints: list[Hint] = Field(default_factory=list, max_length=20)
    max_score: int = Field(default=100, ge=1, le=1000)
    time_limit_ms: int = Field(default=2000, ge=100, le=60_000, description="per test case")
    memory_limit_mb: int = Field(default=256, ge=32, le=4096, description="per test case")
    module_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None
    tests: list[TestCaseIn] = Field(default_factory=list, max_length=MAX_TESTS)

    @model_validator(mode="after")
    def _weights(self) -> ExerciseCreate:
        _check_tests(self.tests)
        return self


class ExerciseUpdate(InputModel):
    """Every field optional; changing a grading input (language, reference solution, limits,
    maximum score) of a published exercise re-validates its reference solution."""

    title: Title | None = None
    description: Markdown | None = None
    difficulty: Difficulty | None = None
    language: CodeLanguage | None = None
    starter_code: Code | None = None
    reference_solution: Code | None = None
    hints: list[Hint] | None = Field(default=None, max_length=20)
    max_score: int | None = Field(default=None, ge=1, le=1000)
    time_limit_ms: int | None = Field(default=None, ge=100, le=60_000)
    memory_limit_mb: int | None = Field(default=None, ge=32, le=4096)
    module_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None


class TestsReplace(InputModel):
    __test__ = False

    tests: list[TestCaseIn] = Field(min_length=1, max_length=MAX_TESTS)

    @model_validator(mode="after")
    def _weights(self) -> TestsReplace:
        _check_tests(self.tests)
        return self


class CodeIn(InputModel):
    code: Code = Field(description="The program (size-limited; see codeMaxBytes)")


class FeedbackIn(InputModel):
    feedback: Markdown | None = None
    strengths: list[ListItem] = Field(default_factory=list, max_length=20)
    weaknesses: list[ListItem] = Field(default_factory=list, max_length=20)
    suggestions: list[ListItem] = Field(default_factory=list, max_length=20)
    overall_score: int | None = Field(default=None, ge=0, le=100)


# --------------------------------------------------------------------------- outputs


class TestCaseOut(ApiModel):
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


class ValidationState(ApiModel):
    tests_version: int
    passed: bool | None
    at: datetime | None


class ExerciseStaffView(ApiModel):
    reference_solution: str | None
    hints: list[str]
    tests: list[TestCaseOut]
    tests_version: int
    validation: ValidationState | None
    regrade_version: int | None


class ExerciseOut(ApiModel):
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
    #: Test cases learners may see; hidden ones are only counted.
    visible_tests: list[TestCaseOut]
    hidden_test_count: int
    hint_count: int
    #: The caller's revealed hints, in order (learners).
    revealed_hints: list[str]
    #: Only for the course's instructors and administrators.
    staff: ExerciseStaffView | None = None


class ExerciseListItem(ApiModel):
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
    """Seed 003 ``AssignmentAnalysis`` for code: ``AI`` (machine-made: metrics and lint
    computed in the sandbox), ``MANUAL`` (instructor only) or ``HYBRID`` (both)."""

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


class ValidationOut(ApiModel):
    """The reference solution against every test case (instructors see hidden ones too)."""

    passed: bool
    tests_version: int
    failing_test_ids: list[uuid.UUID]
    results: list[TestResultOut]
    error: str | None = None


class HintsOut(ApiModel):
    hint_count: int
    revealed: list[str]


class RegradeOut(ApiModel):
    tests_version: int
    queued: bool
    message: str


class LayersOut(ApiModel):
    rlimits: bool
    uid_switch: bool
    bubblewrap: bool
    pid_namespace: bool
    network_isolated: bool
    subreaper: bool
    no_new_privs: bool
    seccomp: bool
    active: list[str]
    python: str | None
    python_version: str | None
    lint: str | None
    notes: list[str]


class SandboxStatusOut(ApiModel):
    runner: str
    judge0_host: str | None
    languages: list[str]
    analysis: bool
    layers: LayersOut | None
    probed_at: datetime | None
    uid_pool_size: int
    uid_pool_in_use: int


# --------------------------------------------------------------------------- errors (OpenAPI)


_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "Visible but not allowed (not enrolled, not the course's staff, missing permission)",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (stable error code in the envelope; a failing "
    "reference solution lists the failing test ids)",
    413: "Code or request body too large",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope)",
    429: "Rate limited (see Retry-After)",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
RATE_LIMITED_WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422, 429)
