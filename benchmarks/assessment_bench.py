"""Assessment benchmark: the synchronized exam start (issue: assessment).

On PostgreSQL, in one run, against the bench app under uvicorn (2 worker processes, one per
core; Campus app servers are stateless): the bare reference endpoint (wrk, one trivial query
through the same stack); five learners taking the quiz one at a time (service times without
load); then 500 enrolled learners start the same 20-question quiz within 5 seconds, save an
answer to every question (think time 5-15 s between answers, about three minutes for the quiz)
and submit. Reported: p50/p99 of start, save and submit, errors, and each p50/p99 as a ratio to
the reference's p50/p99 measured in the same run. Target: p99 of start under 500 ms.

Set-up (not measured): the learners are created in one transaction with one shared Argon2id
hash (as the test factories do) and enrolled through ``learning.api.enroll_user``; identity has
no token helper in its doorway, so each learner logs in over HTTP (4 at a time). The load
generator is an asyncio httpx client on the same machine.

    .venv/bin/python -m benchmarks.assessment_bench [--learners 500] [--window 5] [--think 10]
        [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from argon2 import PasswordHasher

from benchmarks import harness
from campus.identity.api import create_user
from campus.identity.service.registration import create_account
from campus.kernel.db import Database
from campus.learning.api import enroll_user

PASSWORD = "exam-bench-password-42"
#: Learners who take the quiz one at a time before the burst (service times without load).
SOLO_LEARNERS = 5
API = "/api/v1"


@dataclass
class Samples:
    values: dict[str, list[float]] = field(
        default_factory=lambda: {"start": [], "save": [], "submit": []}
    )
    errors: list[str] = field(default_factory=list)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


async def seed_people(database_url: str, learners: int) -> tuple[list[str], str, str]:
    db = Database(database_url, null_pool=True)
    shared = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1).hash(PASSWORD)
    emails = [f"learner{i:04d}@example.com" for i in range(learners)]
    async with db.session() as session:
        await create_user(
            session,
            email="teacher@example.com",
            password=PASSWORD,
            first_name="Tea",
            last_name="Cher",
            roles=("instructor",),
            verified=True,
        )
        await create_user(
            session,
            email="admin@example.com",
            password=PASSWORD,
            first_name="Ad",
            last_name="Min",
            roles=("admin",),
            verified=True,
        )
        for i, email in enumerate(emails):
            await create_account(
                session,
                email=email,
                password=None,
                password_hash=shared,
                first_name="Learner",
                last_name="Number" + "".join(chr(97 + int(d)) for d in str(i)),
                verified=True,
            )
    await db.dispose()
    return emails, "teacher@example.com", "admin@example.com"


async def enroll_all(database_url: str, course_id: str, emails: list[str]) -> None:
    from campus.identity.api import find_user_ids_by_emails

    db = Database(database_url, null_pool=True)
    async with db.session() as session:
        ids = await find_user_ids_by_emails(session, emails)
        for user_id in ids.values():
            await enroll_user(session, user_id, uuid.UUID(course_id))
    await db.dispose()


async def login_all(base: str, emails: list[str], concurrency: int = 4) -> list[dict[str, str]]:
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:

        async def one(email: str) -> dict[str, str]:
            async with gate:
                response = await client.post(
                    f"{API}/auth/login", json={"email": email, "password": PASSWORD}
                )
                response.raise_for_status()
                return {"Authorization": f"Bearer {response.json()['accessToken']}"}

        return list(await asyncio.gather(*(one(e) for e in emails)))


def _question(i: int) -> dict[str, Any]:
    kind = i % 4
    if kind == 0:
        return {
            "type": "single_choice",
            "text": f"Q{i}: pick the right one",
            "topics": ["Basics"],
            "options": [
                {"text": "right", "isCorrect": True},
                {"text": "wrong"},
                {"text": "also wrong"},
            ],
        }
    if kind == 1:
        return {"type": "true_false", "text": f"Q{i}: true?", "trueFalseAnswer": True}
    if kind == 2:
        return {"type": "short_answer", "text": f"Q{i}: say len", "acceptedAnswers": ["len"]}
    return {"type": "numeric", "text": f"Q{i}: 6 x 7", "numericAnswer": "42"}


def _answer(question: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    t = question["type"]
    if t == "single_choice":
        return {"optionId": rng.choice(question["options"])["id"]}
    if t == "true_false":
        return {"value": rng.random() < 0.7}
    if t == "short_answer":
        return {"text": rng.choice(["len", "size", "LEN "])}
    return {"number": rng.choice(["42", "41"])}


def build_course(base: str, teacher: str, admin: str) -> tuple[str, str]:
    async def go() -> tuple[str, str]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            return await build_course_with(client, teacher, admin)

    return asyncio.run(go())


async def _alogin(client: httpx.AsyncClient, email: str) -> dict[str, str]:
    response = await client.post(f"{API}/auth/login", json={"email": email, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['accessToken']}"}


async def build_course_with(client: httpx.AsyncClient, teacher: str, admin: str) -> tuple[str, str]:
    """A published course with a published 20-question quiz (ids of both)."""
    th, ah = await _alogin(client, teacher), await _alogin(client, admin)
    course = (await client.post(f"{API}/courses", json={"title": "Exam day"}, headers=th)).json()
    module = (
        await client.post(f"{API}/courses/{course['id']}/modules", json={"title": "M"}, headers=th)
    ).json()
    for url, body, headers in (
        (
            f"{API}/courses/{course['id']}/modules/{module['id']}/lessons",
            {"title": "L", "type": "article", "body": "x", "estimatedMinutes": 5},
            th,
        ),
        (f"{API}/courses/{course['id']}/submit", {}, th),
        (f"{API}/courses/{course['id']}/approve", {}, ah),
    ):
        (await client.post(url, json=body, headers=headers)).raise_for_status()
    questions = []
    for i in range(20):
        response = await client.post(
            f"{API}/courses/{course['id']}/questions", json=_question(i), headers=th
        )
        response.raise_for_status()
        questions.append(response.json())
    quiz = await client.post(
        f"{API}/courses/{course['id']}/quizzes",
        json={
            "title": "Synchronized exam",
            "questionIds": [q["id"] for q in questions],
            "status": "published",
            "timeLimitSeconds": 3600,
            "shuffleQuestions": True,
            "shuffleOptions": True,
            "attemptLimit": 1,
        },
        headers=th,
    )
    quiz.raise_for_status()
    return str(course["id"]), str(quiz.json()["id"])


async def exam(
    base: str, quiz_id: str, tokens: list[dict[str, str]], window: float, think: float
) -> tuple[Samples, float]:
    samples = Samples()
    # The server keeps idle connections 75 s (see ``server``); drop them earlier on this side so
    # a request never races the server closing its connection.
    limits = httpx.Limits(
        max_connections=len(tokens), max_keepalive_connections=len(tokens), keepalive_expiry=60.0
    )
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def timed(
            kind: str,
            method: str,
            url: str,
            headers: dict[str, str],
            body: dict[str, Any] | None = None,
        ) -> httpx.Response | None:
            started = time.perf_counter()
            try:
                response = await client.request(method, url, json=body, headers=headers)
            except httpx.HTTPError as exc:
                samples.errors.append(f"{kind}: {type(exc).__name__}")
                return None
            samples.values[kind].append((time.perf_counter() - started) * 1000)
            if response.status_code >= 300:
                samples.errors.append(f"{kind}: {response.status_code} {response.text[:120]}")
                return None
            return response

        async def learner(index: int, headers: dict[str, str]) -> None:
            rng = random.Random(index)
            await asyncio.sleep(rng.uniform(0, window))
            started = await timed("start", "POST", f"{API}/quizzes/{quiz_id}/attempts", headers)
            if started is None:
                return
            attempt = started.json()
            for question in attempt["questions"]:
                await asyncio.sleep(rng.uniform(0.5 * think, 1.5 * think))
                await timed(
                    "save",
                    "PUT",
                    f"{API}/attempts/{attempt['id']}/answers/{question['id']}",
                    headers,
                    _answer(question, rng),
                )
            await timed("submit", "POST", f"{API}/attempts/{attempt['id']}/submit", headers)

        began = time.perf_counter()
        await asyncio.gather(*(learner(i, h) for i, h in enumerate(tokens)))
        return samples, time.perf_counter() - began


async def solo(base: str, quiz_id: str, tokens: list[dict[str, str]]) -> Samples:
    """Service times without load: a few extra learners take the quiz one after another (no
    think time) before the burst."""
    samples = Samples()
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        for index, headers in enumerate(tokens):
            rng = random.Random(10_000 + index)
            started = time.perf_counter()
            response = await client.post(f"{API}/quizzes/{quiz_id}/attempts", headers=headers)
            samples.values["start"].append((time.perf_counter() - started) * 1000)
            attempt = response.json()
            for question in attempt["questions"]:
                url = f"{API}/attempts/{attempt['id']}/answers/{question['id']}"
                started = time.perf_counter()
                await client.put(url, json=_answer(question, rng), headers=headers)
                samples.values["save"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            await client.post(f"{API}/attempts/{attempt['id']}/submit", headers=headers)
            samples.values["submit"].append((time.perf_counter() - started) * 1000)
    return samples


@contextlib.contextmanager
def server(env: dict[str, str], port: int, workers: int) -> Iterator[str]:
    """The bench app under uvicorn with ``workers`` processes (Campus app servers are stateless;
    one process per core is the scale-out set-up). ``harness.server`` runs one process."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "benchmarks.bench_app:create_bench_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--no-access-log",
        "--log-level",
        "warning",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--workers",
        str(workers),
        # A learner thinks ~10 s between answers: keep connections as a browser would.
        "--timeout-keep-alive",
        "75",
        "--backlog",
        "4096",
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=harness.ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.3)
        else:
            raise RuntimeError("the server did not become ready")
        time.sleep(2)  # let every worker finish its start-up
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


# --------------------------------------------------------------------------- in-process profile


async def _profile(database_url: str, data_dir: Path, learners: int, out: Path | None) -> None:
    """Per-request CPU and latency of start, save and submit, measured in this process against
    the real app (ASGI transport, no network, no server): one learner after another, after a
    warm-up. CPU is this process's CPU time per request (the app plus the in-process client),
    so it is what one request costs a worker. With ``out``, a cProfile of the starts."""
    import cProfile
    import os
    import pstats

    import sqlalchemy as sa
    from asgi_lifespan import LifespanManager

    from benchmarks.bench_app import create_bench_app

    os.environ.update(harness.bench_env(database_url, data_dir))
    app = create_bench_app()
    warm = 5
    emails, teacher, admin = await seed_people(database_url, learners + warm)
    statements: list[str] = []
    async with LifespanManager(app, startup_timeout=60):
        engine = app.state.db.engine.sync_engine

        def count(_c: Any, _k: Any, statement: str, *_a: Any) -> None:
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                statements.append(statement)

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            _, quiz_id = await build_course_with(client, teacher, admin)
            course_id = (
                await client.get(f"{API}/quizzes/{quiz_id}", headers=await _alogin(client, teacher))
            ).json()["courseId"]
            await enroll_all(database_url, course_id, emails)
            tokens = [await _alogin(client, e) for e in emails]
            figures: dict[str, list[tuple[float, float, int]]] = {
                "start": [],
                "save": [],
                "submit": [],
            }
            last: dict[str, list[str]] = {}
            profiler = cProfile.Profile()
            sa.event.listen(engine, "before_cursor_execute", count)

            async def timed(
                kind: str,
                method: str,
                url: str,
                headers: dict[str, str],
                body: dict[str, Any] | None,
                measured: bool,
            ) -> dict[str, Any]:
                statements.clear()
                cpu, wall = time.process_time(), time.perf_counter()
                if measured and kind == "start" and out is not None:
                    profiler.enable()
                response = await client.request(method, url, json=body, headers=headers)
                if measured and kind == "start" and out is not None:
                    profiler.disable()
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                response.raise_for_status()
                if measured:
                    figures[kind].append((cpu * 1000, wall * 1000, len(statements)))
                    last[kind] = list(statements)
                result: dict[str, Any] = response.json()
                return result

            rng = random.Random(7)
            for index, headers in enumerate(tokens):
                measured = index >= warm
                attempt = await timed(
                    "start", "POST", f"{API}/quizzes/{quiz_id}/attempts", headers, None, measured
                )
                question = attempt["questions"][0]
                await timed(
                    "save",
                    "PUT",
                    f"{API}/attempts/{attempt['id']}/answers/{question['id']}",
                    headers,
                    _answer(question, rng),
                    measured,
                )
                await timed(
                    "submit",
                    "POST",
                    f"{API}/attempts/{attempt['id']}/submit",
                    headers,
                    None,
                    measured,
                )
            sa.event.remove(engine, "before_cursor_execute", count)
    print(f"in-process, {learners} learners one after another after {warm} warm-up starts")
    print(
        f"{'operation':<10}{'cpu p50':>9}{'cpu mean':>10}{'wall p50':>10}{'wall p99':>10}"
        f"{'queries':>9}"
    )
    for kind, rows in figures.items():
        cpu_ms = [r[0] for r in rows]
        wall_ms = [r[1] for r in rows]
        queries = sorted(r[2] for r in rows)[len(rows) // 2]
        print(
            f"{kind:<10}{pct(cpu_ms, 0.5):>9.2f}{statistics.fmean(cpu_ms):>10.2f}"
            f"{pct(wall_ms, 0.5):>10.2f}{pct(wall_ms, 0.99):>10.2f}{queries:>9}"
        )
    if os.environ.get("CAMPUS_PROFILE_SQL"):
        for kind, sql in last.items():
            print(f"-- statements of the last {kind}:")
            for statement in sql:
                print("  ", " ".join(statement.split())[:160])
    if out is not None:
        profiler.dump_stats(out)
        pstats.Stats(str(out)).sort_stats("cumulative").print_stats(40)


async def _create_profile_database() -> str:
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    name = f"campus_prof_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(harness.DEFAULT_PG).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


def profile(learners: int, out: Path | None) -> None:
    """``--profile``: the in-process measurement on a database of its own (dropped after)."""
    database_url = asyncio.run(_create_profile_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(database_url, Path(tmp))
            harness.migrate(env)
            asyncio.run(_profile(database_url, Path(tmp), learners, out))
    finally:
        asyncio.run(harness.drop_database(database_url))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--window", type=float, default=5.0, help="seconds over which all start")
    parser.add_argument("--think", type=float, default=10.0, help="mean seconds between answers")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument(
        "--profile",
        type=int,
        metavar="N",
        help="instead of the benchmark: per-request CPU/latency of N learners in process",
    )
    parser.add_argument("--profile-out", type=Path, help="with --profile: cProfile the starts")
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.profile_out)
        return

    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # Two workers x (pool + overflow) must stay well below PostgreSQL's max_connections.
            env = harness.bench_env(database_url, Path(tmp), CAMPUS_DATABASE_POOL_SIZE="12")
            harness.migrate(env)
            setup = time.perf_counter()
            emails, teacher, admin = asyncio.run(
                seed_people(database_url, args.learners + SOLO_LEARNERS)
            )
            port = harness.free_port()
            with server(env, port, args.workers) as base:
                course_id, quiz_id = build_course(base, teacher, admin)
                asyncio.run(enroll_all(database_url, course_id, emails))
                tokens = asyncio.run(login_all(base, emails))
                setup_s = time.perf_counter() - setup
                reference = harness.wrk(
                    "bare reference (GET)", f"{base}/bench/reference", duration=5, connections=32
                )
                quiet = asyncio.run(solo(base, quiz_id, tokens[:SOLO_LEARNERS]))
                samples, elapsed = asyncio.run(
                    exam(base, quiz_id, tokens[SOLO_LEARNERS:], args.window, args.think)
                )
        report(args, reference, samples, elapsed, setup_s, quiet)
    finally:
        asyncio.run(harness.drop_database(database_url))


def report(
    args: argparse.Namespace,
    reference: harness.Figure,
    samples: Samples,
    elapsed: float,
    setup_s: float,
    quiet: Samples,
) -> None:
    info = harness.machine()
    rows = []
    for kind, values in samples.values.items():
        p50, p99 = pct(values, 0.50), pct(values, 0.99)
        rows.append(
            {
                "operation": kind,
                "requests": len(values),
                "p50_ms": round(p50, 2),
                "p99_ms": round(p99, 2),
                "mean_ms": round(statistics.fmean(values), 2) if values else 0,
                "p50_ratio_to_reference": round(p50 / reference.p50_ms, 2),
                "p99_ratio_to_reference": round(p99 / reference.p99_ms, 2),
            }
        )
    start_p99 = rows[0]["p99_ms"]
    print(
        f"\nAssessment: synchronized exam start ({info['date']}, {info['cpu']}, "
        f"{info['cores']} cores, Python {info['python']})"
    )
    print(
        f"{args.learners} learners, starts within {args.window}s, think {args.think}s/answer, "
        f"20 questions; run took {elapsed:.1f}s (set-up {setup_s:.1f}s)"
    )
    print(
        f"reference: {reference.requests_per_second:.0f} req/s, p50 {reference.p50_ms:.2f} ms, "
        f"p99 {reference.p99_ms:.2f} ms, errors {reference.errors}"
    )
    print(f"{'operation':<10}{'n':>7}{'p50 ms':>10}{'p99 ms':>10}{'p50/ref':>9}{'p99/ref':>9}")
    for row in rows:
        print(
            f"{row['operation']:<10}{row['requests']:>7}{row['p50_ms']:>10.2f}"
            f"{row['p99_ms']:>10.2f}{row['p50_ratio_to_reference']:>9.2f}"
            f"{row['p99_ratio_to_reference']:>9.2f}"
        )
    print(f"errors: {len(samples.errors)} {samples.errors[:5]}")
    solo_rows = {
        k: (round(pct(v, 0.5), 2), round(pct(v, 0.99), 2)) for k, v in quiet.values.items()
    }
    print(
        f"service times without load ({SOLO_LEARNERS} learners one at a time), p50/p99 ms: "
        + ", ".join(f"{k} {a}/{b}" for k, (a, b) in solo_rows.items())
    )
    print(f"target p99(start) < 500 ms: {'met' if start_p99 < 500 else 'MISSED'}")
    with harness.RESULTS.open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "title": "assessment: synchronized exam start",
                    "machine": info,
                    "reference": asdict(reference),
                    "figures": rows,
                    "extra": {
                        "learners": args.learners,
                        "window_s": args.window,
                        "think_s": args.think,
                        "errors": len(samples.errors),
                        "elapsed_s": round(elapsed, 1),
                    },
                }
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
