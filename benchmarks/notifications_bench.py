"""Notifications benchmark (issue 16), on PostgreSQL, in process.

1. **Fan-out** of one course announcement to ``--learners`` learners, in-app + email (to a
   local SMTP sink, aiosmtpd): the announcement job's batches (``pipeline.notify`` for each
   learner, one transaction per batch of ``CAMPUS_NOTIFICATIONS_ANNOUNCEMENT_BATCH``), then
   the delivery jobs drained by one relay. Total time and the process's peak resident memory
   (``VmHWM``). Target for 100,000 learners: under 5 minutes and 300 MB.
2. **Latency** from the commit of a notification to its arrival on an open stream (the
   broker the Server-Sent Events endpoint reads; Redis pub/sub with ``--redis``): p50/p99 over
   ``--samples`` notifications. Target: p99 < 1 s.

    .venv/bin/python -m benchmarks.notifications_bench [--learners 2000] [--samples 200]
        [--redis redis://127.0.0.1:6379/0]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from benchmarks import harness


class Sink:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def peak_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


async def bench(
    database_url: str, data_dir: Path, learners: int, samples: int, redis: str
) -> dict[str, Any]:
    from campus.config import Environment, Settings
    from campus.identity.service.passwords import HASHER
    from campus.identity.service.registration import create_account
    from campus.kernel.db import Database
    from campus.kernel.mail import make_mailer
    from campus.main import build_registry, build_relay
    from campus.notifications.service import pipeline, realtime

    sink = Sink()
    port = harness.free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings = Settings(
        env=Environment.DEVELOPMENT,
        database_url=database_url,
        data_dir=data_dir,
        redis_url=redis,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        jobs_in_process=False,
        seed_demo_on_first_run=False,
        database_pool_size=20,
    )
    db = Database(settings.resolved_database_url, pool_size=20)
    registry = build_registry(settings, make_mailer(settings))
    relay = build_relay(settings, db, registry, worker_id="bench")
    relay.batch_size = 500
    password_hash = HASHER.hash("correct horse battery staple 42")
    user_ids: list[uuid.UUID] = []
    started = time.perf_counter()
    for start in range(0, learners, 500):
        async with db.session() as session:
            for n in range(start, min(learners, start + 500)):
                user_ids.append(
                    await create_account(
                        session,
                        email=f"learner{n}@bench.example",
                        password=None,
                        password_hash=password_hash,
                        first_name="Learner",
                        last_name="Bench",
                        verified=True,
                    )
                )
    await relay.drain(max_rounds=100_000)
    setup_s = time.perf_counter() - started
    sink.count = 0

    batch = 1000
    started = time.perf_counter()
    for start in range(0, len(user_ids), batch):
        async with db.session() as session:
            for uid in user_ids[start : start + batch]:
                await pipeline.notify(
                    session,
                    settings,
                    pipeline.Intent(
                        uid,
                        "learning.course_announcement",
                        "announcement:bench",
                        {"course_title": "Bench", "title": "Hello", "message": "A message"},
                    ),
                )
    fanout_s = time.perf_counter() - started
    started = time.perf_counter()
    await relay.drain(max_rounds=100_000)
    delivery_s = time.perf_counter() - started
    emails = sink.count

    broker = realtime.broker_for(settings.redis_url, settings.redis_namespace)
    await broker.start()
    watcher = user_ids[0]
    latencies: list[float] = []
    stream = broker.stream(watcher)
    receiver = asyncio.ensure_future(anext(stream))
    await asyncio.sleep(0)  # let the stream register before the first publish
    for n in range(samples):
        async with db.session() as session:
            await pipeline.notify(
                session,
                settings,
                pipeline.Intent(
                    watcher,
                    "community.review_approved",
                    f"latency:{n}",
                    {"rating": 5},
                ),
            )
        committed = time.perf_counter()
        await relay.drain()
        await asyncio.wait_for(receiver, timeout=5)
        latencies.append((time.perf_counter() - committed) * 1000)
        receiver = asyncio.ensure_future(anext(stream))
    receiver.cancel()
    await stream.aclose()  # type: ignore[attr-defined]
    await realtime.close_all()
    await db.dispose()
    controller.stop()
    latencies.sort()
    return {
        "learners": learners,
        "setup_seconds": round(setup_s, 1),
        "fanout_seconds": round(fanout_s, 1),
        "delivery_seconds": round(delivery_s, 1),
        "total_seconds": round(fanout_s + delivery_s, 1),
        "emails_received": emails,
        "seconds_per_100k_extrapolated": round((fanout_s + delivery_s) * 100_000 / learners, 0),
        "peak_rss_mb": peak_rss_mb(),
        "stream_latency_ms_p50": round(statistics.median(latencies), 1),
        "stream_latency_ms_p99": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "stream_mode": "redis" if redis else "in-process",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--redis", default="")
    args = parser.parse_args()
    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            harness.migrate(harness.bench_env(database_url, Path(tmp)))
            figures = asyncio.run(
                bench(database_url, Path(tmp), args.learners, args.samples, args.redis)
            )
    finally:
        asyncio.run(harness.drop_database(database_url))
    info = harness.machine()
    print(json.dumps({"title": "notifications", "machine": info, **figures}, indent=2))
    with harness.RESULTS.open("a") as handle:
        handle.write(
            json.dumps({"title": "notifications", "machine": info, "extra": figures}) + "\n"
        )


if __name__ == "__main__":
    main()
