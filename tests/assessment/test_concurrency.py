"""Concurrency invariants on PostgreSQL (separate connections, requests fired together): one open
attempt per learner and quiz, attempts never above the limit, no answer saved after the
submission graded the sheet, one open submission per assignment - each with a control showing
that the race these guard against is real on this setup."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from httpx import AsyncClient

from campus.assessment.models import Attempt, AttemptAnswer, Submission
from campus.kernel.db import Database
from tests.conftest import postgres_only
from tests.fixtures.assessment import API, AssessmentFactory, perfect_answer
from tests.fixtures.catalog import ok

N = 20


async def _count(db: Database, model: type, **where: object) -> int:
    async with db.read_session() as session:
        query = sa.select(sa.func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(await session.scalar(query) or 0)


@postgres_only
async def test_control_a_naive_check_then_insert_lets_duplicates_through(db: Database) -> None:
    """The control: the same 20 concurrent starts, done as "count, then insert" without the
    counter-row lock, create more than one row. So the invariant below is not luck."""
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS race_control (user_id uuid)"))
    user = uuid.uuid4()
    barrier = asyncio.Barrier(N)

    async def naive_start() -> None:
        async with db.session() as session:
            existing = await session.scalar(
                sa.text("SELECT count(*) FROM race_control WHERE user_id = :u"), {"u": user}
            )
            await barrier.wait()  # everyone has checked before anyone acts
            if existing == 0:
                await session.execute(sa.text("INSERT INTO race_control VALUES (:u)"), {"u": user})

    try:
        await asyncio.gather(*(naive_start() for _ in range(N)))
        async with db.engine.begin() as conn:
            rows = await conn.scalar(sa.text("SELECT count(*) FROM race_control"))
        assert rows is not None
        assert rows > 1, "the control did not race; the test proves nothing"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS race_control"))


@postgres_only
async def test_twenty_concurrent_starts_create_exactly_one_open_attempt(
    assessment: AssessmentFactory, db: Database
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:3], attemptLimit=5)
    responses = await asyncio.gather(
        *(assessment.start(world.learner, quiz["id"]) for _ in range(N))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (N - 1), statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "attempt_in_progress"
    }
    assert await _count(db, Attempt, user_id=world.learner.id) == 1


@postgres_only
async def test_the_attempt_limit_holds_under_rounds_of_concurrent_starts(
    assessment: AssessmentFactory, db: Database
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions[:2], attemptLimit=3)
    created = 0
    for _ in range(5):
        responses = await asyncio.gather(
            *(assessment.start(world.learner, quiz["id"]) for _ in range(N))
        )
        winners = [r for r in responses if r.status_code == 201]
        assert len(winners) <= 1
        assert all(r.status_code in (201, 409) for r in responses)
        for winner in winners:
            created += 1
            ok(await assessment.submit(world.learner, winner.json()["id"]))
    assert created == 3
    assert await _count(db, Attempt, user_id=world.learner.id) == 3


@postgres_only
async def test_no_answer_is_saved_after_the_submission_graded_the_sheet(
    assessment: AssessmentFactory, db: Database
) -> None:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    quiz = await assessment.quiz(world, questions)
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    by_id = {q["id"]: q for q in questions}
    saves = [
        assessment.save(world.learner, attempt["id"], q["id"], perfect_answer(by_id[q["id"]]))
        for q in attempt["questions"]
    ]
    results = await asyncio.gather(assessment.submit(world.learner, attempt["id"]), *saves)
    submit, saved = results[0], results[1:]
    assert submit.status_code == 200
    accepted = sum(1 for r in saved if r.status_code == 200)
    assert all(r.status_code in (200, 409) for r in saved)
    async with db.read_session() as session:
        fractions = list(
            (
                await session.execute(
                    sa.select(AttemptAnswer.fraction).where(
                        AttemptAnswer.attempt_id == uuid.UUID(attempt["id"])
                    )
                )
            ).scalars()
        )
    # Every stored answer was graded: none slipped in after the submission.
    assert len(fractions) == accepted
    assert all(f is not None for f in fractions)


@postgres_only
async def test_twenty_concurrent_drafts_open_one_submission(
    assessment: AssessmentFactory, client: AsyncClient, db: Database
) -> None:
    world = await assessment.world()
    work = await assessment.assignment(world)
    url = f"{API}/assignments/{work['id']}/submissions"
    responses = await asyncio.gather(
        *(
            client.post(url, json={"textAnswer": "x"}, headers=world.learner.headers)
            for _ in range(N)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * (N - 1)
    assert await _count(db, Submission, user_id=world.learner.id) == 1
