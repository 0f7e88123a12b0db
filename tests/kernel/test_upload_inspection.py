"""Upload content inspection (UP-03, UP-05): archives are bounded in entries, expanded size,
compression ratio, nesting and time, and checked by expanding them with flat memory; markup is
refused after a byte-order mark and by name."""

from __future__ import annotations

import codecs
import io
from pathlib import Path

import pytest

from campus.kernel.storage import (
    ArchiveRefused,
    FileTypeNotAllowed,
    InspectionLimits,
    LocalFileStorage,
    StoredFile,
)
from tests.fixtures import archives

AREA = "kernel-test"
EVERYTHING = frozenset({"pdf", "zip", "png", "jpeg", "text", "docx"})


class Upload:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def storage_at(tmp_path: Path, **limits: object) -> LocalFileStorage:
    return LocalFileStorage(
        tmp_path / "files",
        b"secret",
        inspection=InspectionLimits(**limits),  # type: ignore[arg-type]
    )


async def save(storage: LocalFileStorage, data: bytes, name: str) -> StoredFile:
    return await storage.save(
        AREA, Upload(data), max_bytes=30 * 1_048_576, allowed=EVERYTHING, client_name=name
    )


def stored_files(storage: LocalFileStorage) -> list[Path]:
    root = storage.area_root(AREA)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(archives.overlapping_entries(201_629), "too_many_entries", id="many-entries"),
        pytest.param(archives.many_small_files(10_001), "too_many_entries", id="10001-files"),
        pytest.param(archives.declared_huge(), "too_large_expanded", id="declared-1TiB"),
        pytest.param(archives.high_ratio(32), "compression_ratio", id="ratio-1000"),
        pytest.param(archives.understated(), "sizes_do_not_match", id="lying-size"),
        pytest.param(archives.nested(3), "nested_too_deep", id="nested-3"),
        pytest.param(archives.nested(2, archives.high_ratio(8)), "nested_too_deep", id="42-like"),
        pytest.param(archives.overlapping_entries(3), "overlapping_entries", id="overlap"),
        pytest.param(archives.symlink_entry(), "unsafe_entry", id="symlink"),
        pytest.param(archives.archive({"../../etc/cron.d/x": b"x"}), "unsafe_entry", id="dotdot"),
        pytest.param(archives.archive({"/etc/passwd": b"x"}), "unsafe_entry", id="absolute"),
    ],
)
async def test_hostile_archives_are_refused_with_a_reason_and_nothing_is_stored(
    tmp_path: Path, data: bytes, reason: str
) -> None:
    storage = storage_at(tmp_path)
    with pytest.raises(ArchiveRefused) as refused:
        await save(storage, data, "work.zip")
    assert refused.value.status_code == 422
    assert refused.value.code == "archive_refused"
    assert refused.value.details["reason"] == reason
    assert stored_files(storage) == []


async def test_a_total_expanded_size_over_the_budget_is_refused_even_at_a_modest_ratio(
    tmp_path: Path,
) -> None:
    storage = storage_at(tmp_path, max_expanded_bytes=1_048_576)
    data = archives.archive({f"{i}.bin": bytes(range(256)) * 1024 for i in range(5)})
    with pytest.raises(ArchiveRefused) as refused:
        await save(storage, data, "work.zip")
    assert refused.value.details["reason"] == "too_large_expanded"


async def test_the_time_budget_stops_a_slow_inspection(tmp_path: Path) -> None:
    storage = storage_at(tmp_path, max_entries=10_000_000, seconds=0.0)
    with pytest.raises(ArchiveRefused) as refused:
        await save(storage, archives.many_small_files(5_000), "work.zip")
    assert refused.value.details["reason"] == "inspection_timeout"
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    ("data", "name", "file_type"),
    [
        (archives.many_small_files(2_000), "work.zip", "zip"),
        (archives.nested(1, archives.docx()), "work.zip", "zip"),
        (archives.archive({"src/main.py": b"print('hi')\n" * 5_000}), "src.zip", "zip"),
        (archives.archive({"a.txt": b"a"}, compression=0), "stored.zip", "zip"),
        (archives.docx(), "essay.docx", "docx"),
    ],
)
async def test_ordinary_archives_are_accepted(
    tmp_path: Path, data: bytes, name: str, file_type: str
) -> None:
    storage = storage_at(tmp_path)
    stored = await save(storage, data, name)
    assert stored.file_type == file_type
    assert stored_files(storage) == [storage.path(AREA, stored.id)]


MARKUP = "<html><body><script>alert(1)</script></body></html>"


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF8 + MARKUP.encode(),
        codecs.BOM_UTF8 + b"\r\n  <svg onload=alert(1)>",
        codecs.BOM_UTF8 + codecs.BOM_UTF8 + b"<script>alert(1)</script>",
        codecs.BOM_UTF8 + b"<!-- note --><p>hi</p>",
        codecs.BOM_UTF16_LE + MARKUP.encode("utf-16-le"),
        codecs.BOM_UTF16_BE + MARKUP.encode("utf-16-be"),
        b"<p onclick=alert(1)>text</p>",
        b"<a href=javascript:alert(1)>x</a>",
    ],
    ids=["utf8", "utf8-svg", "two-boms", "comment", "utf16le", "utf16be", "p-tag", "a-tag"],
)
async def test_markup_is_refused_after_a_byte_order_mark(tmp_path: Path, data: bytes) -> None:
    storage = storage_at(tmp_path)
    with pytest.raises(FileTypeNotAllowed):
        await save(storage, data, "notes.txt")
    assert stored_files(storage) == []


@pytest.mark.parametrize(
    "name",
    ["page.html", "page.htm", "logo.svg", "page.xhtml", "app.js", "PAGE.HTML", "page.html. "],
)
async def test_markup_and_script_names_are_refused_even_for_plain_text(
    tmp_path: Path, name: str
) -> None:
    storage = storage_at(tmp_path)
    with pytest.raises(FileTypeNotAllowed) as refused:
        await save(storage, b"just some words\n", name)
    assert "name" in refused.value.message
    assert stored_files(storage) == []


async def test_plain_text_with_a_utf8_byte_order_mark_is_still_text(tmp_path: Path) -> None:
    storage = storage_at(tmp_path)
    stored = await save(storage, codecs.BOM_UTF8 + b"a < b and b > c\n", "notes.txt")
    assert stored.file_type == "text"
