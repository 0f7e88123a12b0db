"""Fifty completion events for one learner and version at once issue one certificate
(PostgreSQL), with a control showing a look-then-insert would not."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import sqlalchemy as sa
from httpx import AsyncClient
from sqlalchemy.exc import IntegrityError

from campus.credentials.models import Certificate
from campus.credentials.service import codes, issuance
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.conftest import postgres_only
from tests.credentials.helpers import certificates_of, credential_events, published_course
from tests.fixtures.learning import LearningFactory

PARALLEL = 50


async def naive_issue(
    db: Database, user_id: uuid.UUID, version_id: uuid.UUID, gate: asyncio.Barrier
) -> str:
    """The check-then-act the unique constraint and ON CONFLICT replace: look, then insert."""
    try:
        async with db.session() as session:
            found = await session.scalar(
                sa.select(Certificate.id).where(
                    Certificate.user_id == user_id, Certificate.version_id == version_id
                )
            )
            await gate.wait()  # everyone has looked before anyone inserts
            if found is not None:
                return "found"
            now = utcnow()
            session.add(
                Certificate(
                    public_id=codes.public_id(),
                    number=codes.number("CTRL", now.year),
                    verification_code=codes.verification_code(),
                    user_id=user_id,
                    course_id=uuid.uuid4(),
                    version_id=version_id,
                    status="issued",
                    learner_name="Control",
                    learner_email="control@example.com",
                    course_title="Control",
                    completed_at=now,
                    issued_at=now,
                )
            )
            await session.flush()
            return "inserted"
    except IntegrityError:
        return "error"


@postgres_only
async def test_control_look_then_insert_races_when_fifty_completions_arrive_at_once(
    db: Database,
) -> None:
    user_id, version_id = uuid.uuid4(), uuid.uuid4()
    gate = asyncio.Barrier(20)
    outcomes = Counter(
        await asyncio.gather(*(naive_issue(db, user_id, version_id, gate) for _ in range(20)))
    )
    # Every caller saw no certificate: one insert wins, the others hit the constraint
    # (without it, twenty certificates).
    assert outcomes == Counter({"inserted": 1, "error": 19})


@postgres_only
async def test_fifty_parallel_completion_events_issue_exactly_one_certificate(
    learning: LearningFactory, relay: Relay, client: AsyncClient, db: Database
) -> None:
    _, course = await published_course(learning)
    learner = await learning.learner()
    await learning.enroll(learner, course)
    settings = learning.app.state.settings
    course_id, version_id = uuid.UUID(course.id), uuid.UUID(course.version_id)

    async def one() -> bool:
        async with db.session() as session:
            return await issuance.evaluate(
                session, settings, learner.id, course_id, version_id, utcnow()
            )

    created = await asyncio.gather(*(one() for _ in range(PARALLEL)))
    assert created.count(True) == 1
    assert len(await certificates_of(db, learner.id)) == 1
    assert await credential_events(learning) == ["credentials.certificate_issued"]
    # and the regular completion afterwards changes nothing
    for lesson_id in course.lesson_ids:
        await learning.complete(learner, lesson_id)
    await relay.drain()
    assert len(await certificates_of(db, learner.id)) == 1
