"""Identity benchmark (issue: foundation and identity).

On PostgreSQL, in one run: the bare reference endpoint (one trivial query through the same
stack), ``GET /api/v1/users/me`` with a valid token, and ``POST /api/v1/auth/login``.
Target: ``GET /users/me`` at >= 60 % of the reference's throughput. Login is dominated by
Argon2id; its cost per call is measured separately with the production parameters.

    .venv/bin/python -m benchmarks.identity_bench [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from benchmarks import harness
from campus.identity.api import create_user
from campus.kernel.db import Database

EMAIL = "bench.learner@example.com"
PASSWORD = "correct horse battery staple 42"


def argon2_cost(samples: int = 20) -> dict[str, float]:
    hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
    encoded = hasher.hash(PASSWORD)
    hash_times, verify_times = [], []
    for _ in range(samples):
        start = time.perf_counter()
        hasher.hash(PASSWORD)
        hash_times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        hasher.verify(encoded, PASSWORD)
        verify_times.append((time.perf_counter() - start) * 1000)
    return {
        "argon2id_hash_ms_median": round(statistics.median(hash_times), 1),
        "argon2id_verify_ms_median": round(statistics.median(verify_times), 1),
    }


async def seed_user(database_url: str) -> None:
    db = Database(database_url, null_pool=True)
    async with db.session() as session:
        await create_user(
            session,
            email=EMAIL,
            password=PASSWORD,
            first_name="Bench",
            last_name="Learner",
            verified=True,
        )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(database_url, Path(tmp))
            harness.migrate(env)
            asyncio.run(seed_user(database_url))
            port = harness.free_port()
            with harness.server(env, port) as base:
                login_body = json.dumps({"email": EMAIL, "password": PASSWORD})
                token = httpx.post(
                    f"{base}/api/v1/auth/login",
                    content=login_body,
                    headers={"Content-Type": "application/json"},
                ).json()["accessToken"]
                common = {"connections": args.connections, "duration": args.duration}
                harness.wrk("warm-up", f"{base}/bench/reference", connections=8, duration=2)
                reference = harness.wrk("reference (SELECT 1)", f"{base}/bench/reference", **common)
                me = harness.wrk(
                    "GET /api/v1/users/me",
                    f"{base}/api/v1/users/me",
                    headers={"Authorization": f"Bearer {token}"},
                    **common,
                )
                login = harness.wrk(
                    "POST /api/v1/auth/login",
                    f"{base}/api/v1/auth/login",
                    method="POST",
                    body=login_body,
                    headers={"Content-Type": "application/json"},
                    **common,
                )
            harness.report("identity", [me, login], reference, argon2_cost())
    finally:
        asyncio.run(harness.drop_database(database_url))


if __name__ == "__main__":
    main()
