"""The hourly credentials purge: sessions that ended a month ago go with their refresh tokens,
spent email/reset tokens go after a day, and nothing a live session relies on is touched (a
replayed used refresh token of a live session still revokes its family)."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from httpx import AsyncClient

from campus.identity.models import ActionToken, RefreshToken, UserSession
from campus.identity.tasks import PURGE_JOB
from campus.kernel.clock import Clock, clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import enqueue_job
from tests.fixtures.identity import IdentityFactory

REFRESH = "/api/v1/auth/refresh"
FORGOT = "/api/v1/auth/password/forgot"


async def run_purge(db: Database, relay: Relay) -> None:
    async with db.session() as session:
        await enqueue_job(session, PURGE_JOB, {})
    await relay.drain()


async def test_purge_removes_long_ended_sessions_and_spent_tokens_and_keeps_live_ones(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    ended_session = user.session_id
    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code == 200
    assert (await client.post(FORGOT, json={"email": user.email})).status_code == 202
    clock.advance(days=31)

    await identity.start_session(user)
    live_session, first_token = user.session_id, user.refresh_token
    rotated = await client.post(REFRESH, json={"refreshToken": first_token})
    assert rotated.status_code == 200
    assert (await client.post(FORGOT, json={"email": user.email})).status_code == 202

    await run_purge(db, relay)

    async with db.read_session() as session:
        sessions = set((await session.execute(sa.select(UserSession.id))).scalars())
        token_sessions: list[uuid.UUID | None] = list(
            (await session.execute(sa.select(RefreshToken.session_id))).scalars()
        )
        action_tokens = (await session.execute(sa.select(ActionToken.created_at))).scalars().all()
    assert sessions == {live_session}
    assert ended_session not in token_sessions
    assert token_sessions.count(live_session) == 2  # the used token is kept for reuse detection
    assert action_tokens == [clock.now()]

    replay = await client.post(REFRESH, json={"refreshToken": first_token})
    assert replay.status_code == 401
    newest = rotated.json()["refreshToken"]
    assert (await client.post(REFRESH, json={"refreshToken": newest})).status_code == 401


async def test_purge_keeps_sessions_that_ended_recently(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    assert (await client.post("/api/v1/auth/logout", headers=user.headers)).status_code == 200
    clock.advance(days=29)

    await run_purge(db, relay)

    async with db.read_session() as session:
        sessions = set((await session.execute(sa.select(UserSession.id))).scalars())
    assert sessions == {user.session_id}
