"""The Judge0 runner against an in-test server that speaks Judge0's submission API (a tiny
Starlette app served by uvicorn on 127.0.0.1 that really runs the code, or answers scripted
statuses), then the whole app configured with ``code_runner=judge0``."""

from __future__ import annotations

import base64
import json
import shutil
from collections.abc import AsyncIterator

import pytest

from campus.coding.runners.judge0 import Judge0Runner
from campus.config import Settings
from campus.kernel.jobs import Relay
from campus.sandbox import RunStatus, SandboxLimits, TestCase, TestStatus
from tests.fixtures.coding import (
    ADDER,
    CRASHING,
    SLOW,
    WRONG_FOR_NEGATIVES,
    CodingFactory,
    call,
    canary,
    stdio,
)

from .judge0_fake import FakeJudge0, serve

LIMITS = SandboxLimits(cpu_seconds=1, wall_seconds=2)


@pytest.fixture
async def judge0() -> AsyncIterator[FakeJudge0]:
    async with serve(FakeJudge0(polls_before_done=2)) as fake:
        yield fake


@pytest.fixture
async def runner(judge0: FakeJudge0) -> AsyncIterator[Judge0Runner]:
    runner = Judge0Runner(judge0.url, poll_seconds=0.001, timeout_seconds=30)
    yield runner
    await runner.aclose()


def cases() -> list[TestCase]:
    return [
        TestCase("stdio", "stdio", "2 3\n", "5\n"),
        TestCase("call", "function", [1, 2], 3),
        TestCase("hidden-negatives", "function", [-4, -5], -9, hidden=True, weight=2),
    ]


def sent(fake: FakeJudge0, field: str) -> list[str]:
    return [base64.b64decode(body[field]).decode() for body in fake.received if field in body]


async def test_correct_code_is_accepted_after_polling(
    runner: Judge0Runner, judge0: FakeJudge0
) -> None:
    report = await runner.run("python", ADDER, cases(), LIMITS)
    assert report.status is RunStatus.PASSED, report
    assert report.tests_executed == 3
    assert report.result("stdio").output == "5\n"
    assert report.result("call").output == "3"
    assert report.result("hidden-negatives").output is None
    assert judge0.polls >= 3 * 3  # two "Processing" answers per submission, then the verdict
    body = judge0.received[0]
    assert (body["language_id"], body["cpu_time_limit"], body["wall_time_limit"]) == (71, 1, 2)
    assert body["enable_network"] is False


async def test_function_cases_are_wrapped_and_their_expected_values_never_sent(
    runner: Judge0Runner, judge0: FakeJudge0
) -> None:
    secret = canary("expected")
    tests = [TestCase("secret", "function", ["a", "b"], secret, hidden=True)]
    report = await runner.run("python", "def solve(a, b):\n    return a + b\n", tests, LIMITS)
    assert report.result("secret").status is TestStatus.FAILED
    assert report.result("secret").diff is None
    [body] = judge0.received
    assert "expected_output" not in body
    assert secret not in json.dumps(body)
    assert json.loads(base64.b64decode(body["stdin"])) == {"args": ["a", "b"]}


async def test_wrong_answers_fail_with_a_diff_and_weighted_score(runner: Judge0Runner) -> None:
    report = await runner.run("python", WRONG_FOR_NEGATIVES, cases(), LIMITS)
    assert report.status is RunStatus.FAILED
    assert report.score == pytest.approx(50.0)
    hidden = report.result("hidden-negatives")
    assert hidden.status is TestStatus.FAILED
    assert hidden.output is None
    assert hidden.diff is None


async def test_exact_comparison_is_campus_not_judge0_whitespace_stripping(
    runner: Judge0Runner,
) -> None:
    tests = [
        TestCase("exact", "stdio", "", "5\n"),
        TestCase("loose", "stdio", "", "5\n", comparison="whitespace"),
    ]
    report = await runner.run("python", "print('5  ')\n", tests, LIMITS)
    assert report.result("exact").status is TestStatus.FAILED
    assert report.result("loose").status is TestStatus.PASSED


async def test_crashes_time_outs_and_compile_errors_map_to_verdicts(runner: Judge0Runner) -> None:
    crashed = await runner.run("python", CRASHING, cases(), LIMITS)
    assert crashed.status is RunStatus.FAILED
    assert crashed.result("stdio").status is TestStatus.ERROR
    assert "runtime error" in (crashed.result("stdio").error or "")
    assert "ValueError: boom" in (crashed.result("call").error or "")
    slow = await runner.run(
        "python", SLOW, cases()[:1], SandboxLimits(cpu_seconds=1, wall_seconds=0.5)
    )
    assert slow.result("stdio").status is TestStatus.TIMEOUT
    broken = await runner.run("python", "# judge0-status: 6\n", cases()[:1], LIMITS)
    assert broken.status is RunStatus.FAILED
    assert "compilation error" in (broken.result("stdio").error or "")


async def test_judge0_internal_errors_are_grader_errors_not_failures(runner: Judge0Runner) -> None:
    report = await runner.run("python", "# judge0-status: 13\n", cases(), LIMITS)
    assert report.status is RunStatus.ERROR
    assert report.error is not None
    assert "13" in report.error
    assert report.tests_executed == 0


async def test_an_unreachable_judge0_is_a_grader_error() -> None:
    runner = Judge0Runner("http://127.0.0.1:9", poll_seconds=0.001, timeout_seconds=5)
    try:
        report = await runner.run("python", ADDER, cases()[:1], LIMITS)
    finally:
        await runner.aclose()
    assert report.status is RunStatus.ERROR
    assert report.results[0].status is TestStatus.ERROR


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_javascript_function_cases_are_wrapped_too(runner: Judge0Runner) -> None:
    source = "module.exports = (a, b) => a + b;\n"
    report = await runner.run("javascript", source, [TestCase("js", "function", [2, 3], 5)], LIMITS)
    assert report.status is RunStatus.PASSED, report


# ---------------------------------------------------------------------------- the whole app


@pytest.fixture
def settings(settings: Settings, judge0: FakeJudge0) -> Settings:
    """This module's app grades with Judge0 (the fake), not the local sandbox."""
    return settings.replace(code_runner="judge0", judge0_url=judge0.url, judge0_poll_seconds=0.001)


async def test_the_app_grades_submissions_through_judge0(
    coding: CodingFactory, relay: Relay, judge0: FakeJudge0
) -> None:
    world = await coding.world()
    tests = [
        stdio("adds on stdin", "2 3\n", "5\n"),
        call("adds", [1, 2], 3),
        call("adds hidden", [-1, -1], -2, hidden=True),
        stdio("hidden stdin", "7 0\n", "7\n", hidden=True),
    ]
    exercise = await coding.exercise(world, tests=tests)
    assert exercise["status"] == "published"  # validated through Judge0 too
    graded = await coding.graded(relay, world.learner, exercise["id"], WRONG_FOR_NEGATIVES)
    assert graded["status"] == "FAILED"
    assert graded["score"] == "75.00"
    assert graded["analysis"]["automatedStatus"] in ("complete", "partial")
    assert judge0.received, "nothing reached Judge0"
