"""Coding exercises in the gradebook (each learner's best graded score, through assessment's
projection of ``CodeSubmissionGraded``), and exercises attached to a draft course's modules."""

from __future__ import annotations

from httpx import AsyncClient

from campus.kernel.jobs import Relay
from tests.fixtures.catalog import CatalogFactory, ok
from tests.fixtures.coding import ADDER, API, WRONG_FOR_NEGATIVES, CodingFactory, call

TESTS = [call("adds", [1, 2], 3), call("adds negatives", [-1, -2], -3, hidden=True)]


async def test_the_gradebook_shows_each_learners_best_coding_score(
    coding: CodingFactory, client: AsyncClient, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS, title="Adder")
    full = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    half = await coding.graded(relay, world.learner, exercise["id"], WRONG_FOR_NEGATIVES)
    assert (full["status"], half["status"]) == ("PASSED", "FAILED")
    await relay.drain()  # the gradebook's subscriber

    url = f"{API}/courses/{world.course_id}/gradebook"
    book = ok(await client.get(url, headers=world.instructor.headers))
    column = next(c for c in book["columns"] if c["id"] == exercise["id"])
    assert (column["kind"], column["title"], column["weight"]) == ("code_exercise", "Adder", 0)
    rows = {r["userId"]: r for r in book["items"]}
    # The best submission counts, not the latest; a learner without one has no score.
    assert rows[str(world.learner.id)]["scores"][exercise["id"]] == "100.00"
    assert rows[str(world.other_learner.id)]["scores"][exercise["id"]] is None
    # Weight 0: shown, not part of the course percent (exercises have no weight to set).
    assert rows[str(world.learner.id)]["coursePercent"] == "0.00"

    own = ok(await client.get(url + "/me", headers=world.learner.headers))
    assert own["items"][0]["scores"][exercise["id"]] == "100.00"
    csv_text = (await client.get(url + ".csv", headers=world.instructor.headers)).text
    assert "Adder (code_exercise)" in csv_text.splitlines()[0]


async def test_an_exercise_attaches_to_a_module_of_a_draft_course(
    coding: CodingFactory, catalog: CatalogFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    draft = await catalog.draft(world.instructor, modules=1, lessons=1)
    module_id = draft["curriculum"][0]["id"]
    body = {
        "title": "Draft adder",
        "description": "Sum two numbers.",
        "difficulty": "EASY",
        "language": "python",
        "starterCode": "def solve(a, b):\n    ...\n",
        "tests": TESTS,
        "moduleId": module_id,
    }
    url = f"{API}/courses/{draft['id']}/coding-exercises"
    created = ok(await client.post(url, json=body, headers=world.instructor.headers), 201)
    assert created["moduleId"] == module_id

    # A module of another course is still refused.
    elsewhere = f"{API}/courses/{world.course_id}/coding-exercises"
    refused = await client.post(elsewhere, json=body, headers=world.instructor.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "moduleId"


async def test_clearing_a_required_exercise_field_names_it_in_camel_case(
    coding: CodingFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS, publish=False)
    url = f"{API}/coding-exercises/{exercise['id']}"
    refused = await client.patch(url, json={"starterCode": None}, headers=world.instructor.headers)
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "starterCode"
