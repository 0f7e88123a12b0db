"""Deadlines at the edges: a moment without a time zone is a 422 (never a 500, never read in
the server's zone), and a quiz or exam open "forever" (9999-12-31) still starts, its deadline
maths saturating instead of overflowing."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from tests.fixtures.assessment import API, AssessmentFactory
from tests.fixtures.catalog import ok

FOREVER = "9999-12-31T23:59:59Z"
NAIVE_VALUES = ["2027-01-02T00:00:00", "2027-01-02"]
FIELDS_BY_SEGMENT = {
    "quizzes": ("dueAt", "availableFrom", "availableUntil"),
    "assignments": ("dueAt",),
    "exams": ("dueAt",),
}


def _assert_422_on(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["error"]["code"] == "validation_error"
    fields = body["error"]["details"]["fields"]
    assert any(f["field"] == f"body.{field}" and f["code"] == "timezone_aware" for f in fields)


@pytest.mark.parametrize("value", NAIVE_VALUES)
@pytest.mark.parametrize("segment", sorted(FIELDS_BY_SEGMENT))
async def test_create_and_update_refuse_a_moment_without_time_zone(
    assessment: AssessmentFactory, client: AsyncClient, segment: str, value: str
) -> None:
    world = await assessment.world(lessons=1)
    headers = world.instructor.headers
    if segment == "quizzes":
        created = await assessment.quiz(world, [], status="draft")
        base: dict[str, Any] = {"title": "Q"}
    else:
        created = await assessment.assignment(world, segment)
        base = {"title": "A", "submissionTypes": ["text"]}
    for field in FIELDS_BY_SEGMENT[segment]:
        url = f"{API}/courses/{world.course_id}/{segment}"
        _assert_422_on(await client.post(url, json={**base, field: value}, headers=headers), field)
        url = f"{API}/{segment}/{created['id']}"
        _assert_422_on(await client.patch(url, json={field: value}, headers=headers), field)


async def test_moments_with_an_offset_are_stored_in_utc(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world(lessons=1)
    quiz = await assessment.quiz(world, [], status="draft", dueAt="2027-01-02T01:30:00+02:00")
    assert quiz["dueAt"].startswith("2027-01-01T23:30:00")


@pytest.mark.parametrize("time_limit", [None, 600])
async def test_a_quiz_open_forever_starts_and_submits(
    assessment: AssessmentFactory, time_limit: int | None
) -> None:
    world = await assessment.world(lessons=1)
    questions = await assessment.every_type(world)
    extra: dict[str, Any] = {"availableUntil": FOREVER, "dueAt": FOREVER}
    if time_limit:
        extra["timeLimitSeconds"] = time_limit
    quiz = await assessment.quiz(world, questions[:1], **extra)
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    if time_limit is None:
        assert attempt["deadlineAt"].startswith("9999-12-31T23:59:59")
    submitted = ok(await assessment.submit(world.learner, attempt["id"]))
    assert submitted["status"] == "submitted"


async def test_an_offset_past_the_last_utc_moment_saturates(
    assessment: AssessmentFactory,
) -> None:
    world = await assessment.world(lessons=1)
    quiz = await assessment.quiz(
        world, [], status="draft", availableUntil="9999-12-31T23:00:00-05:00"
    )
    assert quiz["availableUntil"].startswith("9999-12-31T23:59:59")


async def test_an_exam_due_forever_starts(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world(lessons=1)
    exam = await assessment.assignment(world, "exams", dueAt=FOREVER, submissionTypes=["text"])
    url = f"{API}/exams/{exam['id']}/submissions"
    started = ok(await client.post(url, json={}, headers=world.learner.headers), 201)
    assert started["deadlineAt"] is not None
