"""File storage: the embedded default keeps files in a local directory and serves them through
short-lived signed URLs (ARCHITECTURE.md §1).

Contexts store files in an *area* of their own (``assessment``, later ``media``...):
``<data_dir>/files/<area>/<id[:2]>/<id hex>``.

* names on disk are server-generated ids only; the client's file name is sanitised
  (``safe_name``) and kept by the caller for display and ``Content-Disposition``, never used as
  a path;
* the type is detected from the content (magic bytes), never from the name or a header;
  markup-looking text (HTML, SVG, XML; after any byte-order mark) is refused whatever it is
  called, and a markup or script name (``.html``, ``.svg``, ``.js``...) whatever it holds;
* archives are inspected within bounds (entries, expanded size, ratio, nesting, time) by
  ``campus.kernel.inspection``, in a worker process: the event loop never waits for it;
* the size is counted while streaming; one byte over the limit stops the copy (413);
* writes go to a temporary file in the target directory, are ``fsync``-ed and renamed into
  place, so a crash never leaves a half-written file under a real id;
* a signed URL names the area, the id, the download name and type and an expiry, with an
  HMAC-SHA256 of all of them under the app's secret key: it cannot be altered or extended.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import os
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Protocol
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import FileResponse

from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound, PayloadTooLarge, UnsupportedMediaType
from campus.kernel.http import api_router
from campus.kernel.inspection import ArchiveRefused, InspectionLimits, detect, detect_off_loop
from campus.kernel.ratelimit import RateLimiter
from campus.kernel.schemas import error_responses

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
#: Names browsers would render or run: refused whatever the file holds.
ACTIVE_EXTENSIONS = frozenset(
    {".html", ".htm", ".xhtml", ".xht", ".shtml", ".svg", ".svgz", ".xml", ".xsl", ".xslt",
     ".js", ".mjs", ".hta"}
)  # fmt: skip
#: Rate limit scope of uploads the storage refused (see ``refusals_limited``).
REFUSED_SCOPE = "uploads-refused"
_AREA = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_NON_TEXT_EXTENSIONS = frozenset(
    ext for kind, (_, exts) in FILE_TYPES.items() if kind != "text" for ext in exts
)


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    message = "The file is larger than allowed here."


class FileTypeNotAllowed(UnsupportedMediaType):
    code = "file_type_not_allowed"
    message = "The file's content is not of a type accepted here."


__all__ = [
    "ACTIVE_EXTENSIONS",
    "FILE_TYPES",
    "ArchiveRefused",
    "FileTooLarge",
    "FileTypeNotAllowed",
    "InspectionLimits",
    "LocalFileStorage",
    "Readable",
    "StoredFile",
    "detect_file",
    "local_storage",
    "refusals_limited",
    "safe_name",
]


class Readable(Protocol):
    async def read(self, size: int = -1) -> bytes: ...


@dataclass(frozen=True, slots=True)
class StoredFile:
    id: uuid.UUID
    size: int
    sha256: str
    file_type: str
    content_type: str


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


def detect_file(path: Path, limits: InspectionLimits | None = None) -> str | None:
    """The file type by content (a ``FILE_TYPES`` key), or ``None`` when unknown or unsafe;
    ``ArchiveRefused`` for an archive over ``limits``. Blocking: run it in a thread."""
    with path.open("rb") as handle:
        return detect(handle, limits or InspectionLimits())


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _place(temp: Path, target: Path) -> None:
    """Blocking: make the checked file durable under its id."""
    with temp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temp, target)
    _fsync_dir(target.parent)


def _check_type(file_type: str | None, allowed: frozenset[str], client_name: str) -> str:
    if file_type is None or file_type not in allowed:
        raise FileTypeNotAllowed(details={"allowed": sorted(allowed)})
    extension = os.path.splitext(client_name.rstrip(". "))[1].lower()
    if extension in ACTIVE_EXTENSIONS:
        raise FileTypeNotAllowed(
            "The file's name is of a kind that is not accepted (markup or script).",
            details={"allowed": sorted(allowed)},
        )
    if file_type == "text":
        contradicts = extension in _NON_TEXT_EXTENSIONS
    else:
        contradicts = bool(extension) and extension not in FILE_TYPES[file_type][1]
    if contradicts:
        raise FileTypeNotAllowed(
            "The file's name does not match its content.", details={"allowed": sorted(allowed)}
        )
    return file_type


class LocalFileStorage:
    """Files under ``root`` (``<data_dir>/files``), downloads through signed URLs."""

    def __init__(
        self,
        root: Path,
        secret: bytes,
        *,
        url_prefix: str = "/files",
        inspection: InspectionLimits | None = None,
    ) -> None:
        self.root = root.resolve()
        self._secret = secret
        self.url_prefix = url_prefix
        self.inspection = inspection or InspectionLimits()

    # ------------------------------------------------------------------ layout

    def area_root(self, area: str) -> Path:
        if not _AREA.fullmatch(area):
            raise ValueError(f"invalid storage area {area!r}")
        return self.root / area

    def path(self, area: str, file_id: uuid.UUID) -> Path:
        name = file_id.hex
        return self.area_root(area) / name[:2] / name

    # ------------------------------------------------------------------ writing

    async def save(
        self,
        area: str,
        upload: Readable,
        *,
        max_bytes: int,
        allowed: frozenset[str],
        client_name: str,
    ) -> StoredFile:
        """Stream ``upload`` to disk under a new id; 413 over ``max_bytes``, 415 for a type not
        in ``allowed`` or a name whose extension contradicts the content (or names markup),
        422 (``ArchiveRefused``) for an archive over the inspection limits. The content checks
        run in a worker process, the ``fsync`` and rename in a thread."""
        file_id = uuid.uuid4()
        target = self.path(area, file_id)
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
            file_type = _check_type(
                await detect_off_loop(temp, self.inspection), allowed, client_name
            )
            await asyncio.to_thread(_place, temp, target)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        return StoredFile(file_id, size, digest.hexdigest(), file_type, FILE_TYPES[file_type][0])

    def delete(self, area: str, file_id: uuid.UUID) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(area, file_id).unlink()

    # ------------------------------------------------------------------ reading

    def open(self, area: str, file_id: uuid.UUID) -> IO[bytes] | None:
        try:
            return self.path(area, file_id).open("rb")
        except FileNotFoundError:
            return None

    def _old_entries(self, area: str, cutoff: datetime) -> Iterator[os.DirEntry[str]]:
        base = self.area_root(area)
        if not base.is_dir():
            return
        limit = cutoff.timestamp()
        for shard in os.scandir(base):
            if len(shard.name) != 2 or not shard.is_dir(follow_symlinks=False):
                continue
            for entry in os.scandir(shard.path):
                try:
                    if entry.is_file(follow_symlinks=False) and (
                        entry.stat(follow_symlinks=False).st_mtime < limit
                    ):
                        yield entry
                except OSError:  # removed meanwhile
                    continue

    def stored_before(self, area: str, cutoff: datetime) -> Iterator[uuid.UUID]:
        """The id of every file of ``area`` last written before ``cutoff`` (for sweeps of files
        nothing references). Anything not named like a stored file is left out."""
        for entry in self._old_entries(area, cutoff):
            try:
                file_id = uuid.UUID(hex=entry.name)
            except ValueError:
                continue
            if file_id.hex == entry.name and entry.name[:2] == Path(entry.path).parent.name:
                yield file_id

    def delete_partial_writes(self, area: str, cutoff: datetime) -> int:
        """Delete temporary files of writes cut short (a crash mid-upload) started before
        ``cutoff``; returns how many. Writes in progress are younger than any sane cutoff."""
        removed = 0
        for entry in self._old_entries(area, cutoff):
            if entry.name.startswith(".tmp-"):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
                    removed += 1
        return removed

    # ------------------------------------------------------------------ signed URLs

    def _signature(self, area: str, file_id: uuid.UUID, name: str, kind: str, exp: int) -> str:
        message = "\n".join((area, file_id.hex, name, kind, str(exp))).encode()
        mac = hmac.new(self._secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).decode().rstrip("=")

    def signed_url(
        self,
        area: str,
        file_id: uuid.UUID,
        *,
        download_name: str,
        file_type: str,
        expires_at: datetime,
    ) -> str:
        """A URL anyone holding it may download the file with until ``expires_at``."""
        name = safe_name(download_name)
        exp = int(expires_at.timestamp())
        query = urlencode(
            {
                "name": name,
                "type": file_type,
                "exp": exp,
                "sig": self._signature(area, file_id, name, file_type, exp),
            }
        )
        return f"{self.url_prefix}/{area}/{file_id.hex}?{query}"

    def verify(
        self, area: str, file_id: uuid.UUID, name: str, file_type: str, exp: int, sig: str
    ) -> bool:
        if exp < utcnow().timestamp():
            return False
        expected = self._signature(area, file_id, name, file_type, exp)
        return hmac.compare_digest(expected.encode(), sig.encode())


def local_storage(settings: Settings) -> LocalFileStorage:
    """The storage of these settings: ``<data_dir>/files``, URLs signed with the secret key,
    uploads inspected within the ``CAMPUS_UPLOAD_ARCHIVE_*`` limits."""
    return LocalFileStorage(
        settings.data_dir / "files",
        settings.secret_key.get_secret_value().encode(),
        inspection=InspectionLimits(
            max_entries=settings.upload_archive_max_entries,
            max_expanded_bytes=settings.upload_archive_max_expanded_bytes,
            max_ratio=settings.upload_archive_max_ratio,
            max_depth=settings.upload_archive_max_depth,
            seconds=settings.upload_inspection_seconds,
        ),
    )


@contextlib.asynccontextmanager
async def refusals_limited(limiter: RateLimiter, key: str, per_hour: int) -> AsyncIterator[None]:
    """Around a ``save``: an upload refused for its size or content counts one hit against
    ``key`` (a user id) in ``REFUSED_SCOPE``; once ``per_hour`` are spent every upload of that
    key is a 429 before its body is inspected, so a refused upload cannot be retried forever::

        async with refusals_limited(request.app.state.limiter, str(user_id), 20):
            stored = await storage.save(...)
    """
    limit = f"{per_hour}/hour"
    await limiter.check(REFUSED_SCOPE, key, limit)
    try:
        yield
    except (PayloadTooLarge, UnsupportedMediaType, ArchiveRefused):
        await limiter.hit(REFUSED_SCOPE, key, limit)
        raise


# --------------------------------------------------------------------------- downloads

router = api_router(tags=["operations"])


@router.get(
    "/files/{area}/{file_hex}",
    summary="Download a file through a signed URL (issued by the API, short-lived)",
    response_class=FileResponse,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        **error_responses(
            {404: "The link is invalid, has expired or its file is gone", 422: "Malformed link"},
            404,
            422,
        ),
    },
)
async def download(
    request: Request,
    area: str,
    file_hex: str,
    name: Annotated[str, Query(max_length=200)],
    kind: Annotated[str, Query(alias="type", max_length=20)],
    exp: Annotated[int, Query(ge=0, le=2**40)],
    sig: Annotated[str, Query(max_length=64)],
) -> FileResponse:
    storage: LocalFileStorage = request.app.state.storage
    try:
        file_id = uuid.UUID(hex=file_hex)
        valid = (
            kind in FILE_TYPES
            and file_id.hex == file_hex
            and storage.verify(area, file_id, name, kind, exp, sig)
        )
        path = storage.path(area, file_id)
    except ValueError:
        valid = False
    # One answer for a bad signature, an expired link and a missing file: nothing to probe.
    if not valid or not path.is_file():
        raise NotFound("This link is invalid or has expired.")
    return FileResponse(
        path,
        media_type=FILE_TYPES[kind][0],
        filename=name,
        headers={
            "Cache-Control": "private, max-age=60",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
        },
    )
