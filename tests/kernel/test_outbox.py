"""The transactional outbox and its relay: written in the caller's transaction, delivered after
commit, fanned out, retried with backoff, parked as dead, deduplicated, wiped when sensitive."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.clock import Clock, clock
from campus.kernel.db import Database
from campus.kernel.jobs import Claimed, Relay, backoff_seconds
from campus.kernel.outbox import (
    Delivery,
    HandlerRegistry,
    MessageStatus,
    OutboxMessage,
    enqueue_job,
)
from tests.conftest import postgres_only
from tests.kernel.conftest import AppFactory, Effects
from tests.kernel.raw_events import publish_event

WAIT = 10.0  # generous upper bound for anything awaited; never a fixed sleep


class Boom(Exception):
    pass


async def load(db: Database, message_id: uuid.UUID) -> OutboxMessage:
    async with db.read_session() as session:
        message = await session.get(OutboxMessage, message_id)
        assert message is not None
        session.expunge(message)  # keep its loaded state after the read-only rollback
        return message


def make_relay(app: FastAPI, **kwargs: Any) -> Relay:
    kwargs.setdefault("worker_id", "test-relay")
    kwargs.setdefault("max_attempts", app.state.settings.outbox_max_attempts)
    return Relay(app.state.db, app.state.registry, **kwargs)


# --------------------------------------------------------------------------- transactionality


async def test_event_from_a_rolled_back_transaction_is_never_delivered(
    app: FastAPI, db: Database, relay: Relay
) -> None:
    calls: list[Delivery] = []

    async def handler(_session: AsyncSession, delivery: Delivery) -> None:
        calls.append(delivery)

    app.state.registry.subscribe("kernel_test.rolled_back", "recorder", handler)

    async def write_then_fail() -> None:
        async with db.session() as session:
            await publish_event(session, "kernel_test.rolled_back", {"n": 1})
            await enqueue_job(session, "kernel.send_email", {"to": "x@example.com"})
            await session.flush()
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()
    assert await relay.drain() == 0
    assert calls == []
    async with db.read_session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == 0


async def test_event_is_delivered_after_commit_with_its_id_and_payload(
    app: FastAPI, db: Database, relay: Relay
) -> None:
    calls: list[Delivery] = []

    async def handler(_session: AsyncSession, delivery: Delivery) -> None:
        calls.append(delivery)

    app.state.registry.subscribe("kernel_test.committed", "recorder", handler)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.committed", {"courseId": "c1"})
    assert await relay.drain() == 1
    assert [(c.id, c.name, c.payload, c.attempt) for c in calls] == [
        (message_id, "kernel_test.committed", {"courseId": "c1"}, 1)
    ]
    message = await load(db, message_id)
    assert message.status == MessageStatus.DONE
    assert message.processed_at is not None
    assert await relay.drain() == 0  # done messages are never delivered again
    assert len(calls) == 1


@postgres_only
async def test_uncommitted_event_is_invisible_to_the_relay(
    app: FastAPI, db: Database, relay: Relay
) -> None:
    # On SQLite the single-writer lock makes this impossible to even attempt concurrently.
    async with db.session() as session:
        await publish_event(session, "kernel_test.pending", {})
        await session.flush()
        assert await relay.drain() == 0
    assert await relay.drain() == 1


async def test_event_fans_out_to_every_subscriber_once(
    app: FastAPI, db: Database, relay: Relay, effects: Effects
) -> None:
    for name in ("learning", "notifications", "analytics"):

        async def handler(session: AsyncSession, delivery: Delivery, name: str = name) -> None:
            await effects.record(session, delivery, name)

        app.state.registry.subscribe("kernel_test.fan_out", name, handler)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.fan_out", {})
    await relay.drain()
    assert sorted(h for _, h in await effects.rows()) == ["analytics", "learning", "notifications"]
    assert await effects.count(message_id) == 3


async def test_event_without_subscribers_is_done_and_job_without_handler_is_not_lost(
    app: FastAPI, db: Database, frozen_clock: Clock
) -> None:
    relay = make_relay(app, max_attempts=2)
    async with db.session() as session:
        event_id = await publish_event(session, "kernel_test.nobody_listens", {})
        job_id = await enqueue_job(session, "kernel_test.unknown_job", {})
    await relay.drain()
    assert (await load(db, event_id)).status == MessageStatus.DONE
    job = await load(db, job_id)
    assert job.status == MessageStatus.PENDING
    assert "no handler" in (job.last_error or "")
    frozen_clock.advance(seconds=backoff_seconds(1) + 1)
    await relay.drain()
    assert (await load(db, job_id)).status == MessageStatus.DEAD


# --------------------------------------------------------------------------- retries


async def test_failing_handler_is_retried_only_after_its_exponential_backoff(
    app: FastAPI, db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    attempts: list[int] = []

    async def flaky(_session: AsyncSession, delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        if delivery.attempt < 3:
            raise Boom(f"attempt {delivery.attempt} failed")

    app.state.registry.subscribe("kernel_test.flaky", "flaky", flaky)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.flaky", {})
    start = frozen_clock.now()

    await relay.drain()
    message = await load(db, message_id)
    assert attempts == [1]
    assert message.status == MessageStatus.PENDING
    assert message.available_at == start + timedelta(seconds=2)
    assert "attempt 1 failed" in (message.last_error or "")

    frozen_clock.advance(seconds=1.9)
    assert await relay.drain() == 0  # backoff not over yet
    frozen_clock.advance(seconds=0.1)
    await relay.drain()
    assert attempts == [1, 2]
    message = await load(db, message_id)
    assert message.available_at == frozen_clock.now() + timedelta(seconds=4)  # doubled

    frozen_clock.advance(seconds=3.9)
    assert await relay.drain() == 0
    frozen_clock.advance(seconds=0.1)
    await relay.drain()
    assert attempts == [1, 2, 3]
    message = await load(db, message_id)
    assert message.status == MessageStatus.DONE
    assert message.last_error is None
    assert message.attempts == 3


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff_seconds(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 16.0, 32.0]
    assert backoff_seconds(40) == 3600.0


async def test_message_is_dead_after_max_attempts_and_keeps_its_last_error(
    app: FastAPI, db: Database, frozen_clock: Clock
) -> None:
    relay = make_relay(app, max_attempts=3)
    calls: list[int] = []

    async def always_fails(_session: AsyncSession, delivery: Delivery) -> None:
        calls.append(delivery.attempt)
        raise Boom(f"gateway said no on attempt {delivery.attempt}")

    app.state.registry.subscribe("kernel_test.doomed", "doomed", always_fails)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.doomed", {})
    for _ in range(3):
        await relay.drain()
        frozen_clock.advance(hours=2)
    message = await load(db, message_id)
    assert message.status == MessageStatus.DEAD
    assert message.attempts == 3
    assert message.last_error is not None
    assert "gateway said no on attempt 3" in message.last_error
    assert "doomed" in message.last_error  # which handler failed
    frozen_clock.advance(days=30)
    assert await relay.drain() == 0  # dead messages are never retried
    assert calls == [1, 2, 3]


# --------------------------------------------------------------------------- idempotency


async def test_handler_that_succeeded_is_skipped_when_a_sibling_failed_and_the_message_is_retried(
    app: FastAPI, db: Database, relay: Relay, effects: Effects, frozen_clock: Clock
) -> None:
    async def steady(session: AsyncSession, delivery: Delivery) -> None:
        await effects.record(session, delivery, "steady")

    async def flaky(session: AsyncSession, delivery: Delivery) -> None:
        await effects.record(session, delivery, "flaky")
        if delivery.attempt == 1:
            raise Boom("first try fails")  # its own effect rolls back with it

    app.state.registry.subscribe("kernel_test.siblings", "steady", steady)
    app.state.registry.subscribe("kernel_test.siblings", "flaky", flaky)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.siblings", {})
    await relay.drain()
    assert await effects.count(message_id, "steady") == 1
    assert await effects.count(message_id, "flaky") == 0
    frozen_clock.advance(seconds=backoff_seconds(1))
    await relay.drain()
    assert await effects.count(message_id, "steady") == 1
    assert await effects.count(message_id, "flaky") == 1
    assert (await load(db, message_id)).status == MessageStatus.DONE


class StallingRelay(Relay):
    """Applies its handlers, then stalls before recording the result (a paused or partitioned
    worker whose lease runs out meanwhile)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.stalled = asyncio.Event()
        self.resume = asyncio.Event()

    async def _finish(self, message: Claimed, error: str | None) -> None:
        self.stalled.set()
        await self.resume.wait()
        await super()._finish(message, error)


async def test_message_reclaimed_after_its_lease_ran_out_is_not_applied_twice(
    app: FastAPI, db: Database, effects: Effects, frozen_clock: Clock
) -> None:
    async def handler(session: AsyncSession, delivery: Delivery) -> None:
        await effects.record(session, delivery, "once")

    app.state.registry.subscribe("kernel_test.lease", "once", handler)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.lease", {})
    first = StallingRelay(db, app.state.registry, worker_id="relay-a", lease_seconds=60)
    second = make_relay(app, worker_id="relay-b", lease_seconds=60)

    stuck = asyncio.create_task(first.run_once())
    await asyncio.wait_for(first.stalled.wait(), WAIT)
    assert await second.drain() == 0  # the lease still holds
    frozen_clock.advance(seconds=61)
    assert await second.drain() == 1  # reclaimed: the handler is skipped (already applied)
    first.resume.set()
    await asyncio.wait_for(stuck, WAIT)  # the stale relay's result is ignored

    assert await effects.count(message_id) == 1
    message = await load(db, message_id)
    assert message.status == MessageStatus.DONE
    assert message.attempts == 2
    assert message.locked_by == "relay-b"


@postgres_only
async def test_reclaimed_copy_waits_for_the_handler_still_running_and_does_not_apply_twice(
    app: FastAPI, db: Database, effects: Effects, frozen_clock: Clock
) -> None:
    started = asyncio.Event()
    release = asyncio.Event()
    runs: list[str] = []

    async def slow(session: AsyncSession, delivery: Delivery) -> None:
        runs.append("run")
        await effects.record(session, delivery, "slow")
        if len(runs) == 1:
            started.set()
            await release.wait()

    app.state.registry.subscribe("kernel_test.slow", "slow", slow)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.slow", {})
    first = make_relay(app, worker_id="relay-a", lease_seconds=60)
    second = make_relay(app, worker_id="relay-b", lease_seconds=60)

    running = asyncio.create_task(first.run_once())
    await asyncio.wait_for(started.wait(), WAIT)
    frozen_clock.advance(seconds=61)  # the first relay's lease runs out mid-handler
    reclaim = asyncio.create_task(second.run_once())
    # The second relay claims the message, then blocks on the first copy's dedupe row.
    for _ in range(1000):  # bounded poll of the database, no sleeping
        if (await load(db, message_id)).attempts == 2:
            break
    assert (await load(db, message_id)).attempts == 2
    release.set()
    await asyncio.wait_for(asyncio.gather(running, reclaim), WAIT)

    assert runs == ["run"]  # the second copy never ran the handler
    assert await effects.count(message_id) == 1
    assert (await load(db, message_id)).status == MessageStatus.DONE


async def test_worker_that_keeps_dying_on_a_message_gets_it_parked_as_dead(
    app: FastAPI, db: Database, frozen_clock: Clock
) -> None:
    calls: list[int] = []

    async def handler(_session: AsyncSession, delivery: Delivery) -> None:
        calls.append(delivery.attempt)

    app.state.registry.subscribe("kernel_test.poison", "poison", handler)
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.poison", {})
    relay = make_relay(app, max_attempts=2, lease_seconds=60)
    for _ in range(2):  # claimed, then the worker "dies" (never processes) twice
        assert len(await relay.claim()) == 1
        frozen_clock.advance(seconds=61)
    await relay.drain()
    message = await load(db, message_id)
    assert calls == []
    assert message.status == MessageStatus.DEAD
    assert "lease ran out" in (message.last_error or "")


# --------------------------------------------------------------------------- sensitive payloads


async def test_sensitive_job_payload_is_wiped_once_done_and_others_are_kept(
    app: FastAPI, db: Database, relay: Relay
) -> None:
    seen: list[dict[str, Any]] = []

    async def job(_session: AsyncSession, delivery: Delivery) -> None:
        seen.append(delivery.payload)

    app.state.registry.job("kernel_test.reset_link", job)
    async with db.session() as session:
        secret_id = await enqueue_job(
            session, "kernel_test.reset_link", {"link": "https://x/reset?t=s3cr3t"}, sensitive=True
        )
        plain_id = await enqueue_job(session, "kernel_test.reset_link", {"link": "plain"})
    await relay.drain()
    assert {p["link"] for p in seen} == {"https://x/reset?t=s3cr3t", "plain"}
    assert (await load(db, secret_id)).payload == {}
    assert (await load(db, plain_id)).payload == {"link": "plain"}


async def test_sensitive_payload_is_kept_for_retries_and_wiped_when_dead(
    app: FastAPI, db: Database, frozen_clock: Clock
) -> None:
    async def job(_session: AsyncSession, _delivery: Delivery) -> None:
        raise Boom("smtp down")

    app.state.registry.job("kernel_test.secret_fails", job)
    relay = make_relay(app, max_attempts=2)
    async with db.session() as session:
        message_id = await enqueue_job(
            session, "kernel_test.secret_fails", {"token": "s3cr3t"}, sensitive=True
        )
    await relay.drain()
    assert (await load(db, message_id)).payload == {"token": "s3cr3t"}
    frozen_clock.advance(hours=1)
    await relay.drain()
    message = await load(db, message_id)
    assert message.status == MessageStatus.DEAD
    assert message.payload == {}


# --------------------------------------------------------------------------- scheduling


async def test_job_scheduled_for_later_runs_only_when_due(
    app: FastAPI, db: Database, relay: Relay, frozen_clock: Clock
) -> None:
    runs: list[uuid.UUID] = []

    async def job(_session: AsyncSession, delivery: Delivery) -> None:
        runs.append(delivery.id)

    app.state.registry.job("kernel_test.later", job)
    async with db.session() as session:
        message_id = await enqueue_job(
            session, "kernel_test.later", {}, run_at=frozen_clock.now() + timedelta(hours=1)
        )
    assert await relay.drain() == 0
    frozen_clock.advance(minutes=59)
    assert await relay.drain() == 0
    frozen_clock.advance(minutes=1)
    assert await relay.drain() == 1
    assert runs == [message_id]


def test_registry_refuses_duplicate_handlers() -> None:
    registry = HandlerRegistry()

    async def handler(_session: AsyncSession, _delivery: Delivery) -> None:
        return None

    registry.subscribe("a.b", "one", handler)
    registry.job("a.job", handler)
    with pytest.raises(ValueError, match="already"):
        registry.subscribe("a.b", "one", handler)
    with pytest.raises(ValueError, match="already"):
        registry.job("a.job", handler)


# --------------------------------------------------------------------------- graceful stop


async def test_stop_finishes_the_message_in_hand_and_hands_the_rest_of_the_batch_back(
    app: FastAPI, db: Database
) -> None:
    in_handler = asyncio.Event()
    release = asyncio.Event()
    handled: list[int] = []

    async def job(_session: AsyncSession, delivery: Delivery) -> None:
        if not handled:
            in_handler.set()
            await release.wait()
        handled.append(int(delivery.payload["n"]))

    app.state.registry.job("kernel_test.batch", job)
    async with db.session() as session:
        ids = [await enqueue_job(session, "kernel_test.batch", {"n": n}) for n in range(3)]
    relay = make_relay(app)
    running = asyncio.create_task(relay.run_once())
    await asyncio.wait_for(in_handler.wait(), WAIT)
    relay.request_stop()
    release.set()
    assert await asyncio.wait_for(running, WAIT) == 1
    assert handled == [0]
    statuses = [await load(db, i) for i in ids]
    assert statuses[0].status == MessageStatus.DONE
    for rest in statuses[1:]:
        assert rest.status == MessageStatus.PENDING
        assert rest.attempts == 0  # handing back is not an attempt
        assert rest.locked_until is None
    assert await relay.run_once() == 0  # a stopping relay claims nothing more
    assert await make_relay(app).drain() == 2


# --------------------------------------------------------------------------- in-process runner


async def test_in_process_runner_picks_up_a_commit_at_once_without_polling(
    make_app: AppFactory,
) -> None:
    # A one-hour poll interval: only the after-commit wake-up can explain a prompt delivery.
    async with make_app(jobs_in_process=True, outbox_poll_seconds=3600) as app:
        assert app.state.runner is not None
        delivered = asyncio.Event()
        received: list[dict[str, Any]] = []

        async def handler(_session: AsyncSession, delivery: Delivery) -> None:
            received.append(delivery.payload)
            delivered.set()

        app.state.registry.subscribe("kernel_test.wake", "waker", handler)
        async with app.state.db.session() as session:
            await publish_event(session, "kernel_test.wake", {"n": 1})
        await asyncio.wait_for(delivered.wait(), timeout=WAIT)
        assert received == [{"n": 1}]


async def test_outbox_commit_hook_fires_only_for_this_databases_commits_that_wrote_outbox_rows(
    db: Database, settings: Settings
) -> None:
    fired: list[str] = []
    remove = db.on_outbox_commit(lambda: fired.append("wake"))
    other = Database(settings.resolved_database_url)
    try:
        async with db.session() as session:  # a commit without outbox rows
            await session.execute(sa.select(1))
        assert fired == []

        async def write_then_fail() -> None:
            async with db.session() as session:  # outbox rows, rolled back
                await publish_event(session, "kernel_test.hook", {})
                await session.flush()
                raise Boom

        with pytest.raises(Boom):
            await write_then_fail()
        assert fired == []
        async with other.session() as session:  # another Database object's commit
            await publish_event(session, "kernel_test.hook", {})
        assert fired == []
        async with db.session() as session:
            await publish_event(session, "kernel_test.hook", {})
            await enqueue_job(session, "kernel_test.hook_job", {})
        assert fired == ["wake"]  # once per commit, not per row
        remove()
        async with db.session() as session:
            await publish_event(session, "kernel_test.hook", {})
        assert fired == ["wake"]
    finally:
        remove()
        await other.dispose()


async def test_a_job_due_later_does_not_wake_the_relay_at_commit(
    db: Database, frozen_clock: Clock
) -> None:
    fired: list[str] = []
    remove = db.on_outbox_commit(lambda: fired.append("wake"))
    try:
        async with db.session() as session:
            await enqueue_job(
                session, "kernel_test.later", {}, run_at=clock.now() + timedelta(minutes=5)
            )
        assert fired == []
        async with db.session() as session:
            await enqueue_job(session, "kernel_test.now", {}, run_at=clock.now())
        assert fired == ["wake"]
    finally:
        remove()


async def test_app_in_scale_out_mode_runs_no_in_process_runner(app: FastAPI, db: Database) -> None:
    assert app.state.settings.jobs_in_process is False
    assert app.state.runner is None
    async with db.session() as session:
        message_id = await publish_event(session, "kernel_test.left_for_workers", {})
    message = await load(db, message_id)
    assert message.status == MessageStatus.PENDING
    assert message.attempts == 0


# --------------------------------------------------------------------------- concurrency


@postgres_only
async def test_four_relays_draining_200_messages_concurrently_process_each_exactly_once(
    app: FastAPI, db: Database, effects: Effects
) -> None:
    invocations: Counter[uuid.UUID] = Counter()

    async def handler(session: AsyncSession, delivery: Delivery) -> None:
        invocations[delivery.id] += 1
        await effects.record(session, delivery, "count")

    app.state.registry.subscribe("kernel_test.many", "count", handler)
    async with db.session() as session:
        ids = {await publish_event(session, "kernel_test.many", {"n": n}) for n in range(200)}
    relays = [make_relay(app, worker_id=f"relay-{i}", batch_size=10) for i in range(4)]
    handled = await asyncio.wait_for(asyncio.gather(*(r.drain() for r in relays)), 60)

    assert sum(handled) == 200  # no message was claimed twice
    assert sum(1 for n in handled if n > 0) >= 2  # the relays really shared the work
    assert set(invocations) == ids
    assert set(invocations.values()) == {1}
    rows = await effects.rows()
    assert len(rows) == 200
    assert {m for m, _ in rows} == {str(i) for i in ids}
    async with db.read_session() as session:
        statuses = set((await session.execute(sa.select(OutboxMessage.status))).scalars())
    assert statuses == {MessageStatus.DONE}


def test_clock_is_not_left_frozen_between_tests() -> None:
    assert clock._frozen is None
