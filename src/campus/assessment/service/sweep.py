"""Sweeping uploaded files nothing references.

A file is written to disk before the row that records it (``service.storage.store``, then the
row in the request's transaction). When that transaction fails or the process dies in between,
the file stays on disk with no row; a ``.tmp-*`` file stays when a write was cut short. The
sweep deletes, once they are older than the grace period (by the file's modification time, so
a file whose transaction is still running is never touched):

* files under the storage root named by an id that no ``assessment_files`` row records;
* files whose row belongs to a submission or assignment that no longer exists (the row goes
  too);
* leftover temporary files.

It runs as the job ``assessment.sweep_orphan_uploads`` (periodically), in batches of
``BATCH`` files per query, and deletes files only after their rows are gone from this
transaction's point of view: a row deleted here and rolled back leaves at worst a row without
a file (downloads answer 404), never a live submission's file deleted while its row stays.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.repository import assignments as repo
from campus.assessment.service import storage
from campus.kernel.clock import utcnow
from campus.kernel.logging import get_logger
from campus.kernel.storage import LocalFileStorage

log = get_logger("campus.assessment.sweep")

GRACE = timedelta(hours=24)
BATCH = 500


@dataclass(frozen=True, slots=True)
class SweepResult:
    files_deleted: int
    rows_deleted: int


def _remove(files: LocalFileStorage, file_ids: list[uuid.UUID]) -> int:
    for file_id in file_ids:
        storage.remove(files, file_id)
    return len(file_ids)


async def sweep_orphan_uploads(
    session: AsyncSession, files: LocalFileStorage, *, grace: timedelta = GRACE
) -> SweepResult:
    """Delete unreferenced uploads older than ``grace`` (the job's body)."""
    cutoff = utcnow() - grace
    old = await asyncio.to_thread(storage.written_before, files, cutoff)
    files_deleted = await asyncio.to_thread(storage.delete_partial_writes, files, cutoff)
    rows_deleted = 0
    for start in range(0, len(old), BATCH):
        batch = old[start : start + BATCH]
        owners = await repo.file_owners(session, batch)
        alive = await repo.existing_owner_ids(
            session,
            {o for kind, o in owners.values() if kind == "submission"},
            {o for kind, o in owners.values() if kind != "submission"},
        )
        dangling = [f for f, (_, owner) in owners.items() if owner not in alive]
        await repo.delete_file_rows(session, dangling)
        rows_deleted += len(dangling)
        orphans = [f for f in batch if f not in owners or f in dangling]
        files_deleted += await asyncio.to_thread(_remove, files, orphans)
    if files_deleted or rows_deleted:
        log.info("orphan_uploads_swept", files=files_deleted, rows=rows_deleted)
    return SweepResult(files_deleted, rows_deleted)
