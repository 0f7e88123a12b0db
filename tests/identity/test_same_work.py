"""Anonymous account-email requests do the same work for known and unknown addresses (AUTH-06,
issue 12): the request only enqueues a sensitive job; the job decides whether to send a link."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.config import Settings
from campus.identity.events import RESET_LINK_JOB, VERIFICATION_RESEND_JOB
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.identity import IdentityFactory, read_emails, token_in
from tests.fixtures.queries import count_queries

FORGOT = "/api/v1/auth/password/forgot"
RESEND = "/api/v1/auth/email/resend"


async def _jobs(db: Database, name: str) -> list[tuple[bool, dict[str, Any]]]:
    """``(sensitive, payload)`` of every job called ``name``."""
    async with db.read_session() as s:
        query = sa.select(OutboxMessage.sensitive, OutboxMessage.payload)
        rows = await s.execute(query.where(OutboxMessage.name == name))
        return [(bool(sensitive), dict(payload)) for sensitive, payload in rows]


async def test_forgot_password_runs_the_same_statements_for_known_and_unknown_emails(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay, settings: Settings
) -> None:
    user = await identity.user()
    with count_queries(db) as known:
        assert (await client.post(FORGOT, json={"email": user.email})).status_code == 202
    with count_queries(db) as unknown:
        assert (await client.post(FORGOT, json={"email": "ghost@example.com"})).status_code == 202
    assert list(known) == list(unknown), f"known: {known}\nunknown: {unknown}"
    assert not any("users" in sql.lower() for sql in known), known  # no account lookup
    # Before the relay runs, nothing was sent and no link exists: only two sensitive jobs.
    assert read_emails(settings, user.email) == []
    jobs = await _jobs(db, RESET_LINK_JOB)
    assert len(jobs) == 2
    assert all(sensitive for sensitive, _ in jobs)

    await relay.drain()
    (message,) = read_emails(settings, user.email)
    token = token_in(message, "reset-password")
    assert read_emails(settings, "ghost@example.com") == []
    assert all(payload == {} for _, payload in await _jobs(db, RESET_LINK_JOB))  # wiped
    reset = await client.post(
        "/api/v1/auth/password/reset", json={"token": token, "newPassword": "cobalt-meadow-fig-71"}
    )
    assert reset.status_code == 200, reset.text


async def test_verification_resend_runs_the_same_statements_for_every_address(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay, settings: Settings
) -> None:
    unverified = await identity.user(verified=False)
    verified = await identity.user()
    counted = []
    for email in (unverified.email, verified.email, "ghost@example.com"):
        with count_queries(db) as queries:
            assert (await client.post(RESEND, json={"email": email})).status_code == 202
        counted.append(list(queries))
    assert counted[0] == counted[1] == counted[2], counted
    assert len(await _jobs(db, VERIFICATION_RESEND_JOB)) == 3
    assert read_emails(settings) == []
    await relay.drain()
    (message,) = read_emails(settings, unverified.email)
    assert token_in(message, "verify-email")
    assert read_emails(settings, verified.email) == []
