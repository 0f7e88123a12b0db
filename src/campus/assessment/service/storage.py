"""Files on local disk: ``<data_dir>/files/assessment/<id[:2]>/<id>``.

* names on disk are server-generated ids only; the client's file name is sanitised and kept in
  the database for display and the download's ``Content-Disposition``, never used as a path;
* the type is detected from the content (magic bytes), never from the name or the header;
  HTML-looking text is refused whatever it is called;
* writes go to a temporary file in the target directory and are renamed into place after
  ``fsync`` (atomic: a crash never leaves a half-written file under a real id);
* the size is counted while streaming; one byte over the limit stops the copy (413).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from campus.assessment.exceptions import FileTooLarge, FileTypeNotAllowed

CHUNK = 64 * 1024

#: File type -> (MIME type, extensions a client name may carry for it).
FILE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "pdf": ("application/pdf", (".pdf",)),
    "zip": ("application/zip", (".zip",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "text": ("text/plain", (".txt", ".md", ".py", ".csv", ".json", ".log", "")),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (".docx",),
    ),
}
_MARKUP = re.compile(rb"^\s*(<!doctype|<html|<head|<body|<script|<svg|<\?xml|<iframe|<meta)", re.I)


class Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class Stored:
    id: uuid.UUID
    size: int
    sha256: str
    file_type: str
    content_type: str


def storage_root(data_dir: Path) -> Path:
    return (data_dir / "files" / "assessment").resolve()


def path_for(data_dir: Path, file_id: uuid.UUID) -> Path:
    name = file_id.hex
    return storage_root(data_dir) / name[:2] / name


def safe_name(raw: str | None) -> str:
    """A display name: the last path component, no control characters, at most 120 chars."""
    value = unicodedata.normalize("NFC", raw or "")
    value = value.replace("\\", "/").rsplit("/", 1)[-1]
    value = "".join(ch for ch in value if ch.isprintable() and ch not in '\x00"<>|:*?')
    value = value.strip().lstrip(".")
    if not value:
        return "file"
    if len(value) > 120:
        stem, dot, ext = value.rpartition(".")
        value = (stem[:110] + dot + ext[:9]) if dot and len(ext) <= 9 else value[:120]
    return value


def detect(path: Path) -> str | None:
    """The file type by content (``FILE_TYPES`` key), or ``None`` when unknown/unsafe."""
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as archive:  # reads the central directory only
                names = set(archive.namelist()[:10_000])
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
            return "docx"
        return "zip"
    if b"\x00" in head or _MARKUP.match(head):
        return None
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(CHUNK), b""):
                chunk.decode("utf-8")  # multi-byte splits are rare; refused conservatively
    except UnicodeDecodeError:
        return None
    return "text"


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


async def store(
    data_dir: Path,
    upload: Readable,
    *,
    max_bytes: int,
    allowed: frozenset[str],
    client_name: str,
) -> Stored:
    """Stream ``upload`` to disk under a new id; 413 over ``max_bytes``, 415 for a type not in
    ``allowed`` (or a name whose extension contradicts the content)."""
    file_id = uuid.uuid4()
    target = path_for(data_dir, file_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".tmp-{uuid.uuid4().hex}"
    digest = hashlib.sha256()
    size = 0
    try:
        with temp.open("xb") as out:
            while chunk := await upload.read(CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(details={"maxBytes": max_bytes})
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        file_type = detect(temp)
        if file_type is None or file_type not in allowed:
            raise FileTypeNotAllowed(details={"allowed": sorted(allowed)})
        extension = os.path.splitext(client_name)[1].lower()
        if extension and extension not in FILE_TYPES[file_type][1] and file_type != "text":
            raise FileTypeNotAllowed(
                "The file's name does not match its content.",
                details={"allowed": sorted(allowed)},
            )
        if file_type == "text" and extension in {
            e for t, (_, exts) in FILE_TYPES.items() if t != "text" for e in exts
        }:
            raise FileTypeNotAllowed(
                "The file's name does not match its content.",
                details={"allowed": sorted(allowed)},
            )
        os.replace(temp, target)
        _fsync_dir(target.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return Stored(file_id, size, digest.hexdigest(), file_type, FILE_TYPES[file_type][0])


def remove(data_dir: Path, file_id: uuid.UUID) -> None:
    with contextlib.suppress(FileNotFoundError):
        path_for(data_dir, file_id).unlink()


def open_for_download(data_dir: Path, file_id: uuid.UUID) -> IO[bytes] | None:
    path = path_for(data_dir, file_id)
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None
