"""Fifty events at once for one learner (PostgreSQL): fifty different events give fifty
notifications, none lost; the same event fifty times gives one, where a look-then-insert
would have let every copy through."""

from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from campus.config import Settings
from campus.kernel.db import Database
from campus.notifications.models import Notification
from campus.notifications.service import pipeline
from tests.conftest import postgres_only
from tests.fixtures.identity import IdentityFactory
from tests.notifications.helpers import notifications_of

PARALLEL = 50
CONTROL = 8
TYPE = "community.review_approved"


async def _notify(
    db: Database, settings: Settings, user_id: uuid.UUID, key: str, gate: asyncio.Barrier
) -> uuid.UUID | None:
    async with db.session() as session:
        await gate.wait()
        return await pipeline.notify(
            session, settings, pipeline.Intent(user_id, TYPE, key, {"rating": 5})
        )


async def _naive(db: Database, user_id: uuid.UUID, key: str, gate: asyncio.Barrier) -> str:
    """The check-then-act the unique key and ON CONFLICT replace: look, then insert."""
    try:
        async with db.session() as session:
            found = await session.scalar(
                sa.select(Notification.id).where(
                    Notification.user_id == user_id, Notification.dedupe_key == key
                )
            )
            await gate.wait()  # everyone has looked before anyone inserts
            if found is not None:
                return "found"
            session.add(
                Notification(user_id=user_id, type_code=TYPE, category="community", dedupe_key=key)
            )
            await session.flush()
            return "inserted"
    except IntegrityError:
        return "refused"


@postgres_only
async def test_fifty_parallel_events_for_one_user_give_fifty_notifications_and_duplicates_one(
    identity: IdentityFactory, db: Database, settings: Settings
) -> None:
    user = await identity.user()
    gate = asyncio.Barrier(PARALLEL)
    created = await asyncio.gather(
        *(_notify(db, settings, user.id, f"review:{n}", gate) for n in range(PARALLEL))
    )
    assert all(created)
    gate = asyncio.Barrier(PARALLEL)
    same = await asyncio.gather(
        *(_notify(db, settings, user.id, "review:same", gate) for _ in range(PARALLEL))
    )
    assert sum(c is not None for c in same) == 1
    mine = [n for n in await notifications_of(db, user.id) if n.type_code == TYPE]
    assert len(mine) == PARALLEL + 1

    # Control: looking first, every copy finds nothing; only the unique key stops the rest.
    # (Each copy holds a connection while it waits: fewer than the pool's connections.)
    gate = asyncio.Barrier(CONTROL)
    outcomes = await asyncio.gather(
        *(_naive(db, user.id, "review:control", gate) for _ in range(CONTROL))
    )
    assert "found" not in outcomes
    assert outcomes.count("inserted") == 1
    assert outcomes.count("refused") == CONTROL - 1
