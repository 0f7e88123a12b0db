"""Instructors' rosters: a page with filters and a sort whitelist, one learner's detail, a CSV
streamed in keyset chunks, and a CSV produced by a job for large courses.

Learner names and emails come from identity in one bulk call per page or chunk (no N+1), and a
name/email search is one identity query whose ids filter the page in SQL; the CSV never holds
more than one chunk in memory.
"""

from __future__ import annotations

import csv
import io
import os
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import CourseStatus
from campus.identity import api as identity
from campus.identity.data import UserSummary
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams, parse_sort
from campus.learning import policies
from campus.learning.data import JobStatus
from campus.learning.exceptions import (
    CourseNotFound,
    EnrollmentNotFound,
    ExportNotFound,
    ExportNotReady,
)
from campus.learning.models import Enrollment, RosterExport
from campus.learning.repository import enrollments as enrollment_repo
from campus.learning.repository import jobs as jobs_repo
from campus.learning.repository import reports as reports_repo
from campus.learning.repository.reports import ROSTER_SORTS, RosterFilter
from campus.learning.service import learner_reads
from campus.learning.service.conversions import roster_export, summary
from campus.learning.service.records import RosterEntry, RosterExportRecord, RosterLearner

EXPORT_JOB = "learning.roster_export"
#: What ``sort`` may name (the roster endpoint documents it).
SORT_FIELDS = tuple(ROSTER_SORTS)
DEFAULT_SORT = "-lastActivityAt"
CSV_HEADER = (
    "user_id",
    "name",
    "email",
    "status",
    "progress_percent",
    "completed_items",
    "total_items",
    "enrolled_at",
    "last_activity_at",
    "completed_at",
    "expires_at",
    "source",
    "tier",
)
#: A search keeps at most this many learners (the page filters on their ids).
_SEARCH_MAX_MATCHES = 5000


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


async def authorize(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> None:
    """Rosters are for the course's instructors and administrators: 404 for a course the caller
    cannot see, 403 for a visible (published or archived) course they do not teach."""
    course = await catalog.get_course_summary(session, course_id)
    if course is None:
        raise CourseNotFound()
    if await policies.is_course_staff(session, principal, course_id):
        return
    if course.status in (CourseStatus.PUBLISHED, CourseStatus.ARCHIVED):
        raise Forbidden(details={"action": "roster"})
    raise CourseNotFound()


def _entry(row: Enrollment, user: UserSummary | None) -> RosterEntry:
    return RosterEntry(
        enrollment=summary(row, utcnow()),
        name=None if user is None else user.display_name,
        email=None if user is None else user.email,
    )


async def _search(
    session: AsyncSession, course_id: uuid.UUID, flt: RosterFilter, text: str
) -> list[uuid.UUID]:
    """Learners to keep for a name/email search, resolved by identity in SQL (case-insensitive,
    literal characters): one query across all accounts; only when that finds more than
    ``_SEARCH_MAX_MATCHES`` accounts (a broad search on a large platform) are the course's
    learners read and searched among (two more queries). The page then filters on these ids."""
    matches = await identity.search_user_ids(session, text, limit=_SEARCH_MAX_MATCHES + 1)
    if len(matches) <= _SEARCH_MAX_MATCHES:
        return matches
    learners = await reports_repo.roster_all_user_ids(session, course_id, flt)
    return await identity.search_user_ids(session, text, among=learners, limit=_SEARCH_MAX_MATCHES)


async def roster(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    *,
    statuses: Sequence[str],
    progress_min: int | None,
    progress_max: int | None,
    search: str | None,
    sort: str | None,
    page: PageParams,
) -> tuple[list[RosterEntry], int]:
    """One page of the course's learners (filtered, searched, sorted) and how many match."""
    await authorize(session, principal, course_id)
    specs = parse_sort(sort, ROSTER_SORTS, DEFAULT_SORT)
    if progress_min is not None and progress_max is not None and progress_min > progress_max:
        raise field_error("progressMin", "progressMin cannot be above progressMax.")
    flt = RosterFilter(statuses, progress_min, progress_max)
    if search and search.strip():
        flt = RosterFilter(
            statuses, progress_min, progress_max, await _search(session, course_id, flt, search)
        )
    rows, total = await reports_repo.roster_page(
        session, course_id, flt, specs, page.offset, page.limit
    )
    users = await identity.get_user_summaries(session, {r.user_id for r in rows})
    return [_entry(r, users.get(r.user_id)) for r in rows], total


async def learner(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, user_id: uuid.UUID
) -> RosterLearner:
    """One learner of the course with their progress outline."""
    await authorize(session, principal, course_id)
    row = await enrollment_repo.get_for(session, user_id, course_id)
    if row is None:
        raise EnrollmentNotFound()
    users = await identity.get_user_summaries(session, [user_id])
    return RosterLearner(
        entry=_entry(row, users.get(user_id)), outline=await learner_reads.outline(session, row)
    )


# --------------------------------------------------------------------------- CSV


def _cell(value: Any) -> str:
    """A CSV cell that spreadsheets will not run as a formula (names are user input)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


def _csv_lines(rows: Sequence[Any], users: dict[uuid.UUID, UserSummary]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    now = utcnow()
    for row in rows:
        user = users.get(row.user_id)
        status = row.status
        if status in ("active", "completed") and row.expires_at and row.expires_at <= now:
            status = "expired"
        writer.writerow(
            [
                _cell(row.user_id),
                _cell(None if user is None else user.display_name),
                _cell(None if user is None else user.email),
                status,
                row.progress_percent,
                row.completed_items,
                row.total_items,
                iso(row.enrolled_at),
                iso(row.last_activity_at),
                _cell(iso(row.completed_at)),
                _cell(iso(row.expires_at)),
                row.source,
                _cell(row.tier),
            ]
        )
    return buffer.getvalue()


def csv_header() -> str:
    return ",".join(CSV_HEADER) + "\r\n"


async def _chunk(
    session: AsyncSession, course_id: uuid.UUID, after: uuid.UUID | None, size: int
) -> tuple[str, int, uuid.UUID | None]:
    """The next keyset chunk as CSV text: (text, rows, last enrollment id); two queries."""
    rows = await reports_repo.roster_chunk(session, course_id, after, size)
    if not rows:
        return "", 0, None
    users = await identity.get_user_summaries(session, {r.user_id for r in rows})
    return _csv_lines(rows, users), len(rows), rows[-1].id


async def stream_csv(db: Database, course_id: uuid.UUID, size: int) -> AsyncIterator[bytes]:
    """For ``StreamingResponse``: runs after the request's unit of work, so each chunk is read
    in a short read-only session of its own (no transaction stays open while a slow client
    reads) and sent as soon as it is ready."""
    yield csv_header().encode()
    after: uuid.UUID | None = None
    while True:
        async with db.read_session() as session:
            text, count, after = await _chunk(session, course_id, after, size)
        if count:
            yield text.encode()
        if count < size:
            return


# --------------------------------------------------------------------------- export jobs


def exports_dir(data_dir: Path) -> Path:
    return data_dir / "exports"


def export_path(data_dir: Path, export_id: uuid.UUID) -> Path:
    return exports_dir(data_dir) / f"{export_id}.csv"


async def request_export(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> RosterExportRecord:
    await authorize(session, principal, course_id)
    export_id = new_id()
    await jobs_repo.insert_export(
        session,
        {
            "id": export_id,
            "course_id": course_id,
            "requested_by": principal.user_id,
            "status": JobStatus.PENDING.value,
            "created_at": utcnow(),
        },
    )
    await enqueue_job(session, EXPORT_JOB, {"exportId": str(export_id)})
    row = await jobs_repo.get_export(session, export_id)
    assert row is not None
    return roster_export(row)


async def _visible_export(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, export_id: uuid.UUID
) -> RosterExport:
    await authorize(session, principal, course_id)
    row = await jobs_repo.get_export(session, export_id)
    if row is None or row.course_id != course_id:
        raise ExportNotFound()
    return row


async def export_status(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, export_id: uuid.UUID
) -> RosterExportRecord:
    return roster_export(await _visible_export(session, principal, course_id, export_id))


async def export_file(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    export_id: uuid.UUID,
    data_dir: Path,
) -> tuple[Path, str]:
    """The finished file and the name to download it as."""
    row = await _visible_export(session, principal, course_id, export_id)
    path = export_path(data_dir, row.id)
    if row.status != JobStatus.DONE or not path.is_file():
        raise ExportNotReady()
    return path, f"roster-{course_id}-{row.created_at:%Y%m%d-%H%M%S}.csv"


async def run_export(
    session: AsyncSession, export_id: uuid.UUID, data_dir: Path, chunk: int
) -> None:
    """The job: write the CSV next to its final name and rename it into place (atomic: a
    reader never sees half a file), then record the result."""
    row = await jobs_repo.claim_export(session, export_id)
    if row is None:
        return
    directory = exports_dir(data_dir)
    directory.mkdir(parents=True, exist_ok=True)
    final = export_path(data_dir, export_id)
    partial = final.with_suffix(".csv.part")
    count = 0
    after: uuid.UUID | None = None
    with partial.open("w", encoding="utf-8", newline="") as handle:
        handle.write(csv_header())
        while True:
            text, rows, after = await _chunk(session, row.course_id, after, chunk)
            handle.write(text)
            count += rows
            if rows < chunk:
                break
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, final)
    await jobs_repo.finish_export(
        session,
        export_id,
        {
            "status": JobStatus.DONE.value,
            "row_count": count,
            "byte_size": final.stat().st_size,
            "finished_at": utcnow(),
        },
    )
