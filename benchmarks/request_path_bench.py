"""The request path against the bare stack (issue 19).

One run: a fresh PostgreSQL database with the demo data set, the Campus server
(``benchmarks.bench_app``) and the bare reference app (``benchmarks.bare_app``: FastAPI +
asyncpg, no Campus code) started side by side with the same uvicorn flags (one worker,
uvloop, httptools, no access log), then wrk (``-t1 -c32 -d10s`` by default, loopback) on:

==========================================  =====================================
Campus                                      matching bare endpoint
==========================================  =====================================
``GET /healthz``                            ``GET /hello``
``GET /api/v1/courses/python-programming``  ``GET /hello`` (served from the cache)
``GET /api/v1/courses?limit=20`` cached     ``GET /hello``
``GET /api/v1/courses?limit=20`` uncached   ``GET /page`` (20 rows and a count)
``GET /api/v1/users/me`` (bearer)           ``GET /me`` (one row by primary key)
``POST .../heartbeat`` (bearer)             ``POST /upsert`` (one-row upsert)
``GET /bench/reference`` (``SELECT 1``)     ``GET /me``
==========================================  =====================================

With ``--workers N`` (N > 1) both servers run N uvicorn worker processes (Campus as
``campus serve --workers N`` runs it, so with Redis: ``--redis-url``, default the local one).

Each figure is printed with its ratio to the matching bare endpoint and to Campus's own
reference (``GET /bench/reference``), and its p99 over the bare endpoint's p99. Bare and Campus
scenarios alternate, so a change in the machine's load shifts both sides of a ratio.

Before the servers start, ``--round-trips`` (on by default) drives each hot path in-process
(the real app's ASGI callable, no server) and counts what every request sends to PostgreSQL
(BEGIN, COMMIT, ROLLBACK, SET, pings, prepares, statements) and its CPU time.
``--py-spy DIR`` records a py-spy profile (collapsed stacks) of the Campus server during each
Campus scenario (py-spy must be on the PATH or in the venv; it is not a project dependency).

    .venv/bin/python -m benchmarks.request_path_bench [--duration 10] [--connections 32] \
        [--rounds 1] [--label before] [--round-trips 0] [--py-spy /tmp/spy] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from benchmarks import harness

STUDENT_PASSWORD = "learn-river-canvas-24"
STUDENTS = (
    "maria@campus.example",
    "kenji@campus.example",
    "amara@campus.example",
    "lucas@campus.example",
    "priya@campus.example",
)
COURSE_PAGE = "/api/v1/courses/python-programming"
COURSE_LIST = "/api/v1/courses?limit=20"
#: Distinct URLs for the same page (``lang=en-b10000``...: English variants, served in the
#: default language): each one misses the response cache and returns ``COURSE_LIST``'s page.
UNCACHED_LISTS = [f"/api/v1/courses?limit=20&lang=en-b{n}" for n in range(10_000, 60_000)]


@dataclass
class Row:
    scenario: str
    bare: str | None
    rps: float
    p50: float
    p99: float
    errors: int
    load: str
    bare_ratio: float | None = None
    bare_p99_ratio: float | None = None
    reference_ratio: float | None = None


@dataclass
class Facts:
    maria_id: str
    tokens: list[str]
    heartbeats: list[tuple[str, str]]  # (token, path)


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def seed_demo(env: dict[str, str]) -> None:
    # The demo's uploads are inspected within a time limit (5 s by default) that a loaded
    # machine can miss; the benchmark measures requests, not the seeding.
    subprocess.run(
        [sys.executable, "-m", "campus.cli", "seed-demo"],
        env={"CAMPUS_UPLOAD_INSPECTION_SECONDS": "120", **env},
        check=True,
        cwd=harness.ROOT,
        stdout=subprocess.DEVNULL,
    )


async def video_lessons(database_url: str) -> dict[str, list[str]]:
    """Each demo student's video lessons in the courses they are enrolled in."""
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                sa.text(
                    "SELECT u.email, l.id FROM users u "
                    "JOIN learning_enrollments e ON e.user_id = u.id AND e.status = 'active' "
                    "JOIN catalog_lessons l ON l.version_id = e.version_id AND l.type = 'video' "
                    "WHERE u.email = ANY(:emails) ORDER BY u.email, l.id"
                ),
                {"emails": list(STUDENTS)},
            )
            found: dict[str, list[str]] = {}
            for email, lesson in rows:
                found.setdefault(email, []).append(str(lesson))
            return found
    finally:
        await engine.dispose()


async def user_id(database_url: str, email: str) -> str:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            value = await conn.scalar(
                sa.text("SELECT id FROM users WHERE email = :e"), {"e": email}
            )
            return str(value)
    finally:
        await engine.dispose()


def prepare(base: str, database_url: str) -> Facts:
    tokens: dict[str, str] = {}
    with httpx.Client(base_url=base, timeout=30) as http:
        for email in STUDENTS:
            answer = http.post(
                "/api/v1/auth/login", json={"email": email, "password": STUDENT_PASSWORD}
            )
            answer.raise_for_status()
            tokens[email] = answer.json()["accessToken"]
        lessons = asyncio.run(video_lessons(database_url))
        heartbeats: list[tuple[str, str]] = []
        for email, ids in lessons.items():
            for lesson in ids:
                auth = {"Authorization": f"Bearer {tokens[email]}"}
                if http.post(
                    f"/api/v1/learn/lessons/{lesson}/start", json={}, headers=auth
                ).is_success:
                    heartbeats.append((tokens[email], f"/api/v1/learn/lessons/{lesson}/heartbeat"))
        if not heartbeats:
            raise SystemExit("no demo student has a startable video lesson")
        totals = set()
        for path in (COURSE_PAGE, COURSE_LIST, UNCACHED_LISTS[0]):
            answer = http.get(path)
            if answer.status_code != 200:
                raise SystemExit(f"{path}: {answer.status_code} {answer.text[:300]}")
            if path != COURSE_PAGE:
                totals.add(len(answer.json()["items"]))
        if len(totals) != 1:  # the uncached rotation must serve the cached list's page
            raise SystemExit(f"the uncached list URLs serve other pages: {totals}")
    maria = asyncio.run(user_id(database_url, STUDENTS[0]))
    return Facts(maria, list(tokens.values()), heartbeats)


def heartbeat_script(pairs: list[tuple[str, str]]) -> str:
    tokens = json.dumps([token for token, _ in pairs])[1:-1]
    paths = json.dumps([path for _, path in pairs])[1:-1]
    return f"""
local tokens = {{{tokens}}}
local paths = {{{paths}}}
local i = 0
request = function()
  i = i + 1
  local k = (i % #paths) + 1
  local body = '{{"positionSeconds":' .. (i % 3000) .. ',"watchedSeconds":10}}'
  return wrk.format("POST", paths[k],
    {{["Authorization"] = "Bearer " .. tokens[k], ["Content-Type"] = "application/json"}}, body)
end
"""


def upsert_script() -> str:
    return """
local i = 0
request = function()
  i = i + 1
  local body = '{"positionSeconds":' .. (i % 3000) .. ',"watchedSeconds":10}'
  return wrk.format("POST", "/upsert", {["Content-Type"] = "application/json"}, body)
end
"""


@contextlib.contextmanager
def py_spy(pid: int, out: Path | None, name: str, duration: int) -> Iterator[None]:
    """Record the server with py-spy for the scenario's duration (collapsed stacks)."""
    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if out is None or not Path(exe).exists():
        yield
        return
    out.mkdir(parents=True, exist_ok=True)
    target = out / (name.replace("/", "_").replace(" ", "_") + ".txt")
    proc = subprocess.Popen(
        [
            exe,
            "record",
            "-p",
            str(pid),
            "-d",
            str(duration),
            "-r",
            "200",
            "--format",
            "raw",
            "-o",
            str(target),
            "--nonblocking",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        proc.wait(timeout=duration + 30)


def scenarios(campus: str, bare: str, facts: Facts) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(name, matching bare scenario, wrk arguments); bare ones have None as their match."""
    bearer = {"Authorization": f"Bearer {facts.tokens[0]}"}
    return [
        ("bare GET /hello", None, {"url": f"{bare}/hello"}),
        ("GET /healthz", "bare GET /hello", {"url": f"{campus}/healthz"}),
        ("course page, cached", "bare GET /hello", {"url": f"{campus}{COURSE_PAGE}"}),
        ("list ?limit=20, cached", "bare GET /hello", {"url": f"{campus}{COURSE_LIST}"}),
        ("bare GET /me (1 row by key)", None, {"url": f"{bare}/me?id={facts.maria_id}"}),
        (
            "reference (SELECT 1)",
            "bare GET /me (1 row by key)",
            {"url": f"{campus}/bench/reference"},
        ),
        (
            "GET /users/me (bearer)",
            "bare GET /me (1 row by key)",
            {"url": f"{campus}/api/v1/users/me", "headers": bearer},
        ),
        ("bare GET /page (20 rows + count)", None, {"url": f"{bare}/page"}),
        (
            "list ?limit=20, uncached",
            "bare GET /page (20 rows + count)",
            {"url": f"{campus}/api/v1/courses", "paths": UNCACHED_LISTS},
        ),
        ("bare POST /upsert (1 row)", None, {"url": f"{bare}/upsert", "script": upsert_script()}),
        (
            "POST heartbeat (bearer)",
            "bare POST /upsert (1 row)",
            {"url": f"{campus}/api/v1", "script": heartbeat_script(facts.heartbeats)},
        ),
    ]


def run_round(
    campus: str, bare: str, pid: int, facts: Facts, args: argparse.Namespace, first: bool
) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for name, match, spec in scenarios(campus, bare, facts):
        common = {"connections": args.connections, "duration": args.duration}
        load = load_average()
        spy = Path(args.py_spy) if args.py_spy and first and match is not None else None
        with py_spy(pid, spy, name, args.duration):
            if "script" in spec:
                fig = harness.wrk_script(name, spec["url"], spec["script"], **common)
            else:
                fig = harness.wrk(
                    name,
                    spec["url"],
                    headers=spec.get("headers"),
                    paths=spec.get("paths"),
                    **common,
                )
        rows[name] = Row(
            name, match, fig.requests_per_second, fig.p50_ms, fig.p99_ms, fig.errors, load
        )
        print(
            f"  {name:<34}{fig.requests_per_second:>9.1f} req/s  p50 {fig.p50_ms:6.1f}  "
            f"p99 {fig.p99_ms:6.1f} ms  errors {fig.errors}  load {load}",
            flush=True,
        )
    return rows


def median_rows(rounds: list[dict[str, Row]]) -> list[Row]:
    out: list[Row] = []
    for name in rounds[0]:
        runs = sorted((r[name] for r in rounds), key=lambda row: row.rps)
        out.append(runs[len(runs) // 2])
    by_name = {row.scenario: row for row in out}
    reference = by_name["reference (SELECT 1)"]
    for row in out:
        row.reference_ratio = round(row.rps / reference.rps, 3)
        if row.bare is not None:
            bare = by_name[row.bare]
            row.bare_ratio = round(row.rps / bare.rps, 3)
            row.bare_p99_ratio = round(row.p99 / bare.p99, 2)
    return out


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(
        "| scenario | req/s | p50 ms | p99 ms | ratio to bare | p99 / bare p99 "
        "| ratio to reference | errors | load avg |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        bare = f"{row.bare_ratio:.3f}" if row.bare_ratio is not None else "-"
        p99 = f"{row.bare_p99_ratio:.2f}" if row.bare_p99_ratio is not None else "-"
        print(
            f"| {row.scenario} | {row.rps:.1f} | {row.p50:.1f} | {row.p99:.1f} | {bare} | "
            f"{p99} | {row.reference_ratio:.3f} | {row.errors} | {row.load} |"
        )


# --------------------------------------------------------------------------- round trips


def count_round_trips(env: dict[str, str], facts_db: str, requests: int) -> dict[str, Any]:
    """Drive each hot path in-process and count what every request sends to PostgreSQL."""
    os.environ.update(env)
    return asyncio.run(_count_round_trips(facts_db, requests))


async def _count_round_trips(database_url: str, requests: int) -> dict[str, Any]:
    from asyncpg.connection import Connection  # type: ignore[import-untyped]
    from asyncpg.prepared_stmt import PreparedStatement  # type: ignore[import-untyped]

    from benchmarks.bench_app import create_bench_app

    sent: Counter[str] = Counter()
    # Only what the measured request sends: the embedded job runner polls the outbox from its
    # own task (its own context), so its statements are not counted.
    counting: ContextVar[bool] = ContextVar("counting", default=False)

    def label(query: str) -> str:
        words = query.strip().split()
        head = words[0].upper() if words else ";"
        return "ping" if head == ";" else head

    def patch(cls: Any, name: str, kind: Any) -> tuple[Any, str, Any]:
        original = getattr(cls, name)

        async def counted(self: Any, *a: Any, **k: Any) -> Any:
            if counting.get():
                sent[kind(self, a)] += 1
            return await original(self, *a, **k)

        setattr(cls, name, counted)
        return cls, name, original

    patches = [
        patch(Connection, "execute", lambda _s, a: label(a[0])),
        patch(Connection, "fetchrow", lambda _s, a: label(a[0])),
        patch(Connection, "fetch", lambda _s, a: label(a[0])),
        patch(Connection, "fetchval", lambda _s, a: label(a[0])),
        patch(Connection, "executemany", lambda _s, a: "statement"),
        patch(Connection, "prepare", lambda _s, a: "prepare"),
        patch(PreparedStatement, "fetch", lambda s, a: label(s.get_query())),
    ]
    app = create_bench_app()
    results: dict[str, Any] = {}
    try:
        async with app.router.lifespan_context(app):
            email, lessons = next(iter((await video_lessons(database_url)).items()))
            status, body = await harness.asgi_call(
                app,
                "POST",
                "/api/v1/auth/login",
                body=json.dumps({"email": email, "password": STUDENT_PASSWORD}).encode(),
            )
            token = json.loads(body)["accessToken"]
            await harness.asgi_call(
                app, "POST", f"/api/v1/learn/lessons/{lessons[0]}/start", token=token, body=b"{}"
            )
            beat = b'{"positionSeconds":10,"watchedSeconds":10}'
            paths: list[tuple[str, str, str, str | None, bytes]] = [
                ("GET /healthz", "GET", "/healthz", None, b""),
                ("GET /users/me", "GET", "/api/v1/users/me", token, b""),
                ("course page, cached", "GET", COURSE_PAGE, None, b""),
                ("list, cached", "GET", COURSE_LIST, None, b""),
                ("list, uncached", "GET", "UNCACHED", None, b""),
                ("heartbeat", "POST", f"/api/v1/learn/lessons/{lessons[0]}/heartbeat", token, beat),
                ("reference (SELECT 1)", "GET", "/bench/reference", None, b""),
            ]
            rotation = iter(UNCACHED_LISTS[::-1])
            for name, method, url, auth, payload in paths:
                for _ in range(5):  # warm-up: statement caches, the response cache
                    await harness.asgi_call(
                        app,
                        method,
                        next(rotation) if url == "UNCACHED" else url,
                        token=auth,
                        body=payload,
                    )
                sent.clear()
                cpu: list[float] = []
                for _ in range(requests):
                    target = next(rotation) if url == "UNCACHED" else url
                    start = time.process_time()
                    flag = counting.set(True)
                    try:
                        status, body = await harness.asgi_call(
                            app, method, target, token=auth, body=payload
                        )
                    finally:
                        counting.reset(flag)
                    cpu.append((time.process_time() - start) * 1000)
                    if status != 200:
                        raise SystemExit(f"{name}: {status} {body[:300]!r}")
                per_request = {k: round(v / requests, 2) for k, v in sorted(sent.items())}
                results[name] = {
                    "round_trips": round(sum(sent.values()) / requests, 2),
                    "by_kind": per_request,
                    "cpu_ms_median": round(statistics.median(cpu), 2),
                }
                print(
                    f"  {name:<22} {results[name]['round_trips']:>5} round trips {per_request}"
                    f"  CPU median {results[name]['cpu_ms_median']} ms",
                    flush=True,
                )
    finally:
        for cls, name, original in patches:
            setattr(cls, name, original)
    return results


# --------------------------------------------------------------------------- servers


@contextmanager
def server(
    env: dict[str, str], app: str, ready_path: str, workers: int
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``harness.server_process``, with ``workers`` uvicorn processes when more than one (and
    the worker health-check timeout ``campus serve --workers`` uses)."""
    if workers == 1:
        with harness.server_process(
            env, harness.free_port(), app=app, ready_path=ready_path
        ) as started:
            yield started
        return
    from campus.cli import WORKER_HEALTHCHECK_SECONDS

    port = harness.free_port()
    cmd = [
        sys.executable, "-m", "uvicorn", app, "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--no-access-log", "--log-level", "warning", "--loop", "uvloop",
        "--http", "httptools", "--workers", str(workers),
        "--timeout-worker-healthcheck", str(WORKER_HEALTHCHECK_SECONDS),
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, cwd=harness.ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}{ready_path}", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not become ready")
        # Every worker must be up: new connections until the readiness check has been
        # answered that many times in a row (each worker starts on its own).
        for _ in range(workers * 20):
            httpx.get(f"{base}{ready_path}", timeout=10)
        yield base, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--label", default="", help="a tag for results.jsonl (before, after)")
    parser.add_argument("--round-trips", type=int, default=50, help="requests per path; 0: skip")
    parser.add_argument("--py-spy", default="", help="directory for py-spy profiles")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="with --workers")
    args = parser.parse_args()

    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(database_url, Path(tmp))
            if args.workers > 1:  # several Campus processes share their caches through Redis
                env["CAMPUS_REDIS_URL"] = args.redis_url
                env["CAMPUS_REDIS_NAMESPACE"] = f"bench-{os.getpid()}"
            # The same connections in all (20 per server), shared among its processes.
            pool = str(max(5, 20 // args.workers))
            env["CAMPUS_DATABASE_POOL_SIZE"] = pool
            harness.migrate(env)
            seed_demo(env)
            trips: dict[str, Any] = {}
            if args.round_trips:
                print("Database round trips and CPU per request (in-process):")
                trips = count_round_trips(env, database_url, args.round_trips)
            bare_env = {**env, "BARE_DATABASE_URL": database_url, "BARE_POOL_SIZE": pool}
            with (
                server(env, "benchmarks.bench_app:create_bench_app", "/readyz", args.workers) as (
                    campus,
                    proc,
                ),
                server(
                    bare_env, "benchmarks.bare_app:create_bare_app", "/healthz", args.workers
                ) as (bare, _),
            ):
                facts = prepare(campus, database_url)
                harness.wrk("warm-up", f"{campus}/bench/reference", connections=8, duration=2)
                harness.wrk("warm-up", f"{bare}/me?id={facts.maria_id}", connections=8, duration=2)
                rounds = []
                for number in range(args.rounds):
                    print(f"Round {number + 1}:")
                    rounds.append(run_round(campus, bare, proc.pid, facts, args, number == 0))
            rows = median_rows(rounds)
            info = harness.machine()
            title = (
                f"Request path vs bare stack {args.label} ({info['date']}, {info['cpu']}, "
                f"{info['cores']} cores, Python {info['python']}, {args.workers} worker(s), "
                f"-t1 -c{args.connections} -d{args.duration}s, median of {args.rounds})"
            )
            print_table(title, rows)
            with harness.RESULTS.open("a") as handle:
                handle.write(
                    json.dumps(
                        {
                            "title": "request path vs bare stack",
                            "label": args.label,
                            "workers": args.workers,
                            "machine": info,
                            "rows": [asdict(row) for row in rows],
                            "round_trips": trips,
                        }
                    )
                    + "\n"
                )
    finally:
        asyncio.run(harness.drop_database(database_url))


if __name__ == "__main__":
    main()
