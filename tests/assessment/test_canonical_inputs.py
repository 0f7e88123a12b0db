"""Grades are canonical decimals (``-0`` is ``0``, ``1e2`` is ``100``), and a route that takes
no body refuses one: ``{"score": 100}`` sent to ``POST /attempts/{id}/submit`` is a 422, so it
could never be applied."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.fixtures.assessment import API, AssessmentFactory
from tests.fixtures.catalog import ok


@pytest.mark.parametrize(
    ("marks", "shown"), [("-0", "0.00"), ("-0.00", "0.00"), ("1e2", "100.00"), ("00.5", "0.50")]
)
async def test_grades_are_canonical_decimals(
    assessment: AssessmentFactory, client: AsyncClient, marks: str, shown: str
) -> None:
    world = await assessment.world(lessons=1)
    work = await assessment.assignment(world, maxMarks=100)
    submitted = await assessment.handed_in(world.learner, work["id"])
    graded = ok(
        await client.post(
            f"{API}/submissions/{submitted['id']}/grade",
            json={"marks": marks},
            headers=world.instructor.headers,
        )
    )
    assert graded["grade"]["marks"] == shown
    assert not graded["grade"]["finalMarks"].startswith("-")


async def test_a_body_sent_to_submit_is_refused_and_never_applied(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world(lessons=1)
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:1])
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    url = f"{API}/attempts/{attempt['id']}/submit"
    for body in ({"score": 100}, {"scorePercent": "100"}, [1]):
        response = await client.post(url, json=body, headers=world.learner.headers)
        assert response.status_code == 422, response.text
        assert response.json()["error"]["details"]["fields"][0]["code"] == "body_not_allowed"
    current = ok(
        await client.get(
            f"{API}/quizzes/{quiz['id']}/attempts/current", headers=world.learner.headers
        )
    )
    assert current["status"] == "in_progress"
    submitted = ok(await assessment.submit(world.learner, attempt["id"]))
    assert submitted["result"]["scorePercent"] == "0.00"
