"""Assessment's files (assignment and exam resources, submission uploads), kept by the kernel's
storage (``campus.kernel.storage``, ADR 0020) in the ``assessment`` area:
``<data_dir>/files/assessment/<id[:2]>/<id hex>``. The content checks, size limit, atomic
write and safe display names are the kernel's; the rows that say who owns a file and who may
read it are assessment's (``assessment_files``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

from campus.assessment.exceptions import FileTooLarge, FileTypeNotAllowed
from campus.kernel import storage as kernel_storage
from campus.kernel.storage import FILE_TYPES, LocalFileStorage, Readable, StoredFile, safe_name

AREA = "assessment"

__all__ = ["AREA", "FILE_TYPES", "Readable", "remove", "safe_name", "store"]


async def store(
    files: LocalFileStorage,
    upload: Readable,
    *,
    max_bytes: int,
    allowed: frozenset[str],
    client_name: str,
) -> StoredFile:
    """Stream ``upload`` into the assessment area; 413 over ``max_bytes``, 415 for a type not in
    ``allowed`` (or a name whose extension contradicts the content), with assessment's wording."""
    try:
        return await files.save(
            AREA, upload, max_bytes=max_bytes, allowed=allowed, client_name=client_name
        )
    except kernel_storage.FileTooLarge as exc:
        raise FileTooLarge(details=exc.details) from None
    except kernel_storage.FileTypeNotAllowed as exc:
        message = exc.message if "name" in exc.message else None
        raise FileTypeNotAllowed(message, details=exc.details) from None


def path_for(files: LocalFileStorage, file_id: uuid.UUID) -> Path:
    return files.path(AREA, file_id)


def remove(files: LocalFileStorage, file_id: uuid.UUID) -> None:
    files.delete(AREA, file_id)


def area_root(files: LocalFileStorage) -> Path:
    return files.area_root(AREA)


def written_before(files: LocalFileStorage, cutoff: datetime) -> list[uuid.UUID]:
    """Stored files last written before ``cutoff`` (blocking disk work: run it in a thread)."""
    return list(files.stored_before(AREA, cutoff))


def delete_partial_writes(files: LocalFileStorage, cutoff: datetime) -> int:
    return files.delete_partial_writes(AREA, cutoff)
