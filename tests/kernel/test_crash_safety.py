"""Crash safety (security-tests.md): "nothing is lost if the process dies between commit and
dispatch", and a worker killed inside a handler has its message redone exactly once.

Each test runs ``crash_helper.py`` as a real subprocess against the test database; it kills
itself with SIGKILL at the named point. The test process then runs the relay and asserts the
handler's effect (a row keyed by message id) exists exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import Delivery, MessageStatus, OutboxMessage
from tests.kernel.conftest import Effects
from tests.kernel.raw_events import publish_event

HELPER = Path(__file__).with_name("crash_helper.py")
EVENT = "kernel_test.crash"
HANDLER = "crash-recorder"  # the same handler name as in the helper: one dedupe identity
HELPER_LEASE_SECONDS = 60


async def run_helper(mode: str, database_url: str) -> tuple[int, list[uuid.UUID], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HELPER),
        mode,
        database_url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = stdout.decode().splitlines()
    ids = [uuid.UUID(line.split("=", 1)[1]) for line in lines if line.startswith("MESSAGE_ID=")]
    assert "SURVIVED" not in lines
    assert process.returncode is not None
    return process.returncode, ids, stderr.decode()


def subscribe_recorder(app: FastAPI, effects: Effects) -> None:
    async def record(session: AsyncSession, delivery: Delivery) -> None:
        await effects.record(session, delivery, HANDLER, note="test")

    app.state.registry.subscribe(EVENT, HANDLER, record)


async def load(db: Database, message_id: uuid.UUID) -> OutboxMessage:
    async with db.read_session() as session:
        message = await session.get(OutboxMessage, message_id)
        assert message is not None
        session.expunge(message)
        return message


async def test_event_committed_by_a_process_killed_before_dispatch_is_delivered_exactly_once(
    app: FastAPI, db: Database, relay: Relay, effects: Effects, database_url: str
) -> None:
    subscribe_recorder(app, effects)
    returncode, ids, stderr = await run_helper("commit-then-die", database_url)
    assert returncode == -signal.SIGKILL, stderr
    assert len(ids) == 1
    message_id = ids[0]
    pending = await load(db, message_id)
    assert pending.status == MessageStatus.PENDING  # committed, never dispatched
    assert pending.attempts == 0
    assert await effects.count(message_id) == 0

    assert await relay.drain() == 1  # "restart": any relay finds it
    assert await relay.drain() == 0
    assert await effects.count(message_id) == 1
    assert await effects.rows() == [(str(message_id), HANDLER)]
    assert (await load(db, message_id)).status == MessageStatus.DONE


async def test_worker_killed_inside_a_handler_has_the_message_redone_exactly_once_after_lease(
    app: FastAPI,
    db: Database,
    relay: Relay,
    effects: Effects,
    database_url: str,
    frozen_clock: Clock,
) -> None:
    subscribe_recorder(app, effects)
    async with db.session() as session:
        message_id = await publish_event(session, EVENT, {"from": "test"})

    returncode, ids, stderr = await run_helper("die-in-handler", database_url)
    assert returncode == -signal.SIGKILL, stderr
    assert ids == [message_id]  # the subprocess was inside the handler when it died
    claimed = await load(db, message_id)
    assert claimed.status == MessageStatus.PROCESSING
    assert claimed.locked_by == "doomed-worker"
    assert claimed.attempts == 1
    assert await effects.count(message_id) == 0  # its half-done unit of work rolled back

    # The frozen clock stands at the moment the test started, before the helper's lease began.
    assert await relay.drain() == 0  # the dead worker's lease still holds
    frozen_clock.advance(seconds=HELPER_LEASE_SECONDS + 120)
    assert await relay.drain() == 1
    assert await relay.drain() == 0
    assert await effects.count(message_id) == 1
    assert await effects.rows() == [(str(message_id), HANDLER)]
    done = await load(db, message_id)
    assert done.status == MessageStatus.DONE
    assert done.attempts == 2
    assert done.processed_at is not None
    assert done.processed_at - frozen_clock.now() < timedelta(seconds=1)
