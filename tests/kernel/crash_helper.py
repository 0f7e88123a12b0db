"""Run by ``test_crash_safety.py`` as a real subprocess that dies with SIGKILL at a named point.

    python crash_helper.py commit-then-die <database url>
    python crash_helper.py die-in-handler <database url>

It builds the kernel's Database against the test database and prints ``MESSAGE_ID=<id>`` lines
on stdout before it dies. Nothing here is imported by the test process.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.outbox import (
    Delivery,
    HandlerRegistry,
    MessageKind,
    OutboxMessage,
    mark_outbox_dirty,
)
from campus.kernel.runner import InProcessRunner

EVENT = "kernel_test.crash"
HANDLER = "crash-recorder"
LEASE_SECONDS = 60


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


async def record(session: AsyncSession, delivery: Delivery) -> None:
    await session.execute(
        sa.text(
            "INSERT INTO kernel_test_effects (message_id, handler, note) "
            "VALUES (:message_id, :handler, 'subprocess')"
        ),
        {"message_id": str(delivery.id), "handler": HANDLER},
    )


async def commit_then_die(url: str) -> None:
    """An app-like process (in-process runner started) commits an event and is killed right
    after the commit, before its runner gets a chance to dispatch it."""
    db = Database(url)
    registry = HandlerRegistry()
    registry.subscribe(EVENT, HANDLER, record)
    runner = InProcessRunner(Relay(db, registry, worker_id="doomed-app"), poll_seconds=3600)
    runner.start()
    # Registered after the runner's wake-up, so it runs inside the same commit, right after it,
    # and before the event loop can schedule the runner.
    db.on_outbox_commit(die)
    async with db.session() as session:
        # A script run on its own path cannot import the tests package: the row by hand.
        message_id = new_id()
        session.add(
            OutboxMessage(
                id=message_id, kind=MessageKind.EVENT, name=EVENT, payload={"from": "subprocess"}
            )
        )
        mark_outbox_dirty(session)
        say(f"MESSAGE_ID={message_id}")
    say("SURVIVED")  # never reached


async def die_in_handler(url: str) -> None:
    """A worker claims the committed event and is killed in the middle of its handler, after
    the handler wrote its effect but before that unit of work commits."""
    db = Database(url)
    registry = HandlerRegistry()

    async def record_then_die(session: AsyncSession, delivery: Delivery) -> None:
        await record(session, delivery)
        await session.flush()
        say(f"MESSAGE_ID={delivery.id}")
        die()

    registry.subscribe(EVENT, HANDLER, record_then_die)
    relay = Relay(db, registry, worker_id="doomed-worker", lease_seconds=LEASE_SECONDS)
    await relay.drain()
    say("SURVIVED")  # never reached


def main() -> None:
    configure_logging("WARNING")
    mode, url = sys.argv[1], sys.argv[2]
    modes = {"commit-then-die": commit_then_die, "die-in-handler": die_in_handler}
    asyncio.run(modes[mode](url))


if __name__ == "__main__":
    main()
