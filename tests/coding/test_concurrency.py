"""Concurrency invariants of coding exercises on PostgreSQL (separate connections, requests
fired together): hints are never revealed beyond their number, one regrade is queued per
tests version, and duplicate grading deliveries record one verdict. The control: a naive
read-then-write hint reveal over-counts on this very setup, so the invariants are not luck."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from httpx import AsyncClient

from campus.coding.events import GRADE_JOB, CodeSubmissionGraded
from campus.coding.models import CodeHintReveal, CodeSubmission, CodeTestResult
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage, enqueue_job
from tests.conftest import postgres_only
from tests.fixtures.catalog import ok
from tests.fixtures.coding import ADDER, API, CodingFactory, call

N = 20
TESTS = [call("adds", [1, 2], 3), call("adds negatives", [-1, -2], -3, hidden=True)]


@postgres_only
async def test_control_naive_read_then_write_reveals_too_many_hints(
    coding: CodingFactory, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    barrier = asyncio.Barrier(N)

    async def naive() -> None:
        async with db.session() as session:
            row = await session.get(CodeHintReveal, (exercise["id"], world.learner.id))
            seen = row.revealed if row else 0
            await barrier.wait()
            if seen < 2:
                await session.execute(
                    sa.text(
                        "INSERT INTO assessment_code_hint_reveals VALUES (:e, :u, 1, now()) "
                        "ON CONFLICT (exercise_id, user_id) DO UPDATE "
                        "SET revealed = assessment_code_hint_reveals.revealed + 1"
                    ),
                    {"e": exercise["id"], "u": world.learner.id},
                )

    await asyncio.gather(*(naive() for _ in range(N)))
    async with db.read_session() as session:
        revealed = await session.scalar(sa.select(CodeHintReveal.revealed))
    assert revealed is not None
    assert revealed > 2, "the control did not race; the test proves nothing"


@postgres_only
async def test_concurrent_hint_reveals_never_exceed_the_hints(
    coding: CodingFactory, client: AsyncClient, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    url = f"{API}/coding-exercises/{exercise['id']}/hints/next"
    responses = await asyncio.gather(
        *(client.post(url, headers=world.learner.headers) for _ in range(N))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 2 + [409] * (N - 2)
    async with db.read_session() as session:
        assert await session.scalar(sa.select(CodeHintReveal.revealed)) == 2


@postgres_only
async def test_concurrent_regrade_requests_queue_one_regrade(
    coding: CodingFactory, client: AsyncClient, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    url = f"{API}/coding-exercises/{exercise['id']}/regrade"
    responses = await asyncio.gather(
        *(client.post(url, headers=world.instructor.headers) for _ in range(N))
    )
    queued = [ok(r, 202)["queued"] for r in responses]
    assert queued.count(True) == 1
    async with db.read_session() as session:
        jobs = await session.scalar(
            sa.select(sa.func.count()).where(
                OutboxMessage.name == "assessment.coding.regrade_exercise"
            )
        )
    assert jobs == 1


@postgres_only
async def test_duplicate_grading_deliveries_running_together_record_one_verdict(
    coding: CodingFactory, db: Database, relay: Relay
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    created = ok(await coding.submit(world.learner, exercise["id"], ADDER), 201)
    async with db.session() as session:
        for _ in range(3):  # three more deliveries of "grade this submission"
            await enqueue_job(session, GRADE_JOB, {"submissionId": created["id"]})
    relays = [
        Relay(relay.db, relay.registry, worker_id=f"grader-{i}", batch_size=1) for i in range(4)
    ]
    await asyncio.gather(*(r.drain() for r in relays))
    async with db.read_session() as session:
        submission = (
            await session.execute(sa.select(CodeSubmission.status, CodeSubmission.grading_attempts))
        ).one()
        results = await session.scalar(sa.select(sa.func.count()).select_from(CodeTestResult))
        events = await session.scalar(
            sa.select(sa.func.count()).where(OutboxMessage.name == CodeSubmissionGraded.name)
        )
    assert tuple(submission) == ("PASSED", 1)
    assert (results, events) == (2, 1)
