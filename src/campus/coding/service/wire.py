"""Model -> wire conversions. The only place that decides what of a test case or result a
learner sees: hidden test data is never copied into a learner-facing model."""

from __future__ import annotations

from collections.abc import Sequence

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
from campus.coding.schemas.exercises import (
    ExerciseListItem,
    ExerciseOut,
    ExerciseStaffView,
    TestCaseOut,
    ValidationState,
)
from campus.coding.schemas.submissions import (
    AnalysisOut,
    FunctionMetric,
    LintFinding,
    SubmissionOut,
    SubmissionSummary,
    TestResultOut,
)
from campus.sandbox import TestResult


def test_case_out(test: CodeTestCase) -> TestCaseOut:
    return TestCaseOut(
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


def exercise_out(
    exercise: CodeExercise,
    tests: Sequence[CodeTestCase],
    *,
    staff: bool,
    revealed: int,
) -> ExerciseOut:
    visible = [t for t in tests if not t.hidden]
    hints = list(exercise.hints or [])
    staff_view = None
    if staff:
        validation = None
        if exercise.validated_version is not None:
            validation = ValidationState(
                tests_version=exercise.validated_version,
                passed=exercise.validation_passed,
                at=exercise.validated_at,
            )
        staff_view = ExerciseStaffView(
            reference_solution=exercise.reference_solution,
            hints=hints,
            tests=[test_case_out(t) for t in tests],
            tests_version=exercise.tests_version,
            validation=validation,
            regrade_version=exercise.regrade_version,
        )
    return ExerciseOut(
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
        visible_tests=[test_case_out(t) for t in visible],
        hidden_test_count=len(tests) - len(visible),
        hint_count=len(hints),
        revealed_hints=hints[: min(revealed, len(hints))],
        staff=staff_view,
    )


def list_item(exercise: CodeExercise, counts: tuple[int, int]) -> ExerciseListItem:
    return ExerciseListItem(
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


def stored_result_out(row: CodeTestResult) -> TestResultOut:
    hidden = row.hidden
    return TestResultOut(
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


def live_result_out(
    result: TestResult, test: CodeTestCase, *, reveal_hidden: bool = False
) -> TestResultOut:
    """A fresh sandbox result. ``reveal_hidden`` is for staff validating their own tests."""
    show = reveal_hidden or not test.hidden
    return TestResultOut(
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


def analysis_out(row: CodeAnalysis) -> AnalysisOut:
    return AnalysisOut(
        analysis_type=row.analysis_type,
        automated_status=row.automated_status,
        automated_note=row.automated_note,
        lines_of_code=row.lines_of_code,
        comment_lines=row.comment_lines,
        blank_lines=row.blank_lines,
        max_complexity=row.max_complexity,
        functions=[FunctionMetric.model_validate(f) for f in row.functions or []],
        lint_findings=[LintFinding.model_validate(f) for f in row.lint_findings or []],
        lint_total=row.lint_total,
        tool=row.tool,
        feedback=row.feedback,
        strengths=list(row.strengths or []),
        weaknesses=list(row.weaknesses or []),
        suggestions=list(row.suggestions or []),
        overall_score=row.overall_score,
        analyzed_by=row.analyzed_by,
        updated_at=row.updated_at,
    )


def summary_out(row: CodeSubmission) -> SubmissionSummary:
    return SubmissionSummary(
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


def submission_out(
    row: CodeSubmission, results: Sequence[CodeTestResult], analysis: CodeAnalysis | None
) -> SubmissionOut:
    base = summary_out(row)
    return SubmissionOut(
        **base.model_dump(),
        code=row.code,
        started_at=row.started_at,
        error=row.error,
        regrades=row.regrades,
        results=[stored_result_out(r) for r in results],
        analysis=analysis_out(analysis) if analysis is not None else None,
    )
