"""Periodic jobs: due at once when new, then once per interval, enqueued once per period however
many relays tick at the same moment, run through the outbox like any job; and the kernel's own
periodic job that purges delivered outbox messages."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from campus.kernel.clock import Clock, clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import (
    PURGE_JOB,
    Delivery,
    HandlerRegistry,
    MessageStatus,
    OutboxMessage,
    ProcessedMessage,
    enqueue_job,
    purge_delivered,
)
from campus.kernel.schedule import ScheduleEntry, Scheduler
from tests.conftest import postgres_only
from tests.kernel.raw_events import publish_event

HOURLY = "kernel_test.hourly"


async def queued(db: Database, name: str) -> int:
    async with db.read_session() as session:
        stmt = sa.select(sa.func.count()).where(OutboxMessage.name == name)
        return int((await session.execute(stmt)).scalar_one())


async def test_a_new_schedule_is_due_at_once_and_then_once_per_interval(
    db: Database, frozen_clock: Clock
) -> None:
    scheduler = Scheduler(db, {HOURLY: timedelta(hours=1)})

    assert await scheduler.tick() == [HOURLY]
    assert await scheduler.tick() == []
    clock.advance(minutes=59)
    assert not scheduler.should_tick(clock.now())
    assert await scheduler.tick() == []
    clock.advance(minutes=1)
    assert scheduler.should_tick(clock.now())
    assert await scheduler.tick() == [HOURLY]

    assert await queued(db, HOURLY) == 2


async def test_after_downtime_a_schedule_runs_once_not_once_per_missed_period(
    db: Database, frozen_clock: Clock
) -> None:
    scheduler = Scheduler(db, {HOURLY: timedelta(hours=1)})
    await scheduler.tick()
    clock.advance(days=2)

    assert await scheduler.tick() == [HOURLY]
    assert await scheduler.tick() == []
    async with db.read_session() as session:
        entry = await session.get(ScheduleEntry, HOURLY)
        assert entry is not None
        assert entry.next_run_at == clock.now() + timedelta(hours=1)


async def test_a_clock_that_went_backwards_makes_the_scheduler_look_again(
    db: Database, frozen_clock: Clock
) -> None:
    scheduler = Scheduler(db, {HOURLY: timedelta(hours=1)})
    await scheduler.tick()
    clock.advance(hours=-3)

    assert scheduler.should_tick(clock.now())


def test_a_schedule_needs_a_positive_interval(db: Database) -> None:
    with pytest.raises(ValueError, match="positive interval"):
        Scheduler(db, {HOURLY: timedelta(0)})


async def test_a_relay_with_a_scheduler_runs_the_periodic_handler_once_per_period(
    db: Database, frozen_clock: Clock
) -> None:
    runs: list[Delivery] = []

    async def handler(session: object, delivery: Delivery) -> None:
        runs.append(delivery)

    registry = HandlerRegistry()
    registry.periodic(HOURLY, timedelta(hours=1), handler)
    relay = Relay(db, registry, worker_id="sched", scheduler=Scheduler(db, registry.schedules))

    assert await relay.drain() == 1
    assert await relay.drain() == 0
    clock.advance(hours=1)
    assert await relay.drain() == 1

    assert len(runs) == 2
    assert runs[0].payload["scheduledAt"] < runs[1].payload["scheduledAt"]


async def test_many_relays_ticking_at_once_enqueue_each_period_once(
    db: Database, frozen_clock: Clock
) -> None:
    schedulers = [Scheduler(db, {HOURLY: timedelta(hours=1)}) for _ in range(10)]

    results = await asyncio.gather(*(s.tick() for s in schedulers))

    assert sum(len(names) for names in results) == 1
    assert await queued(db, HOURLY) == 1


@postgres_only
async def test_fifty_concurrent_ticks_on_postgresql_enqueue_one_job_per_period(
    db: Database, frozen_clock: Clock
) -> None:
    await Scheduler(db, {HOURLY: timedelta(hours=1)}).tick()
    clock.advance(hours=1)
    schedulers = [Scheduler(db, {HOURLY: timedelta(hours=1)}) for _ in range(50)]

    results = await asyncio.gather(*(s.tick() for s in schedulers))

    assert sum(len(names) for names in results) == 1
    assert await queued(db, HOURLY) == 2


# --------------------------------------------------------------------------- outbox purge


async def test_purge_deletes_delivered_messages_past_retention_and_keeps_the_rest(
    db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    async with db.session() as session:
        old_event = await publish_event(session, "kernel_test.nobody_listens", {"n": 1})
    await relay.drain()  # delivered (no subscriber) -> done
    clock.advance(days=8)
    async with db.session() as session:
        recent_event = await publish_event(session, "kernel_test.nobody_listens", {"n": 2})
        pending_job = await enqueue_job(
            session, "kernel_test.later", {}, run_at=clock.now() + timedelta(days=1)
        )
        dead = OutboxMessage(
            kind="job", name="kernel_test.dead", payload={}, status=MessageStatus.DEAD
        )
        session.add(dead)
        session.add(ProcessedMessage(message_id=old_event, handler="someone"))
    await relay.drain()

    async with db.session() as session:
        assert await purge_delivered(session, clock.now() - timedelta(days=7)) == 1

    async with db.read_session() as session:
        remaining = set((await session.execute(sa.select(OutboxMessage.id))).scalars())
        dedupe = (await session.execute(sa.select(ProcessedMessage.message_id))).scalars().all()
    assert remaining == {recent_event, pending_job, dead.id}
    assert old_event not in dedupe


async def test_the_purge_job_is_registered_as_a_periodic_kernel_job(relay: Relay) -> None:
    assert PURGE_JOB in relay.registry.schedules
    assert relay.registry.schedules[PURGE_JOB] == timedelta(hours=1)
