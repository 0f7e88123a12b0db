"""In-process service time of the public catalog reads, response cache off.

Drives the real app's ASGI callable directly (no HTTP server, no client library), one request
at a time, against a database seeded with ``campus seed-catalog-bench``. Every request uses a
distinct URL (the same rotations as ``benchmarks/catalog_bench.py``) and the response cache is
replaced by one that never hits, so each request reaches the database. Prints the median and
p90 per scenario, next to the bare reference endpoint; ``--profile`` adds a cProfile summary.

    CAMPUS_DATABASE_URL=postgresql+asyncpg://... .venv/bin/python -m benchmarks.catalog_profile \
        [--requests 200] [--scenarios list,search,detail] [--profile list] [--top 40]

Not a load test: it measures where one request's time goes, which is what the throughput of
a saturated server is made of on a CPU-bound machine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import random
import statistics
import time
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from fastapi import FastAPI

from benchmarks import harness
from benchmarks.bench_app import create_bench_app
from benchmarks.catalog_bench import detail_paths, list_paths, search_paths


class MissingCache:
    """A cache that never holds anything: every public read reaches the database."""

    async def get(self, key: str) -> bytes | None:
        return None

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        return None

    async def delete(self, *keys: str) -> None:
        return None

    async def incr(self, key: str) -> int:
        return 1

    async def clear(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def detail_slugs(app: FastAPI) -> list[str]:
    async with app.state.db.session() as session:
        result = await session.execute(
            sa.text(
                "SELECT slug FROM catalog_courses WHERE status = 'published' "
                "AND module_count = 10 AND lesson_count = 100 ORDER BY enrollment_count DESC, id"
            )
        )
        return list(result.scalars())


async def measure(app: FastAPI, urls: Sequence[str]) -> tuple[list[float], list[float]]:
    """(wall-clock ms, this process's CPU ms) per request."""
    wall: list[float] = []
    cpu: list[float] = []
    for url in urls:
        start, start_cpu = time.perf_counter(), time.process_time()
        status, body = await harness.asgi_call(app, "GET", url)
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        if status != 200:
            raise SystemExit(f"{url}: {status} {body[:300]!r}")
    return wall, cpu


def summary(name: str, wall: list[float], cpu: list[float], body: bytes) -> str:
    ordered = sorted(wall)
    p90 = ordered[int(len(ordered) * 0.9) - 1]
    return (
        f"{name:<10} n={len(wall):<4} wall median {statistics.median(wall):6.2f} ms "
        f"p90 {p90:6.2f} ms | app CPU median {statistics.median(cpu):6.2f} ms | "
        f"body {len(body) / 1024:.1f} KiB"
    )


async def run(args: argparse.Namespace) -> None:
    app = create_bench_app()
    app.state.cache = MissingCache()
    rng = random.Random(7)
    n = args.requests
    rotations: dict[str, Callable[[], list[str]]] = {
        "reference": lambda: ["/bench/reference"] * n,
        "list": lambda: list_paths(rng)[:n],
        "search": lambda: search_paths(rng)[:n],
    }
    try:
        slugs = await detail_slugs(app)
        rotations["detail"] = lambda: detail_paths(rng, slugs)[:n]
        wanted = ["reference", *args.scenarios.split(",")]
        for name in wanted:
            urls = rotations[name]()
            await measure(app, urls[:20])  # warm-up: connections, statement caches
            profiler = cProfile.Profile() if name in args.profile.split(",") else None
            if profiler is not None:
                profiler.enable()
            wall, cpu = await measure(app, urls)
            if profiler is not None:
                profiler.disable()
            _, body = await harness.asgi_call(app, "GET", urls[0])
            print(summary(name, wall, cpu, body), flush=True)
            if profiler is not None:
                print(harness.profile_summary(profiler, args.sort, args.top))
    finally:
        await app.state.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--scenarios", default="list,search,detail")
    parser.add_argument("--profile", default="", help="comma-separated scenarios to profile")
    parser.add_argument("--sort", default="cumulative", help="pstats sort key")
    parser.add_argument("--top", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
