"""Uploaded files nothing references (a transaction that failed after the file was written, a
write cut short, a row whose submission is gone) are deleted by the sweep job once older than
the grace period; referenced and recent files, and anything not named like ours, stay."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.assessment import events
from campus.assessment.models import StoredFile
from campus.assessment.service import storage
from campus.kernel.clock import clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import enqueue_job
from campus.kernel.storage import LocalFileStorage
from tests.fixtures.assessment import API, AssessmentFactory
from tests.fixtures.catalog import ok

PDF = b"%PDF-1.7\n" + b"0" * 200 + b"\n%%EOF\n"


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._buffer = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._buffer.read(size)


async def _written_without_row(files: LocalFileStorage) -> Path:
    """A file as an upload leaves it when its transaction fails after the write."""
    stored = await storage.store(
        files, _Bytes(PDF), max_bytes=10_000, allowed=frozenset({"pdf"}), client_name="a.pdf"
    )
    return storage.path_for(files, stored.id)


async def _sweep(db: Database, relay: Relay) -> None:
    async with db.session() as session:
        await enqueue_job(session, events.SWEEP_UPLOADS_JOB, {})
    await relay.drain()


async def test_the_sweep_deletes_unreferenced_uploads_after_the_grace_and_keeps_the_rest(
    assessment: AssessmentFactory,
    client: AsyncClient,
    relay: Relay,
    db: Database,
    app: FastAPI,
) -> None:
    files: LocalFileStorage = app.state.storage
    world = await assessment.world()
    clock.freeze()
    work = await assessment.assignment(world)
    draft = ok(
        await client.post(
            f"{API}/assignments/{work['id']}/submissions", json={}, headers=world.learner.headers
        ),
        201,
    )
    uploaded = ok(await assessment.upload(world.learner, draft["id"], "kept.pdf", PDF), 201)
    kept = storage.path_for(files, uuid.UUID(uploaded["files"][0]["id"]))
    orphan = await _written_without_row(files)
    recent_orphan = await _written_without_row(files)
    # A row whose submission no longer exists (its file goes, and the row too).
    dangling = await _written_without_row(files)
    dangling_id = uuid.UUID(hex=dangling.name)
    async with db.session() as session:
        session.add(
            StoredFile(
                id=dangling_id,
                owner_type="submission",
                owner_id=uuid.uuid4(),
                assignment_id=uuid.UUID(work["id"]),
                course_id=uuid.UUID(world.course_id),
                uploaded_by=world.learner.id,
                name="gone.pdf",
                content_type="application/pdf",
                size_bytes=len(PDF),
                sha256="0" * 64,
            )
        )
    temporary = orphan.parent / f".tmp-{uuid.uuid4().hex}"
    temporary.write_bytes(b"half a file")
    root = storage.area_root(files)
    foreign = [root / "notes.txt", orphan.parent / "not-an-id"]
    for path in foreign:
        path.write_bytes(b"not ours")

    await _sweep(db, relay)  # everything is younger than the grace period
    assert all(p.exists() for p in (kept, orphan, recent_orphan, dangling, temporary))

    later = clock.advance(hours=25)
    recent = (later - timedelta(hours=1)).timestamp()
    os.utime(recent_orphan, (recent, recent))
    await _sweep(db, relay)
    assert not orphan.exists()
    assert not temporary.exists()
    assert not dangling.exists()
    assert kept.exists()
    assert recent_orphan.exists()
    assert all(p.exists() for p in foreign)
    async with db.read_session() as session:
        rows = set(await session.scalars(sa.select(StoredFile.id)))
    assert rows == {uuid.UUID(uploaded["files"][0]["id"])}

    clock.advance(hours=24)  # the recent orphan's turn; the referenced file stays for good
    await _sweep(db, relay)
    assert not recent_orphan.exists()
    assert kept.exists()


def test_the_sweep_is_a_periodic_job(relay: Relay) -> None:
    assert relay.registry.schedules[events.SWEEP_UPLOADS_JOB] == timedelta(hours=6)
