"""Wire models of coding exercises (camelCase JSON; inputs forbid unknown fields).

Learners get ``ExerciseOut`` with the visible test cases and the number of hidden ones;
``staff`` (instructors of the course and administrators only) adds the reference solution,
every hint and every test case. Per-test results of hidden tests carry the verdict, time and
memory only."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, cast

from pydantic import Field, StringConstraints, model_validator

from campus.coding.data import CodeLanguage, Comparison, ExerciseStatus, TestKind
from campus.coding.schemas.fields import Code, Difficulty, Hint, Markdown, Title
from campus.coding.schemas.submissions import TestResultOut
from campus.coding.service.records import (
    ExerciseDraft,
    ExerciseListRecord,
    ExerciseRecord,
    ExerciseStaffRecord,
    HintsRecord,
    LastValidation,
    RegradeRecord,
    TestCaseRecord,
    TestCaseSpec,
    ValidationRecord,
)
from campus.kernel.schemas import ApiModel, InputModel
from campus.sandbox import TestCase as SandboxTestCase
from campus.sandbox.models import TestKind as SandboxKind

MAX_TESTS = 50

MAX_TEST_DATA_BYTES = 64 * 1024


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

    def spec(self) -> TestCaseSpec:
        return TestCaseSpec(
            name=self.name,
            kind=self.kind,
            input=self.input,
            expected=self.expected,
            hidden=self.hidden,
            weight=self.weight,
            comparison=self.comparison,
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

    def draft(self) -> ExerciseDraft:
        return ExerciseDraft(
            title=self.title,
            description=self.description,
            difficulty=self.difficulty,
            language=self.language,
            starter_code=self.starter_code,
            reference_solution=self.reference_solution,
            hints=tuple(self.hints),
            max_score=self.max_score,
            time_limit_ms=self.time_limit_ms,
            memory_limit_mb=self.memory_limit_mb,
            module_id=self.module_id,
            lesson_id=self.lesson_id,
            tests=tuple(t.spec() for t in self.tests),
        )


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

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent (snake_case names; ``None`` asks to clear one)."""
        return self.model_dump(exclude_unset=True)


class TestsReplace(InputModel):
    __test__ = False

    tests: list[TestCaseIn] = Field(min_length=1, max_length=MAX_TESTS)

    @model_validator(mode="after")
    def _weights(self) -> TestsReplace:
        _check_tests(self.tests)
        return self

    def specs(self) -> tuple[TestCaseSpec, ...]:
        return tuple(t.spec() for t in self.tests)


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

    @classmethod
    def of(cls, test: TestCaseRecord) -> TestCaseOut:
        return cls(
            id=test.id,
            position=test.position,
            name=test.name,
            kind=test.kind,
            hidden=test.hidden,
            weight=test.weight,
            comparison=test.comparison,
            tolerance=test.tolerance,
            rel_tolerance=test.rel_tolerance,
            input=test.input,
            expected=test.expected,
        )


class ValidationState(ApiModel):
    tests_version: int
    passed: bool | None
    at: datetime | None

    @classmethod
    def of(cls, validation: LastValidation) -> ValidationState:
        return cls(
            tests_version=validation.tests_version, passed=validation.passed, at=validation.at
        )


class ExerciseStaffView(ApiModel):
    reference_solution: str | None
    hints: list[str]
    tests: list[TestCaseOut]
    tests_version: int
    validation: ValidationState | None
    regrade_version: int | None

    @classmethod
    def of(cls, staff: ExerciseStaffRecord) -> ExerciseStaffView:
        validation = staff.validation
        return cls(
            reference_solution=staff.reference_solution,
            hints=list(staff.hints),
            tests=[TestCaseOut.of(t) for t in staff.tests],
            tests_version=staff.tests_version,
            validation=ValidationState.of(validation) if validation is not None else None,
            regrade_version=staff.regrade_version,
        )


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

    @classmethod
    def of(cls, exercise: ExerciseRecord) -> ExerciseOut:
        """The visible test cases only; the staff part when the record has one."""
        staff = exercise.staff
        return cls(
            id=exercise.id,
            course_id=exercise.course_id,
            module_id=exercise.module_id,
            lesson_id=exercise.lesson_id,
            title=exercise.title,
            description=exercise.description,
            difficulty=exercise.difficulty,
            language=exercise.language,
            starter_code=exercise.starter_code,
            max_score=exercise.max_score,
            time_limit_ms=exercise.time_limit_ms,
            memory_limit_mb=exercise.memory_limit_mb,
            status=exercise.status,
            published_at=exercise.published_at,
            created_at=exercise.created_at,
            updated_at=exercise.updated_at,
            visible_tests=[TestCaseOut.of(t) for t in exercise.visible_tests],
            hidden_test_count=exercise.hidden_test_count,
            hint_count=exercise.hint_count,
            revealed_hints=list(exercise.revealed_hints),
            staff=ExerciseStaffView.of(staff) if staff is not None else None,
        )


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

    @classmethod
    def of(cls, exercise: ExerciseListRecord) -> ExerciseListItem:
        return cls(
            id=exercise.id,
            course_id=exercise.course_id,
            module_id=exercise.module_id,
            lesson_id=exercise.lesson_id,
            title=exercise.title,
            difficulty=exercise.difficulty,
            language=exercise.language,
            max_score=exercise.max_score,
            status=exercise.status,
            test_count=exercise.test_count,
            hidden_test_count=exercise.hidden_test_count,
        )


class ValidationOut(ApiModel):
    """The reference solution against every test case (instructors see hidden ones too)."""

    passed: bool
    tests_version: int
    failing_test_ids: list[uuid.UUID]
    results: list[TestResultOut]
    error: str | None = None

    @classmethod
    def of(cls, validation: ValidationRecord) -> ValidationOut:
        return cls(
            passed=validation.passed,
            tests_version=validation.tests_version,
            failing_test_ids=list(validation.failing_test_ids),
            results=[TestResultOut.of(r) for r in validation.results],
            error=validation.error,
        )


class HintsOut(ApiModel):
    hint_count: int
    revealed: list[str]

    @classmethod
    def of(cls, hints: HintsRecord) -> HintsOut:
        return cls(hint_count=hints.hint_count, revealed=list(hints.revealed))


class RegradeOut(ApiModel):
    tests_version: int
    queued: bool
    message: str

    @classmethod
    def of(cls, regrade: RegradeRecord) -> RegradeOut:
        message = (
            "Submissions graded against older tests will be graded again."
            if regrade.queued
            else "A regrade for this version of the tests was already requested."
        )
        return cls(tests_version=regrade.tests_version, queued=regrade.queued, message=message)
