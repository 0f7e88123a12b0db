"""``campus serve --workers N``: several uvicorn worker processes behind one port (issue 19).

More than one worker needs Redis (the response cache, its invalidation and the rate limits are
shared through it); the workers share a metrics directory, so ``/metrics`` reports every
process's requests whichever process answers it. The embedded job runner and the periodic
schedules run in each worker: their claims and conditional updates make that safe (proven for
many relays at once in ``test_outbox.py`` and ``test_schedule.py``)."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from campus import cli
from campus.config import Settings
from tests.kernel.conftest import requires_redis

PROJECT_ROOT = Path(__file__).resolve().parents[2]
#: Bound on the server's start-up and on each wait for its processes (a loaded machine).
WAIT = 60.0


class Served:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.options: dict[str, Any] | None = None


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, settings: Settings, tmp_path: Path) -> Served:
    """``campus serve`` with uvicorn, migrations and the demo seeding replaced by recorders."""
    import uvicorn

    import campus.seed

    chosen = settings.model_copy(update={"data_dir": tmp_path, "base_url": "http://127.0.0.1:8000"})
    record = Served(chosen)

    def run(_app: str, **options: Any) -> None:
        record.options = options

    async def no_seed(_settings: Settings) -> None:
        return None

    monkeypatch.setattr(cli, "get_settings", lambda: chosen)
    monkeypatch.setattr(cli, "run_migrations", lambda: None)
    monkeypatch.setattr(campus.seed, "seed_demo_if_first_run", no_seed)
    monkeypatch.setattr(uvicorn, "run", run)
    monkeypatch.setenv(cli.METRICS_DIRECTORY_ENV, "")  # restored (unset) after the test
    return record


def test_several_workers_without_redis_are_refused_before_anything_starts(
    served: Served, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_redis = served.settings.model_copy(update={"redis_url": ""})
    monkeypatch.setattr(cli, "get_settings", lambda: without_redis)
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "2"])
    assert result.exit_code == 1
    assert "CAMPUS_REDIS_URL" in result.output
    assert served.options is None


def test_one_worker_needs_no_redis_and_no_metrics_directory(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    without_redis = served.settings.model_copy(update={"redis_url": ""})
    monkeypatch.setattr(cli, "get_settings", lambda: without_redis)
    result = CliRunner().invoke(cli.app, ["serve"])
    assert result.exit_code == 0, result.output
    assert served.options is not None
    assert "workers" not in served.options
    assert os.environ[cli.METRICS_DIRECTORY_ENV] == ""


def test_several_workers_share_an_emptied_metrics_directory(
    served: Served, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_redis = served.settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    monkeypatch.setattr(cli, "get_settings", lambda: with_redis)
    stale = with_redis.data_dir / "metrics" / "counter_12345.db"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"values of an earlier run")
    result = CliRunner().invoke(cli.app, ["serve", "--workers", "3"])
    assert result.exit_code == 0, result.output
    assert served.options is not None
    assert served.options["workers"] == 3
    assert served.options["timeout_worker_healthcheck"] == cli.WORKER_HEALTHCHECK_SECONDS
    assert os.environ[cli.METRICS_DIRECTORY_ENV] == str(stale.parent)
    assert not stale.exists()
    assert stale.parent.stat().st_mode & 0o077 == 0


# --------------------------------------------------------------------------- a real server


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def serving(settings: Settings, data_dir: Path, workers: int) -> AsyncIterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPUS_")}
    env.pop(cli.METRICS_DIRECTORY_ENV, None)
    env.update(
        {
            "CAMPUS_ENV": "test",
            "CAMPUS_DATABASE_URL": settings.resolved_database_url,
            "CAMPUS_REDIS_URL": settings.redis_url,
            "CAMPUS_REDIS_NAMESPACE": settings.redis_namespace,
            "CAMPUS_DATA_DIR": str(data_dir),
            "CAMPUS_SEED_DEMO_ON_FIRST_RUN": "false",
            "CAMPUS_LOG_LEVEL": "WARNING",
        }
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "campus.cli",
        "serve",
        "--no-migrate",
        "--port",
        str(port),
        "--workers",
        str(workers),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:

        async def ready() -> None:
            async with httpx.AsyncClient(base_url=base, timeout=5) as http:
                while True:
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            return
                    except httpx.TransportError:
                        pass
                    assert process.returncode is None, "the server exited during start-up"
                    await asyncio.sleep(0.1)  # poll interval while another process starts

        await asyncio.wait_for(ready(), timeout=WAIT)
        yield base
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=WAIT)
            except TimeoutError:
                process.kill()
                await process.wait()


def _healthz_count(metrics: str) -> float:
    pattern = r'^campus_http_requests_total\{[^}]*route="/healthz"[^}]*status="200"[^}]*\} (\S+)$'
    return sum(float(value) for value in re.findall(pattern, metrics, re.M))


def _metric_pids(directory: Path) -> set[str]:
    return {
        match[1] for p in directory.glob("*.db") if (match := re.search(r"_(\d+)\.db$", p.name))
    }


@requires_redis
async def test_two_workers_serve_one_port_and_metrics_count_every_process(
    app: Any, settings: Settings, tmp_path: Path
) -> None:
    async with serving(settings, tmp_path, workers=2) as base:
        answered = 1  # the start-up probe's 200 from /healthz
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=10, limits=limits) as http:
            # New connections until both processes have answered some (each one's counters
            # have their own file), bounded.
            for _ in range(40):
                responses = await asyncio.gather(*(http.get("/healthz") for _ in range(20)))
                answered += sum(1 for r in responses if r.status_code == 200)
                if len(_metric_pids(tmp_path / "metrics")) >= 2:
                    break
            assert len(_metric_pids(tmp_path / "metrics")) >= 2
            metrics = (await http.get("/metrics")).text
    assert answered > 0
    assert _healthz_count(metrics) == answered
