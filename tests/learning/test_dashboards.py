"""Dashboards: my learning, the activity feed, rosters (filters, sorts, detail, CSV streamed and
by job), and query counts that do not grow with the number of courses or learners."""

from __future__ import annotations

import csv
import io
from typing import Any

from httpx import AsyncClient

from campus.kernel.clock import clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.learning.service import curricula
from tests.fixtures.catalog import API, ok
from tests.fixtures.learning import LearningFactory, ModuleSpec, text
from tests.fixtures.queries import Queries, assert_same_count, count_queries

#: Queries of ``GET /me/learning`` (the same for one course or five).
MY_LEARNING_BUDGET = 11
#: Queries of ``GET /courses/{id}/roster`` (the same for one learner or seven).
ROSTER_BUDGET = 7


async def test_my_learning_lists_courses_by_recent_activity_with_the_next_lesson(
    learning: LearningFactory, client: AsyncClient, frozen_clock: object
) -> None:
    cast = await learning.cast()
    first = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])], title="A")
    second = await learning.course(cast.owner, cast.admin, title="B")
    third = await learning.course(cast.owner, cast.admin, title="C")
    for course in (first, second, third):
        clock.advance(seconds=1)
        await learning.enroll(cast.student, course)
    clock.advance(seconds=1)
    ok(await learning.complete(cast.student, first.lesson_id(0, 0)))
    cancelled = await learning.enroll(cast.student, third)
    ok(await client.delete(f"{API}/enrollments/{cancelled['id']}", headers=cast.student.headers))

    page = ok(await client.get(f"{API}/me/learning", headers=cast.student.headers))
    assert [x["course"]["title"] for x in page["items"]] == ["A", "B"]
    assert page["total"] == 2
    top = page["items"][0]
    assert (top["progressPercent"], top["completedItems"], top["totalItems"]) == (50, 1, 2)
    assert top["nextLesson"]["id"] == first.lesson_id(0, 1)
    assert top["upgradeAvailable"] is False
    small = ok(await client.get(f"{API}/me/learning?limit=1&page=2", headers=cast.student.headers))
    assert [x["course"]["title"] for x in small["items"]] == ["B"]
    assert small["hasPrev"]
    gone = ok(
        await client.get(
            f"{API}/me/learning?status=cancelled_by_user", headers=cast.student.headers
        )
    )
    assert [x["course"]["title"] for x in gone["items"]] == ["C"]
    assert (
        await client.get(f"{API}/me/learning?sort=x", headers=cast.student.headers)
    ).status_code == 422
    other = ok(await client.get(f"{API}/me/learning", headers=cast.co.headers))
    assert other["items"] == []


async def test_the_activity_feed_pages_through_my_events_newest_first(
    learning: LearningFactory, client: AsyncClient, frozen_clock: object
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([text()])], title="Feed")
    await learning.enroll(cast.student, course)
    clock.advance(seconds=1)
    ok(await learning.open(cast.student, course.lesson_id(0, 0)))
    clock.advance(seconds=1)
    ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
    other = await learning.learner("Other")
    await learning.enroll(other, course)

    seen: list[dict[str, Any]] = []
    url = f"{API}/me/activity?limit=2"
    while url:
        page = ok(await client.get(url, headers=cast.student.headers))
        seen += page["items"]
        url = f"{API}/me/activity?limit=2&cursor={page['nextCursor']}" if page["nextCursor"] else ""
    assert [x["type"] for x in seen] == [
        "course_completed",
        "module_completed",
        "lesson_completed",
        "lesson_started",
        "enrolled",
    ]
    assert seen[0]["courseTitle"] == "Feed"
    assert seen[2]["data"]["lessonTitle"] == "Lesson 1.1"
    bad = await client.get(f"{API}/me/activity?cursor=garbage", headers=cast.student.headers)
    assert bad.status_code == 422
    foreign = ok(await client.get(f"{API}/me/activity", headers=other.headers))
    assert [x["type"] for x in foreign["items"]] == ["enrolled"]


async def _roster_world(
    learning: LearningFactory, frozen: bool = True
) -> tuple[Any, Any, list[Any]]:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    people = []
    for name, lessons in (("Alice", 0), ("Bruno", 1), ("Chandra", 2)):
        person = await learning.identity.signed_in(first_name=name, last_name="Learner")
        await learning.enroll(person, course)
        for i in range(lessons):
            ok(await learning.complete(person, course.lesson_id(0, i)))
        if frozen:
            clock.advance(seconds=1)
        people.append(person)
    return cast, course, people


async def test_the_roster_filters_sorts_and_pages_for_the_course_instructors(
    learning: LearningFactory, client: AsyncClient, frozen_clock: object
) -> None:
    cast, course, (alice, bruno, chandra) = await _roster_world(learning)
    url = f"{API}/courses/{course.id}/roster"
    page = ok(await client.get(url, headers=cast.owner.headers))
    assert [x["name"] for x in page["items"]] == [
        "Chandra Learner",
        "Bruno Learner",
        "Alice Learner",
    ]
    assert page["items"][0]["email"] == chandra.email
    assert page["items"][0]["status"] == "completed"

    def names(body: dict[str, Any]) -> list[str]:
        return [x["name"].split()[0] for x in body["items"]]

    by_progress = ok(await client.get(f"{url}?sort=progress", headers=cast.owner.headers))
    assert names(by_progress) == ["Alice", "Bruno", "Chandra"]
    middle = ok(
        await client.get(f"{url}?progressMin=10&progressMax=90", headers=cast.owner.headers)
    )
    assert names(middle) == ["Bruno"]
    done = ok(await client.get(f"{url}?status=completed", headers=cast.owner.headers))
    assert names(done) == ["Chandra"]
    found = ok(await client.get(f"{url}?search=BRU", headers=cast.owner.headers))
    assert names(found) == ["Bruno"]
    by_email = ok(await client.get(f"{url}?search={alice.email}", headers=cast.owner.headers))
    assert names(by_email) == ["Alice"]
    paged = ok(
        await client.get(f"{url}?limit=2&page=2&sort=enrolledAt", headers=cast.owner.headers)
    )
    assert names(paged) == ["Chandra"]
    assert paged["total"] == 3
    assert ok(await client.get(url, headers=cast.admin.headers))["total"] == 3

    for query in ("sort=email", "sort=-password", "progressMin=101", "unknown=1", "status=x"):
        bad = await client.get(f"{url}?{query}", headers=cast.owner.headers)
        assert bad.status_code == 422, query
    for outsider in (cast.other, alice):
        denied = await client.get(url, headers=outsider.headers)
        assert denied.status_code == 403
    detail = ok(await client.get(f"{url}/{bruno.id}", headers=cast.owner.headers))
    assert detail["learner"]["progressPercent"] == 50
    assert [x["status"] for x in detail["outline"]["modules"][0]["lessons"]] == [
        "completed",
        "not_started",
    ]
    assert (
        await client.get(f"{url}/{cast.other.id}", headers=cast.owner.headers)
    ).status_code == 404
    assert (await client.get(f"{url}/{bruno.id}", headers=cast.other.headers)).status_code == 403


async def test_the_roster_csv_streams_every_learner_and_defuses_formulas(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    sneaky = await learning.identity.signed_in(first_name="Eve", email="=cmd@example.com")
    await learning.enroll(sneaky, course)
    plain = await learning.learner("Plain")
    await learning.enroll(plain, course)
    response = await client.get(f"{API}/courses/{course.id}/roster.csv", headers=cast.owner.headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sneaky.email == "=cmd@example.com"
    assert {r["email"] for r in rows} == {"'=cmd@example.com", plain.email}
    assert all(r["status"] == "active" for r in rows)
    denied = await client.get(f"{API}/courses/{course.id}/roster.csv", headers=plain.headers)
    assert denied.status_code == 403


async def test_a_roster_export_job_writes_the_csv_atomically_and_serves_it_as_an_attachment(
    learning: LearningFactory, client: AsyncClient, relay: Relay, data_dir: Any
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    for i in range(3):
        await learning.enroll(await learning.learner("Lou" + "abc"[i]), course)
    url = f"{API}/courses/{course.id}/roster-exports"
    queued = ok(await client.post(url, headers=cast.owner.headers), 202)
    assert (queued["status"], queued["downloadUrl"]) == ("pending", None)
    status_url = f"{url}/{queued['id']}"
    early = await client.get(f"{status_url}/download", headers=cast.owner.headers)
    assert (early.status_code, early.json()["error"]["code"]) == (409, "roster_export_not_ready")

    await relay.drain()
    done = ok(await client.get(status_url, headers=cast.owner.headers))
    assert (done["status"], done["rowCount"]) == ("done", 3)
    assert done["downloadUrl"] == f"{status_url}/download"
    files = sorted(p.name for p in (data_dir / "exports").iterdir())
    assert files == [f"{queued['id']}.csv"]  # no partial file left behind
    download = await client.get(done["downloadUrl"], headers=cast.owner.headers)
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert len(list(csv.DictReader(io.StringIO(download.text)))) == 3
    assert (await client.get(status_url, headers=cast.other.headers)).status_code == 403
    other_course = await learning.course(cast.other, cast.admin)
    wrong = await client.get(
        f"{API}/courses/{other_course.id}/roster-exports/{queued['id']}", headers=cast.other.headers
    )
    assert wrong.status_code == 404


async def test_my_learning_costs_the_same_queries_for_one_course_or_many(
    learning: LearningFactory, client: AsyncClient, db: Database
) -> None:
    cast = await learning.cast()
    counts: list[Queries] = []
    for batch in (1, 4):
        for _ in range(batch):
            course = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
            await learning.enroll(cast.student, course)
            ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
        curricula.clear_cache()
        with count_queries(db) as seen:
            page = ok(await client.get(f"{API}/me/learning", headers=cast.student.headers))
        counts.append(seen)
        assert all(item["nextLesson"] is not None for item in page["items"])
    assert page["total"] == 5
    assert_same_count(counts[0], counts[1])
    counts[1].assert_count(MY_LEARNING_BUDGET)


async def test_the_roster_costs_the_same_queries_for_one_learner_or_many(
    learning: LearningFactory, client: AsyncClient, db: Database
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    counts: list[Queries] = []
    for batch in (1, 6):
        for _ in range(batch):
            await learning.enroll(await learning.learner(), course)
        with count_queries(db) as seen:
            page = ok(
                await client.get(f"{API}/courses/{course.id}/roster", headers=cast.owner.headers)
            )
        counts.append(seen)
        assert all(item["email"] for item in page["items"])
    assert page["total"] == 7
    assert_same_count(counts[0], counts[1])
    counts[1].assert_count(ROSTER_BUDGET)
