"""In-process cost of one video heartbeat (``POST /learn/lessons/{id}/heartbeat``) on PostgreSQL.

Creates a database of its own (``campus_prof_<random>``, dropped at the end), loads learners who
each started a one-hour video lesson (the same rows as ``benchmarks/learning_bench.py``), then
drives the real app's ASGI callable directly (no HTTP server, no client library), one request
at a time, rotating over the learners. Prints, per scenario, the median and p90 wall time, this
process's CPU time and the SQL statements per request, next to the bare reference endpoint
(one upsert); ``--profile`` adds a cProfile summary of the heartbeats.

    .venv/bin/python -m benchmarks.learning_profile [--learners 200] [--requests 1000]
        [--profile] [--sort tottime] [--top 40]

Not a load test: it measures where one request's time goes, which is what a saturated
server's throughput and tail latency are made of on a CPU-bound machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI
from sqlalchemy import event

from benchmarks import harness
from benchmarks.learning_bench import (
    VIDEO_LESSONS,
    VIDEO_SECONDS,
    _enrollment,
    _insert,
    _people,
    bench_settings,
    started_lessons,
)
from campus.kernel.db import Database


async def _course(
    client: httpx.AsyncClient, instructor: str, admin: str, lessons: list[dict[str, Any]]
) -> Any:
    auth = {"Authorization": f"Bearer {instructor}"}

    async def post(url: str, body: dict[str, Any], token: dict[str, str] = auth) -> Any:
        response = await client.post(f"/api/v1{url}", json=body, headers=token)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{url}: {response.status_code} {response.text[:300]}")
        return response.json()

    course = await post("/courses", {"title": "Heartbeat course"})
    module = await post(f"/courses/{course['id']}/modules", {"title": "M"})
    for lesson in lessons:
        await post(f"/courses/{course['id']}/modules/{module['id']}/lessons", lesson)
    await post(f"/courses/{course['id']}/submit", {})
    return await post(f"/courses/{course['id']}/approve", {}, {"Authorization": f"Bearer {admin}"})


async def build(app: FastAPI, database_url: str, data_dir: Path, learners: int) -> list[Any]:
    """Learners with a started video lesson each: [(token, heartbeat path)]."""
    db = Database(database_url, null_pool=True)
    try:
        settings = bench_settings(database_url, data_dir)
        people, tokens, instructor, admin = await _people(db, settings, learners)
        video = [
            {
                "title": f"Video {i}",
                "type": "video",
                "videoUrl": "https://videos.example.com/v.mp4",
                "videoDurationSeconds": VIDEO_SECONDS,
            }
            for i in range(VIDEO_LESSONS)
        ]
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            watch = await _course(client, instructor, admin, video)
        lessons = watch["curriculum"][0]["lessons"]
        await _insert(
            db,
            "learning_enrollments",
            [_enrollment(p["id"], watch, VIDEO_LESSONS) for p in people],
            "enrollments",
        )
        await _insert(
            db, "learning_lesson_progress", started_lessons(people, watch), "started lessons"
        )
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("ANALYZE"))
            await conn.execute(
                sa.text("CREATE TABLE IF NOT EXISTS bench_counter (id text PRIMARY KEY, hits int)")
            )
        return [
            (tokens[i], f"/api/v1/learn/lessons/{lessons[i % VIDEO_LESSONS]['id']}/heartbeat")
            for i in range(learners)
        ]
    finally:
        await db.dispose()


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = app.state.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def measure(
    app: FastAPI, requests: Sequence[tuple[str, str, str, bytes]]
) -> tuple[list[float], list[float], int]:
    """(wall-clock ms, this process's CPU ms) per request, and the SQL statements run."""
    wall: list[float] = []
    cpu: list[float] = []
    with statements(app) as seen:
        for method, path, token, body in requests:
            start, start_cpu = time.perf_counter(), time.process_time()
            status, answer = await harness.asgi_call(app, method, path, token=token, body=body)
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            if status != 200:
                raise SystemExit(f"{path}: {status} {answer[:300]!r}")
    return wall, cpu, len(seen)


def summary(name: str, wall: list[float], cpu: list[float], sql: int) -> str:
    ordered = sorted(wall)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (
        f"{name:<10} n={len(wall):<5} wall median {statistics.median(wall):6.2f} ms "
        f"p90 {p90:6.2f} ms | app CPU median {statistics.median(cpu):6.2f} ms "
        f"mean {statistics.fmean(cpu):6.2f} ms | SQL statements/request {sql / len(wall):.2f}"
    )


async def run(args: argparse.Namespace, database_url: str, data_dir: Path) -> None:
    from benchmarks.bench_app import create_bench_app

    app = create_bench_app()
    try:
        world = await build(app, database_url, data_dir, args.learners)
        beats = [
            (
                "POST",
                path,
                token,
                json.dumps({"positionSeconds": 1 + i % 3000, "watchedSeconds": 10}).encode(),
            )
            for i in range(args.requests)
            for token, path in [world[i % len(world)]]
        ]
        reference = [("POST", "/bench/reference-write", world[0][0], b"")] * args.requests
        for name, requests in (("reference", reference), ("heartbeat", beats)):
            await measure(app, requests[:50])  # warm-up: connections, statement caches
            profiler = cProfile.Profile() if args.profile and name == "heartbeat" else None
            if profiler is not None:
                profiler.enable()
            wall, cpu, sql = await measure(app, requests)
            if profiler is not None:
                profiler.disable()
            print(summary(name, wall, cpu, sql), flush=True)
            if profiler is not None:
                print(harness.profile_summary(profiler, args.sort, args.top, args.match))
    finally:
        await app.state.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=200)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--profile", action="store_true", help="cProfile the heartbeats")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="regex: only functions whose path matches")
    args = parser.parse_args()

    database_url = asyncio.run(harness.create_database(prefix="campus_prof"))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(
                database_url,
                Path(tmp),
                CAMPUS_ACCESS_TOKEN_TTL_SECONDS="3600",  # noqa: S106 - not a secret
                CAMPUS_JOBS_IN_PROCESS="false",
            )
            harness.migrate(env)
            os.environ.update(env)
            from campus.config import get_settings

            get_settings.cache_clear()
            asyncio.run(run(args, database_url, Path(tmp)))
    finally:
        asyncio.run(harness.drop_database(database_url))


if __name__ == "__main__":
    main()
