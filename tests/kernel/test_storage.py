"""The kernel's file storage: content-checked streaming writes under server-made names, and
downloads only through signed URLs that cannot be altered, extended or reused after expiry."""

from __future__ import annotations

import io
import os
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from campus.kernel.clock import Clock, clock
from campus.kernel.storage import (
    FileTooLarge,
    FileTypeNotAllowed,
    LocalFileStorage,
    StoredFile,
    safe_name,
)

PDF = b"%PDF-1.4\n" + b"x" * 2000
AREA = "kernel-test"


class Upload:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def storage_of(app: FastAPI) -> LocalFileStorage:
    storage: LocalFileStorage = app.state.storage
    return storage


async def save(
    storage: LocalFileStorage, data: bytes, name: str = "notes.pdf", max_bytes: int = 10_000
) -> StoredFile:
    return await storage.save(
        AREA,
        Upload(data),
        max_bytes=max_bytes,
        allowed=frozenset({"pdf", "text", "png"}),
        client_name=name,
    )


def area_files(storage: LocalFileStorage) -> list[Path]:
    root = storage.area_root(AREA)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_a_saved_file_is_stored_under_its_id_with_type_size_and_digest(app: FastAPI) -> None:
    storage = storage_of(app)
    stored = await save(storage, PDF)

    assert (stored.file_type, stored.content_type, stored.size) == ("pdf", "application/pdf", 2009)
    assert area_files(storage) == [storage.path(AREA, stored.id)]
    handle = storage.open(AREA, stored.id)
    assert handle is not None
    with handle:
        assert handle.read() == PDF
    storage.delete(AREA, stored.id)
    assert storage.open(AREA, stored.id) is None


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (PDF, "notes.pdf", FileTooLarge),  # one byte over the limit below
        (b"<html><script>alert(1)</script></html>", "notes.txt", FileTypeNotAllowed),
        (b"  <svg onload=alert(1)>", "picture.png", FileTypeNotAllowed),
        (b"\x00\x01binary", "notes.txt", FileTypeNotAllowed),
        (b"PK\x05\x06" + b"\x00" * 18, "archive.zip", FileTypeNotAllowed),  # zip not allowed
        (PDF, "notes.png", FileTypeNotAllowed),  # name contradicts content
        (b"plain text", "notes.pdf", FileTypeNotAllowed),
    ],
)
async def test_refused_files_leave_nothing_on_disk(
    app: FastAPI, data: bytes, name: str, error: type[Exception]
) -> None:
    storage = storage_of(app)
    limit = len(PDF) - 1 if error is FileTooLarge else 10_000
    with pytest.raises(error):
        await save(storage, data, name, max_bytes=limit)
    assert area_files(storage) == []


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system.ini", "system.ini"),
        ("report\x00.pdf", "report.pdf"),
        ('a"<b>|c:d*e?.txt', "abcde.txt"),
        ("...hidden", "hidden"),
        ("", "file"),
        (None, "file"),
        ("x" * 300 + ".pdf", "x" * 110 + ".pdf"),
    ],
)
def test_client_file_names_are_reduced_to_a_harmless_display_name(
    raw: str | None, expected: str
) -> None:
    assert safe_name(raw) == expected


def test_areas_are_plain_names(app: FastAPI) -> None:
    storage = storage_of(app)
    for area in ("../etc", "a/b", "", "A", "x" * 40):
        with pytest.raises(ValueError, match="invalid storage area"):
            storage.area_root(area)


async def test_sweeps_see_only_old_stored_files_and_delete_only_old_partial_writes(
    app: FastAPI, frozen_clock: Clock
) -> None:
    storage = storage_of(app)
    old, new = await save(storage, PDF), await save(storage, PDF)
    old_path = storage.path(AREA, old.id)
    two_days_ago = (clock.now() - timedelta(days=2)).timestamp()
    old_partial = old_path.parent / f".tmp-{uuid.uuid4().hex}"
    new_partial = old_path.parent / f".tmp-{uuid.uuid4().hex}"
    foreign = old_path.parent / "notes.txt"
    for path in (old_partial, new_partial, foreign):
        path.write_bytes(b"x")
    for path in (old_path, old_partial, foreign):
        os.utime(path, (two_days_ago, two_days_ago))
    cutoff = clock.now() - timedelta(days=1)

    assert list(storage.stored_before(AREA, cutoff)) == [old.id]
    assert storage.delete_partial_writes(AREA, cutoff) == 1

    assert not old_partial.exists()
    assert all(p.exists() for p in (new_partial, foreign, old_path))
    assert new.id != old.id


# --------------------------------------------------------------------------- signed downloads


async def signed(app: FastAPI, minutes: int = 5) -> tuple[StoredFile, str]:
    storage = storage_of(app)
    stored = await save(storage, PDF)
    url = storage.signed_url(
        AREA,
        stored.id,
        download_name="../Week 1 notes.pdf",
        file_type=stored.file_type,
        expires_at=clock.now() + timedelta(minutes=minutes),
    )
    return stored, url


async def test_a_signed_url_downloads_the_file_as_an_attachment(
    app: FastAPI, client: AsyncClient
) -> None:
    _, url = await signed(app)

    response = await client.get(url)

    assert response.status_code == 200
    assert response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    disposition = response.headers["content-disposition"]
    assert disposition == "attachment; filename*=utf-8''Week%201%20notes.pdf"
    assert response.headers["x-content-type-options"] == "nosniff"


def tampered(url: str, **changes: str) -> str:
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query.update(changes)
    return f"{parts.path}?{urlencode(query)}"


async def test_an_altered_signed_url_is_a_404(app: FastAPI, client: AsyncClient) -> None:
    stored, url = await signed(app)
    path = urlsplit(url).path
    variants = [
        tampered(url, name="evil.html"),
        tampered(url, type="text"),
        tampered(url, exp=str(int(clock.now().timestamp()) + 10**6)),
        tampered(url, sig="A" * 43),
        tampered(url).replace(stored.id.hex, uuid.uuid4().hex),
        tampered(url).replace(f"/{AREA}/", "/assessment/"),
        tampered(url).replace(path, path.upper()),
        tampered(url).replace(f"/{AREA}/", "/..%2F..%2Fetc/"),
    ]
    for variant in variants:
        response = await client.get(variant)
        assert response.status_code == 404, variant
        assert response.json()["success"] is False


async def test_a_signed_url_stops_working_when_it_expires(
    app: FastAPI, client: AsyncClient, frozen_clock: Clock
) -> None:
    _, url = await signed(app, minutes=5)
    assert (await client.get(url)).status_code == 200

    clock.advance(minutes=5, seconds=1)

    assert (await client.get(url)).status_code == 404


async def test_a_signed_url_of_a_deleted_file_is_a_404(app: FastAPI, client: AsyncClient) -> None:
    stored, url = await signed(app)
    storage_of(app).delete(AREA, stored.id)

    assert (await client.get(url)).status_code == 404


async def test_a_signed_url_with_missing_or_extra_parameters_is_a_422(
    app: FastAPI, client: AsyncClient
) -> None:
    _, url = await signed(app)
    parts = urlsplit(url)

    assert (await client.get(parts.path)).status_code == 422
    assert (await client.get(f"{url}&download=1")).status_code == 422
