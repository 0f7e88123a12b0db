"""Hostile uploads over HTTP (UP-03): the server keeps answering while an archive is inspected,
archive bombs are a 422 envelope that stores nothing, and a user whose uploads keep being
refused is rate limited (429) before any more of them is inspected."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from httpx import AsyncClient, Response

from campus.config import Settings
from tests.fixtures import archives
from tests.fixtures.assessment import API, AssessmentFactory, World
from tests.fixtures.catalog import ok

HTML = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
PDF = b"%PDF-1.7\n" + b"0" * 200 + b"\n%%EOF\n"


async def _draft(assessment: AssessmentFactory, client: AsyncClient, world: World) -> str:
    work = await assessment.assignment(world, maxFiles=10, allowedFileTypes=["zip", "pdf"])
    url = f"{API}/assignments/{work['id']}/submissions"
    draft: str = ok(await client.post(url, json={}, headers=world.learner.headers), 201)["id"]
    return draft


def _files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[AsyncClient]:
    """The app behind a real uvicorn server on this event loop, and a client over TCP: unlike
    the in-memory transport, a request here waits whenever the loop is blocked."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            await asyncio.sleep(0.01)
        port = sock.getsockname()[1]
        async with AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            yield http
    finally:
        server.should_exit = True
        await serving
        sock.close()


class TestWhileInspecting:
    """An app whose archive entry limit is high, so the 201,629-entry directory is walked in
    full (about a second of work) and then refused for its overlapping entries."""

    @pytest.fixture
    def settings(self, settings: Settings) -> Settings:
        return settings.replace(upload_archive_max_entries=1_000_000)

    async def test_healthz_answers_within_200ms_while_a_hostile_archive_is_inspected(
        self, assessment: AssessmentFactory, client: AsyncClient
    ) -> None:
        world = await assessment.world()
        draft = await _draft(assessment, client, world)
        bomb = archives.overlapping_entries(201_629)  # 10 MiB of central directory
        loop = asyncio.get_running_loop()
        latencies: list[float] = []

        async with served(assessment.app) as http:

            async def hostile_upload() -> tuple[Response, float]:
                started = loop.time()
                response = await http.post(
                    f"{API}/submissions/{draft}/files",
                    files={"file": ("work.zip", bomb, "application/zip")},
                    headers=world.learner.headers,
                )
                return response, loop.time() - started

            async def probe_until(done: asyncio.Task[tuple[Response, float]]) -> None:
                while not done.done():
                    started = loop.time()
                    answer = await http.get("/healthz")
                    latencies.append(loop.time() - started)
                    assert answer.status_code == 200

            upload = asyncio.create_task(hostile_upload())
            await asyncio.gather(upload, probe_until(upload))
        response, upload_seconds = upload.result()

        assert upload_seconds > 0.2  # the inspection really ran while healthz was probed
        assert len(latencies) >= 3
        assert max(latencies) < 0.2, (max(latencies), upload_seconds)
        assert response.status_code == 422, response.text
        # Refused either way: on a loaded machine the (lower-priority) walk may hit its time
        # budget before it reaches the overlap.
        reason = response.json()["error"]["details"]["reason"]
        assert reason in {"overlapping_entries", "inspection_timeout"}


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(archives.overlapping_entries(201_629), "too_many_entries", id="entries"),
        pytest.param(archives.high_ratio(32), "compression_ratio", id="ratio"),
        pytest.param(archives.declared_huge(), "too_large_expanded", id="declared-size"),
        pytest.param(archives.nested(3), "nested_too_deep", id="nested"),
    ],
)
async def test_archive_bombs_are_a_422_envelope_and_nothing_is_stored(
    assessment: AssessmentFactory,
    client: AsyncClient,
    data_dir: Path,
    data: bytes,
    reason: str,
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world)
    refused = await assessment.upload(world.learner, draft, "work.zip", data)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["code"] == "archive_refused"
    assert error["details"]["reason"] == reason
    assert error["message"]
    assert _files_under(data_dir / "files") == []
    submission = ok(await client.get(f"{API}/submissions/{draft}", headers=world.learner.headers))
    assert submission["files"] == []


async def test_refused_uploads_are_rate_limited_per_user(
    assessment: AssessmentFactory, client: AsyncClient, data_dir: Path
) -> None:
    world = await assessment.world()
    draft = await _draft(assessment, client, world)
    limit = assessment.app.state.settings.upload_refusals_per_hour
    for _ in range(limit):
        refused = await assessment.upload(world.learner, draft, "page.pdf", HTML)
        assert refused.status_code == 415, refused.text
    over = await assessment.upload(world.learner, draft, "page.pdf", HTML)
    assert over.status_code == 429, over.text
    assert over.json()["error"]["code"] == "rate_limited"
    assert int(over.headers["retry-after"]) > 0
    # Over the limit nothing more of this user's is inspected or stored, even a valid file...
    valid = await assessment.upload(world.learner, draft, "report.pdf", PDF)
    assert valid.status_code == 429
    assert _files_under(data_dir / "files") == []
    # ...while other users upload as usual.
    other = await assessment.assignment(world, allowedFileTypes=["pdf"])
    url = f"{API}/assignments/{other['id']}/submissions"
    their_draft = ok(await client.post(url, json={}, headers=world.other_learner.headers), 201)
    accepted = await assessment.upload(world.other_learner, their_draft["id"], "report.pdf", PDF)
    assert accepted.status_code == 201, accepted.text
