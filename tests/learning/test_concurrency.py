"""Concurrency invariants on PostgreSQL (each with a control showing the race is real), and the
course counts that stay true after any replay of events (also on SQLite)."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy.exc import IntegrityError

from campus.catalog import api as catalog_api
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import Delivery, MessageStatus, OutboxMessage, ProcessedMessage
from campus.learning import api as learning_api
from campus.learning import events
from campus.learning.models import Enrollment
from tests.conftest import postgres_only
from tests.fixtures.catalog import API, ok
from tests.fixtures.learning import LearningFactory, ModuleSpec, text

PARALLEL = 50


async def naive_enroll(
    db: Database, user_id: uuid.UUID, course_id: uuid.UUID, gate: asyncio.Barrier
) -> str:
    """The check-then-act a unique constraint and ON CONFLICT replace: look, then insert."""
    try:
        async with db.session() as session:
            found = await session.scalar(
                sa.select(Enrollment.id).where(
                    Enrollment.user_id == user_id, Enrollment.course_id == course_id
                )
            )
            await gate.wait()  # everyone has looked before anyone inserts
            if found is None:
                now = utcnow()
                session.add(
                    Enrollment(
                        user_id=user_id,
                        course_id=course_id,
                        version_id=uuid.uuid4(),
                        status="active",
                        source="free",
                        enrolled_at=now,
                        activated_at=now,
                        last_activity_at=now,
                    )
                )
                await session.flush()
                return "inserted"
            return "found"
    except IntegrityError:
        return "error"


@postgres_only
async def test_control_check_then_insert_races_when_fifty_requests_enroll_at_once(
    db: Database,
) -> None:
    user_id, course_id = uuid.uuid4(), uuid.uuid4()
    gate = asyncio.Barrier(20)
    outcomes = Counter(
        await asyncio.gather(*(naive_enroll(db, user_id, course_id, gate) for _ in range(20)))
    )
    # Every caller saw "no enrollment": one insert wins, the others crash on the constraint
    # (without it they would all have inserted a duplicate).
    assert outcomes["found"] == 0
    assert outcomes["inserted"] == 1
    assert outcomes["error"] == 19


@postgres_only
async def test_fifty_simultaneous_enrollments_make_one_and_answer_with_it(
    learning: LearningFactory, relay: Relay
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    responses = await asyncio.gather(
        *(learning.enroll_response(cast.student, course.id) for _ in range(PARALLEL))
    )
    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 200: PARALLEL - 1}, statuses
    assert len({r.json()["id"] for r in responses}) == 1
    assert len(await learning.enrollment_rows(course.id)) == 1
    assert (await learning.event_names()).count("learning.enrolled") == 1
    await relay.drain()
    assert await learning.enrollment_count_on_course(course.id) == 1


@postgres_only
async def test_parallel_completions_of_the_last_lesson_complete_the_course_once(
    learning: LearningFactory,
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([text(), text()])])
    enrollment = await learning.enroll(cast.student, course)
    ok(await learning.complete(cast.student, course.lesson_id(0, 0)))
    last = course.lesson_id(0, 1)
    responses = await asyncio.gather(*(learning.complete(cast.student, last) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}
    names = await learning.event_names()
    assert names.count("learning.course_completed") == 1
    assert names.count("learning.lesson_completed") == 2
    final = await learning.enrollment(cast.student, enrollment["id"])
    assert (final["status"], final["progressPercent"]) == ("completed", 100)


@postgres_only
async def test_completing_the_remaining_lessons_at_once_still_completes_the_course_once(
    learning: LearningFactory,
) -> None:
    """Write skew: each request completes a different lesson and, without the enrollment lock,
    would count the others as unfinished, so that nobody completes the course."""
    cast = await learning.cast()
    lessons = [text() for _ in range(8)]
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec(lessons)])
    enrollment = await learning.enroll(cast.student, course)
    for i in range(3):
        ok(await learning.complete(cast.student, course.lesson_id(0, i)))
    remaining = [course.lesson_id(0, i) for i in range(3, 8)]
    responses = await asyncio.gather(
        *(learning.complete(cast.student, lesson) for lesson in remaining for _ in range(4))
    )
    assert {r.status_code for r in responses} == {200}
    final = await learning.enrollment(cast.student, enrollment["id"])
    assert (final["status"], final["completedItems"]) == ("completed", 8)
    names = await learning.event_names()
    assert names.count("learning.course_completed") == 1
    assert names.count("learning.module_completed") == 1
    assert names.count("learning.lesson_completed") == 8


async def _true_counts(db: Database, course_ids: list[str]) -> dict[str, int]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(Enrollment.course_id, sa.func.count())
            .where(Enrollment.status.in_(["active", "completed"]))
            .group_by(Enrollment.course_id)
        )
        found = {str(c): int(n) for c, n in rows}
    return {c: found.get(c, 0) for c in course_ids}


async def _counts_on_courses(learning: LearningFactory, course_ids: list[str]) -> dict[str, int]:
    return {c: await learning.enrollment_count_on_course(c) for c in course_ids}


async def _replay_everything(db: Database) -> None:
    """As if every event were delivered again: all messages due, no handler remembered."""
    async with db.session() as session:
        await session.execute(sa.delete(ProcessedMessage))
        await session.execute(
            sa.update(OutboxMessage).values(status=MessageStatus.PENDING, available_at=utcnow())
        )


async def _busy_courses(
    learning: LearningFactory, client: AsyncClient, courses: int, learners: int
) -> list[str]:
    cast = await learning.cast()
    ids = [(await learning.course(cast.owner, cast.admin)).id for _ in range(courses)]
    people = [await learning.learner() for _ in range(learners)]

    async def churn(index: int) -> None:
        person = people[index]
        for n, course_id in enumerate(ids):
            body = await learning.enroll(person, course_id)
            if (index + n) % 3 == 0:
                url = f"{API}/enrollments/{body['id']}"
                ok(await client.delete(url, headers=person.headers))
            if (index + n) % 6 == 0:
                await learning.enroll(person, course_id)

    await asyncio.gather(*(churn(i) for i in range(learners)))
    return ids


async def test_course_counts_match_the_enrollments_after_a_replay_of_every_event(
    learning: LearningFactory, client: AsyncClient, db: Database, relay: Relay, app: FastAPI
) -> None:
    ids = await _busy_courses(learning, client, courses=2, learners=6)
    await relay.drain()
    truth = await _true_counts(db, ids)
    assert await _counts_on_courses(learning, ids) == truth
    assert sum(truth.values()) > 0

    await _replay_everything(db)
    await relay.drain()
    assert await _counts_on_courses(learning, ids) == truth

    # The same event handled twice (a redelivery racing its dedupe row) changes nothing either.
    handler = app.state.registry.subscribers[events.Enrolled.name][
        "learning.course_enrollment_count"
    ]
    async with db.read_session() as session:
        message = (
            await session.execute(
                sa.select(OutboxMessage).where(OutboxMessage.name == events.Enrolled.name).limit(1)
            )
        ).scalar_one()
        delivery = Delivery(message.id, message.name, dict(message.payload), 1)
    for _ in range(2):
        async with db.session() as session:
            await handler(session, delivery)
    assert await _counts_on_courses(learning, ids) == truth

    # Reconciliation (``campus learning recount``) repairs a count that went wrong elsewhere.
    async with db.session() as session:
        await catalog_api.set_enrollment_count(session, uuid.UUID(ids[0]), 999)
    async with db.session() as session:
        recounted = await learning_api.recount_enrollments(session)
    assert {str(k): v for k, v in recounted.items()} == truth
    assert await _counts_on_courses(learning, ids) == truth


@postgres_only
async def test_course_counts_stay_true_with_concurrent_relays_and_replays(
    learning: LearningFactory, client: AsyncClient, db: Database, app: FastAPI
) -> None:
    ids = await _busy_courses(learning, client, courses=3, learners=12)
    relays = [Relay(db, app.state.registry, worker_id=f"relay-{i}", batch_size=3) for i in range(4)]

    async def drain_all() -> None:
        await asyncio.gather(*(r.drain() for r in relays))

    await drain_all()
    truth = await _true_counts(db, ids)
    assert await _counts_on_courses(learning, ids) == truth
    await _replay_everything(db)
    await drain_all()
    assert await _counts_on_courses(learning, ids) == truth
