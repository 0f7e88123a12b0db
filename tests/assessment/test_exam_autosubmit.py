"""Exams are closed at their deadline with what was saved: by the job scheduled at the deadline,
or by the next read or hand-in, whichever comes first; later changes and uploads are refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.kernel.clock import clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.assessment import API, AssessmentFactory, World
from tests.fixtures.catalog import ok

PDF = b"%PDF-1.7\n" + b"0" * 200 + b"\n%%EOF\n"
GRACE = 5  # assessment_answer_grace_seconds of the test settings


async def _submitted_events(db: Database) -> list[dict[str, Any]]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.payload)
            .where(OutboxMessage.name == "assessment.assignment_submitted")
            .order_by(OutboxMessage.id)
        )
        return [dict(p) for p in rows.scalars()]


async def _start(
    assessment: AssessmentFactory, client: AsyncClient, world: World, **fields: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    exam = await assessment.assignment(
        world, "exams", durationMinutes=5, submissionTypes=["text", "file"], **fields
    )
    started = ok(
        await client.post(f"{API}/exams/{exam['id']}/submissions", headers=world.learner.headers),
        201,
    )
    return exam, started


def _files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


async def test_the_job_at_the_deadline_submits_the_exam_with_the_saved_text_and_files(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await assessment.world()
    clock.freeze()
    _, started = await _start(assessment, client, world)
    url = f"{API}/submissions/{started['id']}"
    ok(await client.patch(url, json={"textAnswer": "my essay"}, headers=world.learner.headers))
    ok(await assessment.upload(world.learner, started["id"], "answer.pdf", PDF), 201)
    await relay.drain()  # nothing is due yet
    assert await _submitted_events(db) == []
    clock.advance(minutes=5, seconds=GRACE + 2)
    await relay.drain()
    events = await _submitted_events(db)
    assert len(events) == 1
    assert events[0]["autoSubmitted"] is True
    assert events[0]["late"] is False
    assert events[0]["submissionId"] == started["id"]
    got = ok(await client.get(url, headers=world.learner.headers))
    assert got["status"] == "submitted"
    assert got["autoSubmitted"] is True
    assert got["submittedAt"] == started["deadlineAt"]
    assert got["textAnswer"] == "my essay"
    assert [f["name"] for f in got["files"]] == ["answer.pdf"]
    # The instructor finds it in the grading queue.
    queue = ok(await client.get(f"{API}/grading/queue", headers=world.instructor.headers))
    assert [i["submissionId"] for i in queue["items"]] == [started["id"]]
    # A second delivery of the job changes nothing and publishes nothing.
    await relay.drain()
    assert len(await _submitted_events(db)) == 1


async def test_an_exam_with_nothing_saved_is_still_closed_at_its_deadline(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await assessment.world()
    clock.freeze()
    _, started = await _start(assessment, client, world)
    clock.advance(minutes=6)
    await relay.drain()
    got = ok(await client.get(f"{API}/submissions/{started['id']}", headers=world.learner.headers))
    assert (got["status"], got["autoSubmitted"], got["files"]) == ("submitted", True, [])
    assert len(await _submitted_events(db)) == 1


async def test_the_next_read_closes_an_expired_exam_before_the_job_and_the_job_then_does_nothing(
    assessment: AssessmentFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world = await assessment.world()
    clock.freeze()
    exam, started = await _start(assessment, client, world)
    url = f"{API}/submissions/{started['id']}"
    ok(await client.patch(url, json={"textAnswer": "draft"}, headers=world.learner.headers))
    clock.advance(minutes=6)
    # Another learner's read is a 404 and closes nothing.
    assert (await client.get(url, headers=world.other_learner.headers)).status_code == 404
    assert await _submitted_events(db) == []
    listed = ok(
        await client.get(f"{API}/exams/{exam['id']}/submissions", headers=world.learner.headers)
    )
    assert [(s["status"], s["autoSubmitted"]) for s in listed["items"]] == [("submitted", True)]
    got = ok(await client.get(url, headers=world.learner.headers))
    assert got["textAnswer"] == "draft"
    await relay.drain()
    assert len(await _submitted_events(db)) == 1


async def test_uploads_inside_the_grace_are_kept_and_later_ones_refused_without_a_file(
    assessment: AssessmentFactory, client: AsyncClient, data_dir: Path
) -> None:
    world = await assessment.world()
    clock.freeze()
    _, started = await _start(assessment, client, world)
    clock.advance(minutes=5, seconds=GRACE - 2)  # past the deadline, inside the grace
    ok(await assessment.upload(world.learner, started["id"], "in-time.pdf", PDF), 201)
    on_disk = _files_under(data_dir / "files")
    clock.advance(seconds=3)  # past deadline + grace
    late = await assessment.upload(world.learner, started["id"], "late.pdf", PDF)
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "deadline_passed"
    changed = await client.patch(
        f"{API}/submissions/{started['id']}",
        json={"textAnswer": "late words"},
        headers=world.learner.headers,
    )
    assert changed.status_code == 409
    assert _files_under(data_dir / "files") == on_disk
    got = ok(await client.get(f"{API}/submissions/{started['id']}", headers=world.learner.headers))
    assert got["status"] == "submitted"
    assert [f["name"] for f in got["files"]] == ["in-time.pdf"]
    assert got["textAnswer"] is None


async def test_a_new_start_after_an_expired_exam_submits_the_old_one_first(
    assessment: AssessmentFactory, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    clock.freeze()
    exam, first = await _start(assessment, client, world, maxSubmissions=2)
    clock.advance(minutes=6)
    second = ok(
        await client.post(f"{API}/exams/{exam['id']}/submissions", headers=world.learner.headers),
        201,
    )
    assert second["attemptNumber"] == 2
    old = ok(await client.get(f"{API}/submissions/{first['id']}", headers=world.learner.headers))
    assert (old["status"], old["autoSubmitted"]) == ("submitted", True)
    assert [e["submissionId"] for e in await _submitted_events(db)] == [first["id"]]


async def test_an_exam_past_its_due_date_cannot_be_started_and_its_deadline_is_the_due_date(
    assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world = await assessment.world()
    now = clock.freeze()
    exam = await assessment.assignment(
        world, "exams", durationMinutes=60, dueAt=(now + timedelta(minutes=10)).isoformat()
    )
    url = f"{API}/exams/{exam['id']}/submissions"
    started = ok(await client.post(url, headers=world.learner.headers), 201)
    assert started["deadlineAt"].startswith((now + timedelta(minutes=10)).isoformat()[:19])
    clock.advance(minutes=11)
    closed = await client.post(url, headers=world.other_learner.headers)
    assert closed.status_code == 409
    assert closed.json()["error"]["code"] == "deadline_passed"
