"""Running code against an exercise's tests, and the one rule about transactions around it.

``pause(session)`` ends the caller's unit of work before code runs. Running tests takes from
a fraction of a second to (time limit x tests) seconds; holding a transaction that long would
hold SQLite's write lock (every other request waits, ADR 0003) or a PostgreSQL connection and
row locks. So the read phase ends (it wrote nothing: asserted) and the write phase starts a
fresh transaction whose statements are conditional on what was read (``tests_version``, the
grading token), so nothing is decided on stale data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding.models import CodeExercise, CodeTestCase
from campus.coding.runners.engine import GradingEngine
from campus.kernel.logging import get_logger
from campus.sandbox import (
    RunStatus,
    SandboxLimits,
    TestCase,
    TestResult,
    TestStatus,
    UnsupportedLanguage,
)
from campus.sandbox.limits import KiB, MiB

log = get_logger("campus.coding.grader")

#: What learners read when Campus (not their code) failed; details go to the logs only.
GRADER_FAILURE = "The grader could not run this submission. It will be looked at; try again."


async def pause(session: AsyncSession) -> None:
    """End a read-only phase of the unit of work before running code (see the module doc)."""
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("pause() must come before any write of the unit of work")
    await session.commit()


def limits_for(exercise: CodeExercise) -> SandboxLimits:
    """Per test case: the exercise's CPU time and memory; the wall-clock budget leaves room for
    interpreter start-up on a loaded machine (sleeping programs are stopped by it)."""
    cpu = exercise.time_limit_ms / 1000
    return SandboxLimits(
        cpu_seconds=cpu,
        wall_seconds=round(cpu * 2 + 1, 3),
        memory_bytes=exercise.memory_limit_mb * MiB,
        max_output_bytes=64 * KiB,
    )


def sandbox_case(test: CodeTestCase, *, reveal: bool = False) -> TestCase:
    """``reveal`` runs a hidden test as a visible one (staff validating the reference
    solution see its output and errors; learners' code never runs this way)."""
    return TestCase(
        id=str(test.id),
        kind=test.kind,  # type: ignore[arg-type]
        input=test.input,
        expected=test.expected,
        weight=float(test.weight),
        hidden=test.hidden and not reveal,
        comparison=test.comparison,  # type: ignore[arg-type]
        tolerance=test.tolerance,
        rel_tolerance=test.rel_tolerance,
    )


@dataclass(frozen=True, slots=True)
class Verdict:
    """``status``: PASSED (every test), FAILED, or ERROR (Campus could not grade; ``error``
    says why, for logs and staff)."""

    status: str
    results: tuple[TestResult, ...]
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.status == RunStatus.PASSED.value

    @property
    def tests_passed(self) -> int:
        return sum(1 for r in self.results if r.passed)

    def score(self, tests: Sequence[CodeTestCase], max_score: int) -> Decimal | None:
        """Weighted share of passed tests on the exercise's scale (``None`` for ERROR)."""
        if self.status == RunStatus.ERROR.value:
            return None
        weights = {str(t.id): t.weight for t in tests}
        total = math.fsum(weights.values())
        if total <= 0:
            return Decimal("0.00")
        earned = math.fsum(weights.get(r.id, 0) for r in self.results if r.passed)
        value = Decimal(str(earned)) / Decimal(str(total)) * max_score
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _all_errors(tests: Sequence[CodeTestCase], message: str) -> tuple[TestResult, ...]:
    return tuple(
        TestResult(
            id=str(t.id),
            passed=False,
            status=TestStatus.ERROR,
            time_ms=0.0,
            memory_kb=0,
            weight=float(t.weight),
            hidden=t.hidden,
            error=None if t.hidden else message,
        )
        for t in tests
    )


async def run_tests(
    engine: GradingEngine,
    language: str,
    source: str,
    tests: Sequence[CodeTestCase],
    limits: SandboxLimits,
    *,
    reveal: bool = False,
) -> Verdict:
    """Run ``source`` against ``tests``; never raises for a runner failure (ERROR verdict)."""
    if not tests:
        return Verdict(RunStatus.ERROR.value, (), "the exercise has no test cases")
    cases = [sandbox_case(t, reveal=reveal) for t in tests]
    try:
        report = await engine.run(language, source, cases, limits)
    except UnsupportedLanguage:
        message = f"no runner for {language} on this server"
        return Verdict(RunStatus.ERROR.value, _all_errors(tests, message), message)
    except Exception as exc:  # the runner itself broke: an ERROR verdict, details logged
        log.exception("code_runner_failed", error=type(exc).__name__)
        message = f"the code runner failed ({type(exc).__name__})"
        return Verdict(RunStatus.ERROR.value, _all_errors(tests, "not run"), message)
    return Verdict(report.status.value, report.results, report.error)
