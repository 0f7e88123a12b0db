"""A course's quizzes, assignments and exams, and a submission's grade history, are pages:
``{items, total, page, limit, hasNext, hasPrev}`` with ``page``/``limit`` (limit at most 100)."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from tests.fixtures.assessment import API, AssessmentFactory
from tests.fixtures.catalog import ok, ok_object

PAGE_KEYS = {"items", "total", "page", "limit", "hasNext", "hasPrev"}


async def _page(client: AsyncClient, url: str, headers: dict[str, str]) -> dict[str, Any]:
    body = ok_object(await client.get(url, headers=headers))
    assert set(body) == PAGE_KEYS
    return body


async def test_course_quizzes_are_a_page_and_learners_count_only_published_ones(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    made = [await assessment.quiz(world, questions) for _ in range(2)]
    await assessment.quiz(world, questions, status="draft")
    url = f"{API}/courses/{world.course_id}/quizzes"

    first = await _page(client, f"{url}?limit=2", world.instructor.headers)
    assert (first["total"], first["page"], first["limit"]) == (3, 1, 2)
    assert (first["hasNext"], first["hasPrev"]) == (True, False)
    second = await _page(client, f"{url}?limit=2&page=2", world.instructor.headers)
    assert (len(second["items"]), second["hasNext"], second["hasPrev"]) == (1, False, True)
    seen = [q["id"] for q in first["items"] + second["items"]]
    assert len(set(seen)) == 3

    learner = await _page(client, url, world.learner.headers)
    assert learner["total"] == 2
    assert {q["id"] for q in learner["items"]} == {q["id"] for q in made}
    too_many = await client.get(f"{url}?limit=101", headers=world.learner.headers)
    assert too_many.status_code == 422  # the documented maximum is refused, not clamped


async def test_course_assignments_and_exams_are_pages_of_their_own_kind(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    works = [await assessment.assignment(world) for _ in range(2)]
    exam = await assessment.assignment(world, "exams")
    base = f"{API}/courses/{world.course_id}"

    first = await _page(client, f"{base}/assignments?limit=1", world.learner.headers)
    assert (first["total"], len(first["items"]), first["hasNext"]) == (2, 1, True)
    second = await _page(client, f"{base}/assignments?limit=1&page=2", world.learner.headers)
    assert (len(second["items"]), second["hasNext"], second["hasPrev"]) == (1, False, True)
    assert {w["id"] for w in first["items"] + second["items"]} == {w["id"] for w in works}

    exams = await _page(client, f"{base}/exams", world.learner.headers)
    assert [e["id"] for e in exams["items"]] == [exam["id"]]
    assert (exams["total"], exams["page"], exams["limit"]) == (1, 1, 20)


async def test_grade_history_is_a_page_oldest_first(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    work = await assessment.assignment(world)
    submitted = await assessment.handed_in(world.learner, work["id"])
    for marks in ("80", "45"):
        ok(
            await client.post(
                f"{API}/submissions/{submitted['id']}/grade",
                json={"marks": marks},
                headers=world.instructor.headers,
            )
        )
    url = f"{API}/submissions/{submitted['id']}/grade-history"

    first = await _page(client, f"{url}?limit=1", world.learner.headers)
    assert (first["total"], first["hasNext"], first["hasPrev"]) == (2, True, False)
    assert [h["marks"] for h in first["items"]] == ["80.00"]
    second = await _page(client, f"{url}?limit=1&page=2", world.learner.headers)
    assert [h["marks"] for h in second["items"]] == ["45.00"]
    assert (second["hasNext"], second["hasPrev"]) == (False, True)
