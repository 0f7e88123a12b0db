"""Coding exercises: authoring, the learner's and the staff's views, validation of the
reference solution, publication and regrade requests. Services never commit; the one
exception is ``test_runs.pause`` (see there), before code runs for seconds.

Every change to a grading input (test cases, language, reference solution, limits, maximum
score) bumps ``tests_version`` in one conditional update that also checks the version the
caller read (``exercise_changed`` 409 otherwise). A published exercise must keep passing its
own tests: such changes run the reference solution first (in the gap between the read and
the write) and are refused with the failing test ids.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.coding import policies
from campus.coding.data import ExerciseStatus
from campus.coding.events import REGRADE_JOB
from campus.coding.exceptions import (
    ExerciseChanged,
    LanguageUnavailable,
    NotEnrolled,
    ReferenceSolutionFails,
    ReferenceSolutionMissing,
)
from campus.coding.models import CodeExercise, CodeTestCase
from campus.coding.repository import exercises as exercises_repo
from campus.coding.runners.engine import GradingEngine
from campus.coding.service.records import (
    ExerciseDraft,
    ExerciseListRecord,
    ExerciseRecord,
    RegradeRecord,
    TestCaseSpec,
    TestResultRecord,
    ValidationRecord,
)
from campus.coding.service.test_runs import Verdict, limits_for, pause, run_tests
from campus.coding.settings import CodingSettings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams
from campus.learning import api as learning

#: Fields whose change can change a verdict (they bump ``tests_version``).
GRADING_FIELDS = ("language", "reference_solution", "time_limit_ms", "memory_limit_mb")


def test_rows(tests: Sequence[TestCaseSpec]) -> list[CodeTestCase]:
    """Transient rows (fresh ids, positions from 1) for new test cases."""
    return [
        CodeTestCase(
            id=new_id(),
            position=index,
            name=test.name or f"Test {index}",
            kind=test.kind.value,
            input=test.input,
            expected=test.expected,
            hidden=test.hidden,
            weight=test.weight,
            comparison=test.comparison.value,
            tolerance=test.tolerance,
            rel_tolerance=test.rel_tolerance,
        )
        for index, test in enumerate(tests, start=1)
    ]


def _row_values(row: CodeTestCase) -> dict[str, Any]:
    return {
        "id": row.id,
        "position": row.position,
        "name": row.name,
        "kind": row.kind,
        "input": row.input,
        "expected": row.expected,
        "hidden": row.hidden,
        "weight": row.weight,
        "comparison": row.comparison,
        "tolerance": row.tolerance,
        "rel_tolerance": row.rel_tolerance,
    }


async def _placement(
    session: AsyncSession,
    course_id: uuid.UUID,
    module_id: uuid.UUID | None,
    lesson_id: uuid.UUID | None,
) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """Check that the module/lesson belong to the course; a lesson implies its module."""
    if lesson_id is not None:
        lesson = await catalog.get_lesson_content(session, lesson_id)
        if lesson is None or lesson.course_id != course_id:
            raise field_error("lessonId", "The lesson is not part of this course.", "not_found")
        if module_id is not None and module_id != lesson.module_id:
            raise field_error("moduleId", "The lesson is in another module.", "mismatch")
        return lesson.module_id, lesson_id
    if module_id is not None and not await catalog.is_course_module(session, course_id, module_id):
        # The working (draft) version counts, not only the published one: a draft course has
        # modules before it is ever published.
        raise field_error("moduleId", "The module is not part of this course.", "not_found")
    return module_id, None


async def _check_language(engine: GradingEngine, language: str) -> None:
    await engine.start()
    if language not in engine.languages:
        raise LanguageUnavailable(details={"available": list(engine.languages)})


def _check_limits(time_limit_ms: int, memory_limit_mb: int, settings: Any) -> None:
    if time_limit_ms > CodingSettings.of(settings).code_max_time_limit_ms:
        raise field_error(
            "timeLimitMs", f"At most {CodingSettings.of(settings).code_max_time_limit_ms} ms."
        )
    if memory_limit_mb > CodingSettings.of(settings).code_max_memory_mb:
        raise field_error(
            "memoryLimitMb", f"At most {CodingSettings.of(settings).code_max_memory_mb} MB."
        )


# --------------------------------------------------------------------------- reads


async def get_exercise(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> ExerciseRecord:
    exercise, staff = await policies.visible_exercise(session, principal, exercise_id)
    if not staff and not await learning.is_enrolled(session, principal.user_id, exercise.course_id):
        raise NotEnrolled()
    tests = await exercises_repo.tests_of(session, exercise.id)
    revealed = await exercises_repo.revealed_hints(session, exercise.id, principal.user_id)
    return ExerciseRecord.of(exercise, tests, staff=staff, revealed=revealed)


async def list_exercises(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, page: PageParams
) -> tuple[list[ExerciseListRecord], int]:
    """A page of the course's exercises (learners: published ones) and their total."""
    await policies.require_course(session, course_id)
    staff = await policies.is_staff(session, principal, course_id)
    if not staff and not await learning.is_enrolled(session, principal.user_id, course_id):
        raise NotEnrolled()
    rows, total = await exercises_repo.list_exercises(
        session, course_id, published_only=not staff, page=page
    )
    counts = await exercises_repo.test_counts(session, [r.id for r in rows])
    return [ExerciseListRecord.of(r, counts.get(r.id, (0, 0))) for r in rows], total


# --------------------------------------------------------------------------- authoring


async def create_exercise(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    draft: ExerciseDraft,
    engine: GradingEngine,
    settings: Any,
) -> ExerciseRecord:
    await policies.require_course_staff(session, principal, course_id)
    _check_limits(draft.time_limit_ms, draft.memory_limit_mb, settings)
    await _check_language(engine, draft.language.value)
    module_id, lesson_id = await _placement(session, course_id, draft.module_id, draft.lesson_id)
    exercise = CodeExercise(
        id=new_id(),
        course_id=course_id,
        module_id=module_id,
        lesson_id=lesson_id,
        title=draft.title,
        description=draft.description,
        difficulty=draft.difficulty,
        language=draft.language.value,
        starter_code=draft.starter_code,
        reference_solution=draft.reference_solution,
        hints=list(draft.hints),
        max_score=draft.max_score,
        time_limit_ms=draft.time_limit_ms,
        memory_limit_mb=draft.memory_limit_mb,
        status=ExerciseStatus.DRAFT.value,
        tests_version=1,
        created_by=principal.user_id,
    )
    session.add(exercise)
    await session.flush()
    rows = test_rows(draft.tests)
    await exercises_repo.replace_tests(session, exercise.id, [_row_values(r) for r in rows])
    return ExerciseRecord.of(exercise, rows, staff=True, revealed=0)


async def _reference_verdict(
    engine: GradingEngine, exercise: CodeExercise, tests: list[CodeTestCase]
) -> Verdict:
    if not exercise.reference_solution or not tests:
        raise ReferenceSolutionMissing()
    return await run_tests(
        engine,
        exercise.language,
        exercise.reference_solution,
        tests,
        limits_for(exercise),
        reveal=True,
    )


def _failing(verdict: Verdict, tests: list[CodeTestCase]) -> list[dict[str, Any]]:
    by_id = {str(t.id): t for t in tests}
    failing = []
    for result in verdict.results:
        if not result.passed:
            test = by_id[result.id]
            failing.append(
                {"testId": str(test.id), "name": test.name, "status": result.status.value}
            )
    return failing


async def update_exercise(
    session: AsyncSession,
    principal: Principal,
    exercise_id: uuid.UUID,
    sent: Mapping[str, Any],
    engine: GradingEngine,
    settings: Any,
) -> ExerciseRecord:
    """``sent``: the fields to change (snake_case names; ``None`` asks to clear one)."""
    exercise = await policies.authored_exercise(session, principal, exercise_id)
    changes = dict(sent)
    if "module_id" in changes or "lesson_id" in changes:
        module_id, lesson_id = await _placement(
            session,
            exercise.course_id,
            changes.get("module_id", exercise.module_id),
            changes.get("lesson_id", exercise.lesson_id),
        )
        changes.update(module_id=module_id, lesson_id=lesson_id)
    for name in ("title", "description", "difficulty", "language", "starter_code", "hints"):
        if name in changes and changes[name] is None:
            raise field_error(to_camel(name), "This field cannot be cleared.")
    _check_limits(
        changes.get("time_limit_ms") or exercise.time_limit_ms,
        changes.get("memory_limit_mb") or exercise.memory_limit_mb,
        settings,
    )
    if "language" in changes:
        changes["language"] = changes["language"].value
        await _check_language(engine, changes["language"])
    grading = [n for n in (*GRADING_FIELDS, "max_score") if n in changes]
    tests = await exercises_repo.tests_of(session, exercise.id)
    if any(n in changes for n in GRADING_FIELDS) and exercise.status == ExerciseStatus.PUBLISHED:
        candidate = _candidate(exercise, changes)
        await pause(session)
        verdict = await _reference_verdict(engine, candidate, tests)
        if not verdict.passed:
            raise ReferenceSolutionFails(_failing(verdict, tests), verdict.error)
    values = dict(changes, updated_at=utcnow())
    if grading:
        values["tests_version"] = exercise.tests_version + 1
    if not await exercises_repo.update_exercise_if_unchanged(
        session, exercise.id, exercise.tests_version, values
    ):
        raise ExerciseChanged()
    fresh = await exercises_repo.get_exercise(session, exercise.id)
    assert fresh is not None
    return ExerciseRecord.of(fresh, tests, staff=True, revealed=0)


def _candidate(exercise: CodeExercise, changes: dict[str, Any]) -> CodeExercise:
    """A transient copy of the exercise with ``changes`` applied (to validate before saving)."""
    fields = {
        "language": exercise.language,
        "reference_solution": exercise.reference_solution,
        "time_limit_ms": exercise.time_limit_ms,
        "memory_limit_mb": exercise.memory_limit_mb,
    }
    fields.update({k: v for k, v in changes.items() if k in fields})
    return CodeExercise(id=exercise.id, **fields)


async def replace_tests(
    session: AsyncSession,
    principal: Principal,
    exercise_id: uuid.UUID,
    tests: Sequence[TestCaseSpec],
    engine: GradingEngine,
) -> ExerciseRecord:
    exercise = await policies.authored_exercise(session, principal, exercise_id)
    rows = test_rows(tests)
    if exercise.status == ExerciseStatus.PUBLISHED:
        await pause(session)
        verdict = await _reference_verdict(engine, exercise, rows)
        if not verdict.passed:
            raise ReferenceSolutionFails(_failing(verdict, rows), verdict.error)
    values = {"tests_version": exercise.tests_version + 1, "updated_at": utcnow()}
    if not await exercises_repo.update_exercise_if_unchanged(
        session, exercise.id, exercise.tests_version, values
    ):
        raise ExerciseChanged()
    await exercises_repo.replace_tests(session, exercise.id, [_row_values(r) for r in rows])
    fresh = await exercises_repo.get_exercise(session, exercise.id)
    assert fresh is not None
    return ExerciseRecord.of(fresh, rows, staff=True, revealed=0)


async def validate(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID, engine: GradingEngine
) -> ValidationRecord:
    """Run the reference solution against every test and remember the verdict."""
    exercise = await policies.authored_exercise(session, principal, exercise_id)
    tests = await exercises_repo.tests_of(session, exercise.id)
    version = exercise.tests_version
    await pause(session)
    verdict = await _reference_verdict(engine, exercise, tests)
    await exercises_repo.update_exercise_if_unchanged(
        session,
        exercise.id,
        version,
        {
            "validated_version": version,
            "validation_passed": verdict.passed,
            "validated_at": utcnow(),
        },
    )
    by_id = {str(t.id): t for t in tests}
    return ValidationRecord(
        passed=verdict.passed,
        tests_version=version,
        failing_test_ids=tuple(uuid.UUID(f["testId"]) for f in _failing(verdict, tests)),
        results=tuple(
            TestResultRecord.live(r, by_id[r.id], reveal_hidden=True) for r in verdict.results
        ),
        error=verdict.error,
    )


async def publish(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID, engine: GradingEngine
) -> ExerciseRecord:
    """Publish after the reference solution passed every test (409 with the failing ids)."""
    exercise = await policies.authored_exercise(session, principal, exercise_id)
    tests = await exercises_repo.tests_of(session, exercise.id)
    version = exercise.tests_version
    await pause(session)
    verdict = await _reference_verdict(engine, exercise, tests)
    if not verdict.passed:
        raise ReferenceSolutionFails(_failing(verdict, tests), verdict.error)
    now = utcnow()
    values: dict[str, Any] = {
        "status": ExerciseStatus.PUBLISHED.value,
        "validated_version": version,
        "validation_passed": True,
        "validated_at": now,
        "updated_at": now,
    }
    if exercise.published_at is None:
        values["published_at"] = now
    if not await exercises_repo.update_exercise_if_unchanged(session, exercise.id, version, values):
        raise ExerciseChanged()
    fresh = await exercises_repo.get_exercise(session, exercise.id)
    assert fresh is not None
    return ExerciseRecord.of(fresh, tests, staff=True, revealed=0)


async def request_regrade(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> RegradeRecord:
    """Queue one regrade of the submissions graded against older tests (idempotent per tests
    version: asking again before the tests change queues nothing)."""
    exercise = await policies.authored_exercise(session, principal, exercise_id)
    version = await exercises_repo.request_regrade(session, exercise.id)
    if version is None:
        return RegradeRecord(tests_version=exercise.tests_version, queued=False)
    await enqueue_job(
        session, REGRADE_JOB, {"exerciseId": str(exercise.id), "testsVersion": version}
    )
    return RegradeRecord(tests_version=version, queued=True)
