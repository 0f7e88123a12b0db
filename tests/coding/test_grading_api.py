"""End to end through HTTP: submit -> drain the outbox (the grading job) -> read the result.

Correct, wrong, crashing, slow and non-terminating solutions, for stdin/stdout and
function-call cases, with weighted partial scores; the events the grading publishes (and what
learning does with them); runs, hints and the code size limit.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.coding.events import CodeSubmissionGraded, CodeSubmissionPassed
from campus.coding.models import CodeSubmission
from campus.coding.settings import CodingSettings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.catalog import ok
from tests.fixtures.coding import (
    ADDER,
    API,
    CRASHING,
    NON_TERMINATING,
    SLOW,
    WRONG_FOR_NEGATIVES,
    CodingFactory,
    call,
    stdio,
)


def by_name(submission: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in submission["results"]}


async def events(db: Database, name: str) -> list[dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.name == name)
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
        return [dict(r.payload) for r in rows]


async def test_correct_solution_passes_every_stdio_and_function_test(
    coding: CodingFactory, relay: Relay, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    graded = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    assert graded["status"] == "PASSED"
    assert graded["score"] == "100.00"
    assert (graded["testsPassed"], graded["testsTotal"]) == (5, 5)
    assert graded["startedAt"] is not None
    assert graded["gradedAt"] is not None
    results = by_name(graded)
    assert results["adds on stdin"]["output"] == "5\n"
    assert results["adds small numbers"]["output"] == "3"
    assert all(r["passed"] and r["status"] == "passed" for r in graded["results"])
    visible = [r for r in graded["results"] if not r["hidden"]]
    assert all(r["timeMs"] > 0 and r["memoryKb"] > 0 for r in visible)
    hidden = [r for r in graded["results"] if r["hidden"]]
    assert all(r["memoryKb"] == 0 and r["timeMs"] % 100 == 0 for r in hidden)  # SB-18
    graded_events = await events(db, CodeSubmissionGraded.name)
    assert len(graded_events) == 1
    assert graded_events[0]["status"] == "PASSED"
    assert graded_events[0]["score"] == "100.00"
    passed = await events(db, CodeSubmissionPassed.name)
    assert passed == [
        {
            "submissionId": graded["id"],
            "userId": str(world.learner.id),
            "courseId": world.course_id,
            "exerciseId": exercise["id"],
            "lessonId": None,
            "moduleId": None,
            "score": "100.00",
        }
    ]


async def test_wrong_solution_gets_a_weighted_partial_score_and_diffs_for_visible_tests(
    coding: CodingFactory, relay: Relay, db: Database
) -> None:
    world = await coding.world()
    tests = [
        stdio("positive on stdin", "2 3\n", "5\n"),
        call("negative visible", [-1, -2], -3, weight=3),
        call("positive", [4, 5], 9, weight=2),
        call("negative hidden", [-4, -5], -9, hidden=True, weight=4),
    ]
    exercise = await coding.exercise(world, tests=tests)
    graded = await coding.graded(relay, world.learner, exercise["id"], WRONG_FOR_NEGATIVES)
    assert graded["status"] == "FAILED"
    # passed: stdio (1) + positive (2) of a total weight of 10
    assert graded["score"] == "30.00"
    assert graded["testsPassed"] == 2
    results = by_name(graded)
    visible = results["negative visible"]
    assert visible["status"] == "failed"
    assert visible["output"] == "3"
    assert "-3" in visible["diff"]
    assert "+3" in visible["diff"]
    hidden = results["negative hidden"]
    assert (hidden["passed"], hidden["status"]) == (False, "failed")
    assert hidden["output"] is None
    assert hidden["diff"] is None
    assert hidden["error"] is None
    assert await events(db, CodeSubmissionPassed.name) == []
    [graded_event] = await events(db, CodeSubmissionGraded.name)
    assert (graded_event["status"], graded_event["score"]) == ("FAILED", "30.00")


async def test_crashing_solution_fails_with_the_learners_traceback_on_visible_tests_only(
    coding: CodingFactory, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    graded = await coding.graded(relay, world.learner, exercise["id"], CRASHING)
    assert graded["status"] == "FAILED"
    assert graded["score"] == "0.00"
    results = by_name(graded)
    function = results["adds small numbers"]
    assert function["status"] == "error"
    assert "ValueError: boom" in function["error"]
    assert "exit code 3" in results["adds on stdin"]["error"]
    assert all(r["error"] is None for r in graded["results"] if r["hidden"])
    assert graded["error"] is None  # the learner's code failed, not Campus


@pytest.mark.parametrize("code", [SLOW, NON_TERMINATING], ids=["slow", "non-terminating"])
async def test_slow_and_non_terminating_solutions_time_out(
    coding: CodingFactory, relay: Relay, code: str
) -> None:
    world = await coding.world()
    tests = [stdio("stdio", "1 2\n", "3\n"), call("function", [1, 2], 3, hidden=True)]
    exercise = await coding.exercise(world, tests=tests, timeLimitMs=300)
    graded = await coding.graded(relay, world.learner, exercise["id"], code)
    assert graded["status"] == "FAILED"
    assert graded["score"] == "0.00"
    assert [r["status"] for r in graded["results"]] == ["timeout", "timeout"]
    assert "time limit exceeded" in graded["results"][0]["error"]
    assert graded["results"][1]["error"] is None


async def test_a_lesson_exercise_completes_the_lesson_through_learning(
    coding: CodingFactory, relay: Relay, db: Database
) -> None:
    world = await coding.world()
    lesson = world.course["curriculum"][0]["lessons"][0]
    exercise = await coding.exercise(world, lessonId=lesson["id"])
    assert exercise["lessonId"] == lesson["id"]
    assert exercise["moduleId"] == world.course["curriculum"][0]["id"]
    graded = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    assert graded["status"] == "PASSED"
    await relay.drain()  # learning's subscriber
    [passed] = await events(db, CodeSubmissionPassed.name)
    assert passed["lessonId"] == lesson["id"]
    completed = await events(db, "learning.lesson_completed")
    assert [(e["userId"], e["completedBy"]) for e in completed] == [(str(world.learner.id), "code")]


async def test_submission_queues_exactly_one_job_with_the_pending_row(
    coding: CodingFactory, db: Database, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    created = ok(await coding.submit(world.learner, exercise["id"], ADDER), 201)
    assert created["status"] == "PENDING"
    assert created["results"] == []
    assert created["analysis"] is None
    async with db.read_session() as session:
        payloads = list(
            await session.scalars(
                sa.select(OutboxMessage.payload).where(
                    OutboxMessage.name == "assessment.coding.grade_submission"
                )
            )
        )
    assert payloads == [{"submissionId": created["id"]}]
    assert await relay.drain() >= 1
    again = await coding.submission(world.learner, created["id"])
    assert again["status"] == "PASSED"
    assert await relay.drain() == 0


async def test_run_executes_visible_tests_only_and_records_nothing(
    coding: CodingFactory, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    response = await coding.run(world.learner, exercise["id"], WRONG_FOR_NEGATIVES)
    ran = ok(response)
    assert response.headers["X-RateLimit-Limit"]
    assert ran["status"] == "PASSED"  # the visible tests use positive numbers only
    assert (ran["testsPassed"], ran["testsTotal"], ran["hiddenTestsNotRun"]) == (2, 2, 3)
    assert not any(r["hidden"] for r in ran["results"])
    async with db.read_session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(CodeSubmission)) == 0
        coding_messages = sa.select(sa.func.count()).where(
            OutboxMessage.name.like("assessment.cod%")
        )
        assert await session.scalar(coding_messages) == 0


async def test_hints_are_revealed_one_at_a_time_and_counted_on_submissions(
    coding: CodingFactory, client: AsyncClient, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    url = f"{API}/coding-exercises/{exercise['id']}/hints"
    assert ok(await client.get(url, headers=world.learner.headers)) == {
        "hintCount": 2,
        "revealed": [],
    }
    first = ok(await client.post(url + "/next", headers=world.learner.headers))
    assert first["revealed"] == ["Python has a + operator."]
    detail = ok(
        await client.get(f"{API}/coding-exercises/{exercise['id']}", headers=world.learner.headers)
    )
    assert detail["revealedHints"] == ["Python has a + operator."]
    assert detail["hintCount"] == 2
    assert detail["staff"] is None
    graded = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    assert graded["hintsUsed"] == 1
    ok(await client.post(url + "/next", headers=world.learner.headers))
    refused = await client.post(url + "/next", headers=world.learner.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_more_hints"
    assert len(ok(await client.get(url, headers=world.learner.headers))["revealed"]) == 2
    # the other learner's count is their own
    assert ok(await client.get(url, headers=world.other_learner.headers))["revealed"] == []


async def test_code_over_the_size_limit_is_refused_with_413(
    coding: CodingFactory, app: FastAPI, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    limit = CodingSettings.of(app.state.settings).code_max_bytes
    big = "x = 1\n" * (limit // 6 + 1)
    for response in (
        await coding.submit(world.learner, exercise["id"], big),
        await coding.run(world.learner, exercise["id"], big),
    ):
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "code_too_large"
    async with db.read_session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(CodeSubmission)) == 0


async def test_learners_list_their_own_submissions_newest_first(
    coding: CodingFactory, client: AsyncClient, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world)
    first = await coding.graded(relay, world.learner, exercise["id"], CRASHING)
    second = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    await coding.graded(relay, world.other_learner, exercise["id"], ADDER)
    url = f"{API}/coding-exercises/{exercise['id']}/submissions"
    mine = ok(await client.get(url, headers=world.learner.headers))
    assert [s["id"] for s in mine["items"]] == [second["id"], first["id"]]
    assert mine["total"] == 2
    everyone = ok(await client.get(url, headers=world.instructor.headers))
    assert everyone["total"] == 3
    passed = ok(await client.get(url + "?status=PASSED", headers=world.instructor.headers))
    assert passed["total"] == 2


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
async def test_javascript_exercise_is_graded_with_node(coding: CodingFactory, relay: Relay) -> None:
    world = await coding.world()
    source = (  # as a function test, stdin is already consumed by the harness
        "module.exports = function solve(a, b) { return a + b; };\n"
        "const line = require('fs').readFileSync(0, 'utf8').trim();\n"
        "if (line) {\n"
        "  const [a, b] = line.split(' ').map(Number);\n"
        "  console.log(a + b);\n}\n"
    )
    tests = [
        stdio("stdin", "2 3\n", "5\n"),
        call("call", [2, 3], 5),
        call("hidden", [-1, 1], 0, hidden=True),
    ]
    exercise = await coding.exercise(
        world, tests=tests, language="javascript", referenceSolution=source
    )
    graded = await coding.graded(relay, world.learner, exercise["id"], source)
    assert graded["status"] == "PASSED", graded
    assert graded["analysis"]["automatedStatus"] == "partial"
    assert graded["analysis"]["linesOfCode"] == 6
