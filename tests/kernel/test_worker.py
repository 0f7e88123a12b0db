"""``campus worker``: the scale-out path. A real worker process drains jobs the app commits,
woken through Redis when configured, and stops cleanly (exit code 0) on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.mail import SEND_EMAIL_JOB, mail_outbox_dir, queue_email
from campus.kernel.outbox import Delivery, MessageStatus, OutboxMessage
from campus.kernel.wakeup import MAX_TOKENS, RedisWakeup, wake_key
from campus.worker import _relay_loop, run_worker
from tests.conftest import TEST_REDIS_URL
from tests.kernel.conftest import AppFactory, requires_redis
from tests.kernel.raw_events import publish_event

# Workers also enqueue the periodic housekeeping jobs; these tests follow the emails.
EMAIL_JOBS = sa.select(OutboxMessage.id).where(OutboxMessage.name == SEND_EMAIL_JOB)

WAIT = 10.0
PROJECT_ROOT = Path(__file__).resolve().parents[2]


async def status_of(db: Database, message_id: uuid.UUID) -> str:
    async with db.read_session() as session:
        message = await session.get(OutboxMessage, message_id)
        assert message is not None
        return message.status


async def wait_until_done(db: Database, message_id: uuid.UUID, seconds: float = WAIT) -> None:
    """Poll the database, each look bounded, until the message is done (or fail)."""

    async def done() -> None:
        while await status_of(db, message_id) != MessageStatus.DONE:
            await asyncio.sleep(0.05)  # poll interval while waiting on another process

    await asyncio.wait_for(done(), timeout=seconds)


class WorkerProcess:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []

    async def read_until(self, event: str) -> dict[str, Any]:
        assert self.process.stderr is not None
        while True:
            raw = await asyncio.wait_for(self.process.stderr.readline(), timeout=30)
            assert raw, f"worker exited early: {self.lines}"
            line = raw.decode().rstrip("\n")
            self.lines.append(line)
            record = json.loads(line)  # every line the worker writes is JSON
            if record.get("event") == event:
                return dict(record)

    async def terminate_and_wait(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        assert self.process.stderr is not None
        rest = await asyncio.wait_for(self.process.stderr.read(), timeout=WAIT)
        self.lines += [line for line in rest.decode().splitlines() if line.strip()]
        return await asyncio.wait_for(self.process.wait(), timeout=WAIT)


@contextlib.asynccontextmanager
async def worker_process(settings: Settings, **env_overrides: str) -> AsyncIterator[WorkerProcess]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")}
    env.update(
        {
            "CAMPUS_ENV": "test",
            "CAMPUS_DATABASE_URL": settings.resolved_database_url,
            "CAMPUS_REDIS_URL": settings.redis_url,
            "CAMPUS_REDIS_NAMESPACE": settings.redis_namespace,
            "CAMPUS_DATA_DIR": str(settings.data_dir),
            "CAMPUS_LOG_JSON": "true",
            "CAMPUS_LOG_LEVEL": "INFO",
        }
    )
    env.update(env_overrides)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "campus.cli",
        "worker",
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    worker = WorkerProcess(process)
    try:
        yield worker
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_worker_process_delivers_a_committed_job_and_exits_cleanly_on_sigterm(
    app: FastAPI, db: Database, settings: Settings
) -> None:
    # With Redis, a 30 s poll interval: only the wake-up pushed by the app's commit explains a
    # delivery within seconds. Without Redis the worker polls, so poll quickly.
    poll = "30" if settings.redis_url else "0.2"
    async with worker_process(
        settings, CAMPUS_OUTBOX_POLL_SECONDS=poll, CAMPUS_LOG_LEVEL="DEBUG"
    ) as worker:
        started = await worker.read_until("worker_started")
        assert started["wake"] == ("redis" if settings.redis_url else "poll")
        await worker.read_until("worker_idle")  # found nothing, now waiting (BLPOP or poll)
        async with db.session() as session:
            await queue_email(
                session, to="learner@example.com", subject="Welcome", text="Hello from a worker"
            )
        async with db.read_session() as session:
            message_id = (await session.execute(EMAIL_JOBS)).scalar_one()
        await wait_until_done(db, message_id)
        returncode = await worker.terminate_and_wait()

    assert returncode == 0, worker.lines
    events = [json.loads(line)["event"] for line in worker.lines]
    assert "worker_stopping" in events
    assert events[-1] == "worker_stopped"
    written = list(mail_outbox_dir(settings).glob("*.eml"))
    assert len(written) == 1
    assert "Hello from a worker" in written[0].read_text()


async def test_run_worker_drains_jobs_and_returns_when_stopped(
    app: FastAPI, db: Database, settings: Settings
) -> None:
    stop = asyncio.Event()
    worker_settings = settings.model_copy(update={"outbox_poll_seconds": 0.05})
    task = asyncio.create_task(
        run_worker(worker_settings, concurrency=2, stop=stop, install_signal_handlers=False)
    )
    try:
        async with db.session() as session:
            await queue_email(session, to="a@example.com", subject="One", text="1")
            await queue_email(session, to="b@example.com", subject="Two", text="2")
        async with db.read_session() as session:
            ids = list((await session.execute(EMAIL_JOBS)).scalars())
        for message_id in ids:
            await wait_until_done(db, message_id)
    finally:
        stop.set()
        await asyncio.wait_for(task, WAIT)
    assert len(list(mail_outbox_dir(settings).glob("*.eml"))) == 2


# --------------------------------------------------------------------------- Redis wake-ups


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.from_url(TEST_REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


@requires_redis
async def test_app_commit_that_wrote_outbox_rows_pushes_a_redis_wakeup(
    app: FastAPI, db: Database, settings: Settings, redis_client: aioredis.Redis
) -> None:
    key = wake_key(settings.redis_namespace)
    await redis_client.delete(key)
    listener = RedisWakeup(settings.redis_url, settings.redis_namespace)
    try:
        waiting = asyncio.create_task(listener.wait(WAIT))
        async with db.session() as session:
            await publish_event(session, "kernel_test.wake", {})
        assert await asyncio.wait_for(waiting, WAIT + 1) is True
    finally:
        await listener.aclose()
        await redis_client.delete(key)


@requires_redis
async def test_wakeup_list_stays_tiny_under_many_commits(
    app: FastAPI, db: Database, settings: Settings, redis_client: aioredis.Redis
) -> None:
    key = wake_key(settings.redis_namespace)
    await redis_client.delete(key)
    wakeup = RedisWakeup(settings.redis_url, settings.redis_namespace)
    try:
        for _ in range(3 * MAX_TOKENS):
            wakeup.notify()
            await asyncio.wait_for(asyncio.gather(*wakeup._pending), WAIT)
        assert 1 <= await redis_client.llen(key) <= MAX_TOKENS
    finally:
        await wakeup.aclose()
        await redis_client.delete(key)


@requires_redis
async def test_idle_worker_wait_returns_at_once_when_stopped(settings: Settings) -> None:
    wakeup = RedisWakeup(settings.redis_url, f"{settings.redis_namespace}-idle-{uuid.uuid4().hex}")
    stop = asyncio.Event()
    try:
        waiting = asyncio.create_task(wakeup.wait(3600, stop))
        stop.set()
        assert await asyncio.wait_for(waiting, WAIT) is False
    finally:
        await wakeup.aclose()


async def test_worker_without_redis_keeps_working_when_a_handler_fails(
    make_app: AppFactory, settings: Settings
) -> None:
    async with make_app(truncate=True) as app:
        stop = asyncio.Event()
        calls: list[int] = []
        done = asyncio.Event()

        async def handler(_session: AsyncSession, delivery: Delivery) -> None:
            calls.append(delivery.attempt)
            done.set()
            raise RuntimeError("handler failure must not stop the worker")

        # run_worker builds its own registry; check the relay loop itself through the app's.
        app.state.registry.subscribe("kernel_test.fails_in_worker", "fails", handler)
        relay = Relay(app.state.db, app.state.registry, worker_id="loop-test")
        loop_task = asyncio.create_task(_relay_loop(relay, stop, None, 0.05))
        async with app.state.db.session() as session:
            await publish_event(session, "kernel_test.fails_in_worker", {})
        await asyncio.wait_for(done.wait(), WAIT)
        assert not loop_task.done()
        stop.set()
        relay.request_stop()
        await asyncio.wait_for(loop_task, WAIT)
        assert calls == [1]
