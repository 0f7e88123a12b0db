"""Instructor tools: validation of the reference solution, publication refused with the
failing test ids, test changes (versioned), idempotent regrades, feedback (HYBRID/MANUAL), and
bad input."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.coding.events import CodeSubmissionGraded
from campus.coding.models import CodeSubmission
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.catalog import ok
from tests.fixtures.coding import ADDER, API, WRONG_FOR_NEGATIVES, CodingFactory, call, stdio

TESTS = [call("adds", [1, 2], 3), call("adds negatives", [-1, -2], -3, hidden=True)]


async def test_publishing_is_refused_while_the_reference_solution_fails_its_tests(
    coding: CodingFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    draft = await coding.exercise(
        world, tests=TESTS, referenceSolution=WRONG_FOR_NEGATIVES, publish=False
    )
    url = f"{API}/coding-exercises/{draft['id']}"
    headers = world.instructor.headers
    refused = await client.post(url + "/publish", headers=headers)
    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "reference_solution_fails"
    hidden_id = draft["staff"]["tests"][1]["id"]
    assert error["details"]["failingTestIds"] == [hidden_id]
    assert error["details"]["failing"][0]["name"] == "adds negatives"
    detail = ok(await client.get(url, headers=headers))
    assert detail["status"] == "draft"

    validated = ok(await client.post(url + "/validate", headers=headers))
    assert validated["passed"] is False
    assert validated["failingTestIds"] == [hidden_id]
    ok(await client.patch(url, json={"referenceSolution": ADDER}, headers=headers))
    published = ok(await client.post(url + "/publish", headers=headers))
    assert published["status"] == "published"
    assert published["publishedAt"] is not None
    assert published["staff"]["validation"]["passed"] is True


async def test_an_exercise_without_reference_or_tests_cannot_be_published(
    coding: CodingFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    draft = await coding.exercise(world, tests=[], publish=False)
    response = await client.post(
        f"{API}/coding-exercises/{draft['id']}/publish", headers=world.instructor.headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "reference_solution_missing"


async def test_test_changes_of_a_published_exercise_must_keep_the_reference_passing(
    coding: CodingFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    url = f"{API}/coding-exercises/{exercise['id']}/tests"
    headers = world.instructor.headers
    broken = [call("wrong on purpose", [1, 1], 3)]
    refused = await client.put(url, json={"tests": broken}, headers=headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "reference_solution_fails"
    unchanged = ok(await client.get(f"{API}/coding-exercises/{exercise['id']}", headers=headers))
    assert unchanged["staff"]["testsVersion"] == 1
    assert len(unchanged["staff"]["tests"]) == 2

    replaced = ok(
        await client.put(url, json={"tests": [*TESTS, call("zero", [0, 0], 0)]}, headers=headers)
    )
    assert replaced["staff"]["testsVersion"] == 2
    assert [t["name"] for t in replaced["staff"]["tests"]] == ["adds", "adds negatives", "zero"]


async def test_regrade_grades_older_submissions_again_and_is_idempotent(
    coding: CodingFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=[call("adds", [1, 2], 3)])
    first = await coding.graded(relay, world.learner, exercise["id"], WRONG_FOR_NEGATIVES)
    assert (first["status"], first["score"]) == ("PASSED", "100.00")
    headers = world.instructor.headers
    url = f"{API}/coding-exercises/{exercise['id']}"
    ok(await client.put(url + "/tests", json={"tests": TESTS}, headers=headers))

    response = await client.post(url + "/regrade", headers=headers)
    assert response.status_code == 202
    assert response.json()["queued"] is True
    assert response.json()["testsVersion"] == 2
    again = ok(await client.post(url + "/regrade", headers=headers), 202)
    assert again["queued"] is False
    await relay.drain()
    regraded = await coding.submission(world.learner, first["id"])
    assert (regraded["status"], regraded["score"]) == ("FAILED", "50.00")
    assert (regraded["testsVersion"], regraded["regrades"]) == (2, 1)
    assert [r["name"] for r in regraded["results"]] == ["adds", "adds negatives"]
    # a third request for the same tests version changes nothing
    ok(await client.post(url + "/regrade", headers=headers), 202)
    assert await relay.drain() == 0
    async with db.read_session() as session:
        graded_events = list(
            await session.scalars(
                sa.select(OutboxMessage.payload)
                .where(OutboxMessage.name == CodeSubmissionGraded.name)
                .order_by(OutboxMessage.id)  # UUIDv7: the order they were written in
            )
        )
    assert [(e["status"], e["regrade"]) for e in graded_events] == [
        ("PASSED", False),
        ("FAILED", True),
    ]


async def test_submissions_graded_while_the_tests_change_are_graded_again(
    coding: CodingFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=[call("adds", [1, 2], 3)])
    created = ok(await coding.submit(world.learner, exercise["id"], ADDER), 201)
    # the tests change after the submission was queued: it is graded against the new ones
    ok(
        await client.put(
            f"{API}/coding-exercises/{exercise['id']}/tests",
            json={"tests": TESTS},
            headers=world.instructor.headers,
        )
    )
    await relay.drain()
    graded = await coding.submission(world.learner, created["id"])
    assert graded["testsVersion"] == 2
    assert graded["testsTotal"] == 2


async def test_instructor_feedback_makes_the_analysis_hybrid(
    coding: CodingFactory, client: AsyncClient, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    graded = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    assert graded["analysis"]["analysisType"] == "AUTOMATED"
    body: dict[str, Any] = {
        "feedback": "Clean and correct.",
        "strengths": ["short"],
        "weaknesses": [],
        "suggestions": ["add a docstring"],
        "overallScore": 90,
    }
    url = f"{API}/code-submissions/{graded['id']}/feedback"
    refused = await client.put(url, json=body, headers=world.learner.headers)
    assert refused.status_code == 403
    reviewed = ok(await client.put(url, json=body, headers=world.instructor.headers))
    analysis = reviewed["analysis"]
    assert analysis["analysisType"] == "HYBRID"
    assert analysis["feedback"] == "Clean and correct."
    assert analysis["analyzedBy"] == str(world.instructor.id)
    assert analysis["linesOfCode"] == graded["analysis"]["linesOfCode"]
    mine = await coding.submission(world.learner, graded["id"])
    assert mine["analysis"]["suggestions"] == ["add a docstring"]


async def test_feedback_on_an_ungraded_submission_is_manual(
    coding: CodingFactory, client: AsyncClient, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    created = ok(await coding.submit(world.learner, exercise["id"], ADDER), 201)
    reviewed = ok(
        await client.put(
            f"{API}/code-submissions/{created['id']}/feedback",
            json={"feedback": "Looks fine"},
            headers=world.admin.headers,
        )
    )
    assert reviewed["analysis"]["analysisType"] == "MANUAL"
    assert reviewed["status"] == "PENDING"


async def test_bad_exercise_input_is_a_422_and_creates_nothing(
    coding: CodingFactory, client: AsyncClient, db: Database
) -> None:
    world = await coding.world()
    url = f"{API}/courses/{world.course_id}/coding-exercises"
    headers = world.instructor.headers
    bad_bodies: list[dict[str, Any]] = [
        {"title": ""},
        {"title": "x", "language": "cobol"},
        {"title": "x", "tests": [stdio("s", "", "x", input=["not", "text"])]},
        {"title": "x", "tests": [call("f", [], 1, input="not a list")]},
        {"title": "x", "tests": [call("f", [1], 1, weight=0)]},
        {"title": "x", "tests": [call("f", [1], 1, comparison="fuzzy")]},
        {"title": "x", "timeLimitMs": 10},
        {"title": "x", "timeLimitMs": 59_000},
        {"title": "x", "status": "published"},
        {"title": "x", "lessonId": "00000000-0000-0000-0000-000000000000"},
    ]
    for body in bad_bodies:
        response = await client.post(url, json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
    async with db.read_session() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(CodeSubmission))
    assert count == 0
    listed = ok(await client.get(url, headers=headers))
    assert listed["total"] == 0


async def test_whitespace_in_code_and_test_data_is_kept_exactly(
    coding: CodingFactory, client: AsyncClient, relay: Relay
) -> None:
    world = await coding.world()
    tests = [stdio("trailing newline matters", "  2 3  \n", "5\n")]
    program = "a, b = input().split()\nprint(int(a) + int(b))\n"
    exercise = await coding.exercise(world, tests=tests, referenceSolution=program)
    test = exercise["visibleTests"][0]
    assert (test["input"], test["expected"]) == ("  2 3  \n", "5\n")
    graded = await coding.graded(relay, world.learner, exercise["id"], "  \n" + program + "\n\n")
    assert graded["code"] == "  \n" + program + "\n\n"
    assert graded["status"] == "PASSED"
