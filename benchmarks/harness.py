"""Benchmark plumbing: a fresh PostgreSQL database, a real uvicorn server, and wrk as the load
driver (a C client, so the driver does not steal the server's CPU the way a Python client
would). Results are printed and appended to ``benchmarks/results.jsonl``."""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results.jsonl"
DEFAULT_PG = os.environ.get(
    "CAMPUS_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@dataclass
class Figure:
    scenario: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    connections: int
    duration_s: int
    ratio_to_reference: float | None = None


def machine() -> dict[str, str]:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "python": platform.python_version(),
        "os": platform.platform(terse=True),
    }


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def create_database(base_url: str = DEFAULT_PG, prefix: str = "campus_bench") -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin_url = make_url(base_url).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return admin_url.set(database=name).render_as_string(hide_password=False)


async def drop_database(url: str, base_url: str = DEFAULT_PG) -> None:
    name = make_url(url).database
    admin_url = make_url(base_url).set(drivername="postgresql+asyncpg")
    engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await engine.dispose()


def bench_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "CAMPUS_ENV": "development",
        "CAMPUS_DATABASE_URL": database_url,
        "CAMPUS_DATA_DIR": str(data_dir),
        "CAMPUS_SEED_DEMO_ON_FIRST_RUN": "false",
        "CAMPUS_LOG_LEVEL": "WARNING",
        "CAMPUS_DATABASE_POOL_SIZE": "20",
        # The benchmark measures throughput, not the brute-force limits.
        "CAMPUS_LOGIN_ATTEMPTS_PER_IP_PER_MINUTE": "100000000",
        "CAMPUS_LOGIN_FAILURES_PER_ACCOUNT_PER_HOUR": "100000000",
        "CAMPUS_REFRESH_PER_IP_PER_MINUTE": "100000000",
    }
    env.update(extra)
    return env


def migrate(env: dict[str, str]) -> None:
    subprocess.run([sys.executable, "-m", "campus.cli", "migrate"], env=env, check=True, cwd=ROOT)

    async def counter_table() -> None:
        engine = create_async_engine(env["CAMPUS_DATABASE_URL"])
        async with engine.begin() as conn:
            await conn.execute(
                sa.text("CREATE TABLE IF NOT EXISTS bench_counter (id text PRIMARY KEY, hits int)")
            )
        await engine.dispose()

    asyncio.run(counter_table())


@contextlib.contextmanager
def server(env: dict[str, str], port: int) -> Iterator[str]:
    with server_process(env, port) as (base, _proc):
        yield base


@contextlib.contextmanager
def server_process(
    env: dict[str, str],
    port: int,
    *,
    app: str = "benchmarks.bench_app:create_bench_app",
    ready_path: str = "/readyz",
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like ``server``, and also hands out the process (its pid, for memory figures). ``app``
    names another app factory (the bare reference app), ``ready_path`` its readiness check."""
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        app,
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
    ]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}{ready_path}", timeout=2).status_code == 200:
                    break
            if proc.poll() is not None:
                raise RuntimeError("the server exited during start-up")
            time.sleep(0.2)
        else:
            raise RuntimeError("the server did not become ready")
        yield base, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


_LUA = """
wrk.method = {method}
wrk.body = {body}
{headers}
"""


def wrk(
    scenario: str,
    url: str,
    *,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    connections: int = 32,
    duration: int = 10,
    threads: int = 1,
    paths: list[str] | None = None,
) -> Figure:
    """One wrk run against ``url``. With ``paths`` (absolute paths such as
    ``/api/v1/courses?page=2``), requests cycle through them in order instead of repeating
    ``url``'s path (e.g. to miss a server-side cache); each wrk thread cycles on its own."""
    header_lines = "\n".join(
        f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items()
    )
    script = _LUA.format(
        method=json.dumps(method), body=json.dumps(body) if body else "nil", headers=header_lines
    )
    if paths:
        script += _lua_rotation(paths)
    return wrk_script(
        scenario, url, script, connections=connections, duration=duration, threads=threads
    )


def _lua_rotation(paths: list[str]) -> str:
    # JSON string literals are valid Lua literals as long as they are ASCII (no \u escapes).
    for path in paths:
        if not path.startswith("/") or not path.isascii():
            raise ValueError(f"paths must be ASCII absolute paths: {path!r}")
    listed = ",\n".join(json.dumps(path) for path in paths)
    return (
        f"local paths = {{\n{listed}\n}}\n"
        "local index = 0\n"
        "request = function()\n"
        "  index = index % #paths + 1\n"
        "  return wrk.format(nil, paths[index])\n"
        "end\n"
    )


def wrk_script(
    scenario: str,
    url: str,
    script: str,
    *,
    connections: int = 32,
    duration: int = 10,
    threads: int = 1,
) -> Figure:
    """Run wrk with a Lua script of one's own (e.g. a ``request()`` rotating over many users'
    tokens, or a ``delay()`` pacing each connection)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install -y wrk")
    settle(url)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t",
                str(threads),
                "-c",
                str(connections),
                "-d",
                f"{duration}s",
                "--latency",
                "-s",
                script_path,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(script_path)
    return parse_wrk(scenario, out, connections, duration)


def settle(
    url: str,
    *,
    quiet_ms: float = 15.0,
    in_a_row: int = 5,
    interval: float = 0.1,
    timeout: float = 30.0,
    health_path: str = "/healthz",
) -> None:
    """Wait until the server behind ``url`` has finished the previous scenario's requests.

    When wrk stops, the requests it had in flight are still being served: after a slow
    scenario (hundreds of milliseconds per request) they hold the event loop for a second or
    more, and the next scenario's first requests would queue behind them and be counted in its
    p99. So, before each run, ``/healthz`` is asked every ``interval`` seconds until
    ``in_a_row`` answers in a row take under ``quiet_ms`` (half a second of quiet by default)."""
    parts = urlsplit(url)
    health = f"{parts.scheme}://{parts.netloc}{health_path}"
    deadline = time.monotonic() + timeout
    quiet = 0
    with httpx.Client(timeout=timeout) as client:
        while quiet < in_a_row and time.monotonic() < deadline:
            start = time.perf_counter()
            client.get(health)
            quiet = quiet + 1 if (time.perf_counter() - start) * 1000 < quiet_ms else 0
            time.sleep(interval)


def profile_summary(profiler: cProfile.Profile, sort: str, top: int, match: str = "") -> str:
    """The ``top`` functions of a cProfile run by ``sort`` (a pstats key), optionally only those
    whose path matches the regex ``match``."""
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats(sort)
    restrictions: list[str | int] = [match] if match else []
    stats.print_stats(*restrictions, top)
    return out.getvalue()


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def parse_wrk(scenario: str, out: str, connections: int, duration: int) -> Figure:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non2xx.group(1)) if non2xx else 0
    if socket_errors:
        errors += sum(int(x) for x in socket_errors.groups())
    return Figure(scenario, rps, p50, p99, errors, total, connections, duration)


def report(
    title: str, figures: list[Figure], reference: Figure, extra: dict[str, object] | None = None
) -> None:
    for fig in figures:
        fig.ratio_to_reference = round(fig.requests_per_second / reference.requests_per_second, 3)
    info = machine()
    where = f"{info['date']}, {info['cpu']}, {info['cores']} cores, Python {info['python']}"
    print(f"\n{title}  ({where})")
    print(f"{'scenario':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'ratio':>8}{'errors':>8}")
    for fig in [reference, *figures]:
        ratio = "1.000" if fig is reference else f"{fig.ratio_to_reference:.3f}"
        print(
            f"{fig.scenario:<34}{fig.requests_per_second:>10.1f}{fig.p50_ms:>10.2f}"
            f"{fig.p99_ms:>10.2f}{ratio:>8}{fig.errors:>8}"
        )
    for key, value in (extra or {}).items():
        print(f"{key}: {value}")
    with RESULTS.open("a") as handle:
        handle.write(
            json.dumps(
                {
                    "title": title,
                    "machine": info,
                    "reference": asdict(reference),
                    "figures": [asdict(f) for f in figures],
                    "extra": extra or {},
                }
            )
            + "\n"
        )


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


async def asgi_call(
    app: Any,
    method: str,
    url: str,
    *,
    token: str | None = None,
    body: bytes = b"",
) -> tuple[int, bytes]:
    """One request straight through the ASGI interface (no server, no socket): the in-process
    profilers measure the app's own cost with it. Returns (status, body)."""
    path, _, query = url.partition("?")
    headers = [(b"host", b"bench"), (b"accept", b"application/json")]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body:
        headers += [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("bench", 80),
        "state": {},
    }
    status = 0
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Any) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)
