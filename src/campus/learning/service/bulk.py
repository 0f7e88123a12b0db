"""Bulk enrollment from a CSV upload (administrators).

The upload is checked as a whole first (UTF-8 text, the expected header, size and row limits:
anything else is a clean 4xx and nothing is stored), then every row is validated and stored in
``learning_bulk_rows`` (never on disk) and one outbox job enrolls the valid rows. A bad row never
fails the file: each row gets its own result (ADR 0012).
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import CourseStatus, CourseSummary
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import add_saturating, as_utc, utcnow
from campus.kernel.errors import AppError
from campus.kernel.ids import new_id, parse_id
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams
from campus.learning.data import (
    ENROLLMENT_GRANT,
    BulkRowResult,
    EnrollmentSource,
    EntitlementSource,
    JobStatus,
)
from campus.learning.exceptions import BatchNotFound, CsvInvalid, CsvTooLarge, NotCsv
from campus.learning.models import BulkBatch, BulkRow
from campus.learning.repository import jobs as repo
from campus.learning.service import enrollments, entitlements
from campus.learning.service.records import BulkBatchRecord, BulkRowRecord
from campus.learning.service.rules import Rules

log = get_logger("campus.learning.bulk")

BULK_JOB = "learning.bulk_enroll"
REQUIRED_COLUMNS = ("email", "course", "mode")
OPTIONAL_COLUMNS = ("expiry",)
MODES = ("free", "grant")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
#: Control characters that never occur in a text CSV.
_BINARY = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class ParsedRow:
    row_number: int
    email: str | None
    course_ref: str | None
    mode: str | None
    expires_at: datetime | None
    problem: str | None


def _expiry(value: str, now: datetime) -> tuple[datetime | None, str | None]:
    """An ISO date (access through that day, UTC) or an ISO date-time (UTC if naive)."""
    if not value:
        return None, None
    try:
        day = date.fromisoformat(value)
        moment = add_saturating(datetime.combine(day, time(), tzinfo=UTC), timedelta(days=1))
    except ValueError:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return None, "invalid_expiry"
        moment = as_utc(moment)
    if moment <= now:
        return None, "expiry_in_past"
    return moment, None


def parse_csv(raw: bytes, rules: Rules, now: datetime) -> list[ParsedRow]:
    """Check the file as a whole and validate each data row (``problem`` says what is wrong)."""
    if len(raw) > rules.bulk_max_bytes:
        raise CsvTooLarge(details={"maxBytes": rules.bulk_max_bytes})
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotCsv() from None
    if _BINARY.search(text):
        raise NotCsv()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if (
            not header
            or not set(REQUIRED_COLUMNS) <= set(header)
            or len(set(header)) != len(header)
            or not set(header) <= set(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
        ):
            raise CsvInvalid(
                "The header must name the columns email, course, mode and optionally expiry.",
                code="csv_bad_header",
                details={
                    "required": list(REQUIRED_COLUMNS),
                    "optional": list(OPTIONAL_COLUMNS),
                    "found": [h[:40] for h in header[:20]],
                },
            )
        index = {name: i for i, name in enumerate(header)}
        rows: list[ParsedRow] = []
        for number, record in enumerate(reader, start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) >= rules.bulk_max_rows:
                raise CsvInvalid(
                    "The file has too many rows.",
                    code="csv_too_many_rows",
                    details={"maxRows": rules.bulk_max_rows},
                )
            rows.append(_row(number, record, index, len(header), now))
    except csv.Error as exc:
        raise CsvInvalid(
            "The file is not well-formed CSV.",
            code="csv_malformed",
            details={"error": str(exc)[:200]},
        ) from None
    if not rows:
        raise CsvInvalid("The file has no data rows.", code="csv_empty")
    return rows


def _row(
    number: int, record: list[str], index: dict[str, int], width: int, now: datetime
) -> ParsedRow:
    def cell(name: str, limit: int) -> str:
        i = index.get(name)
        return record[i].strip()[:limit] if i is not None and i < len(record) else ""

    email, course, mode = cell("email", 320), cell("course", 200), cell("mode", 16).lower()
    expires_at, problem = _expiry(cell("expiry", 40), now)
    if len(record) != width:
        problem = "wrong_field_count"
    elif not email:
        problem = "missing_email"
    elif not _EMAIL.fullmatch(email):
        problem = "invalid_email"
    elif not course:
        problem = "missing_course"
    elif mode not in MODES:
        problem = "invalid_mode"
    return ParsedRow(number, email or None, course or None, mode or None, expires_at, problem)


def _require_admin(principal: Principal) -> None:
    principal.require(ENROLLMENT_GRANT)


async def upload(
    session: AsyncSession, principal: Principal, file_name: str, raw: bytes, rules: Rules
) -> BulkBatchRecord:
    """Store the batch and its rows and queue the job (202); returns the batch with its first
    page of rows."""
    _require_admin(principal)
    now = utcnow()
    parsed = parse_csv(raw, rules, now)
    batch_id = new_id()
    rows = [
        {
            "batch_id": batch_id,
            "row_number": p.row_number,
            "email": p.email,
            "course_ref": p.course_ref,
            "mode": p.mode,
            "expires_at": p.expires_at,
            "result": BulkRowResult.BAD_ROW.value if p.problem else None,
            "reason": p.problem,
        }
        for p in parsed
    ]
    await repo.insert_batch(
        session,
        {
            "id": batch_id,
            "created_by": principal.user_id,
            "file_name": (file_name or "upload.csv")[:255],
            "status": JobStatus.PENDING.value,
            "total_rows": len(rows),
            "counts": {},
            "created_at": now,
        },
        rows,
    )
    await enqueue_job(session, BULK_JOB, {"batchId": str(batch_id)})
    return await batch_status(session, principal, batch_id, PageParams(1, 20))


def _row_record(row: BulkRow) -> BulkRowRecord:
    return BulkRowRecord(
        row_number=row.row_number,
        email=row.email,
        course_ref=row.course_ref,
        mode=row.mode,
        expires_at=row.expires_at,
        result=None if row.result is None else BulkRowResult(row.result),
        reason=row.reason,
        enrollment_id=row.enrollment_id,
    )


async def batch_status(
    session: AsyncSession, principal: Principal, batch_id: uuid.UUID, page: PageParams
) -> BulkBatchRecord:
    _require_admin(principal)
    batch = await repo.get_batch(session, batch_id)
    if batch is None:
        raise BatchNotFound()
    rows = await repo.batch_rows(session, batch_id, page.offset, page.limit)
    counts = await repo.result_counts(session, batch_id)
    return BulkBatchRecord(
        id=batch.id,
        status=JobStatus(batch.status),
        file_name=batch.file_name,
        total_rows=batch.total_rows,
        counts=counts,
        created_at=batch.created_at,
        started_at=batch.started_at,
        finished_at=batch.finished_at,
        rows=tuple(_row_record(r) for r in rows),
        page=page,
    )


# --------------------------------------------------------------------------- the job


async def _users(session: AsyncSession, emails: set[str]) -> dict[str, uuid.UUID]:
    """Account ids by the rows' emails (lower-cased): one bulk lookup, then one lookup per
    address the bulk answer did not key the same way (identity normalises more than lower())."""
    found = await identity.find_user_ids_by_emails(session, emails)
    by_email = {e: found[e.lower()] for e in emails if e.lower() in found}
    for email in emails - set(by_email):
        single = await identity.find_user_ids_by_emails(session, [email])
        if single:
            by_email[email] = next(iter(single.values()))
    return by_email


async def _courses(session: AsyncSession, refs: set[str]) -> dict[str, CourseSummary]:
    ids = {ref: parse_id(ref) for ref in refs}
    slugs = {ref for ref, parsed in ids.items() if parsed is None}
    by_slug = await catalog.find_course_ids_by_slugs(session, slugs) if slugs else {}
    wanted = {v for v in ids.values() if v is not None} | set(by_slug.values())
    summaries = await catalog.get_course_summaries(session, wanted)
    out: dict[str, CourseSummary] = {}
    for ref in refs:
        course_id = ids[ref] or by_slug.get(ref)
        if course_id is not None and course_id in summaries:
            out[ref] = summaries[course_id]
    return out


async def _enroll_row(
    session: AsyncSession, batch: BulkBatch, row: BulkRow, user_id: uuid.UUID, course: CourseSummary
) -> dict[str, Any]:
    now = utcnow()
    if course.status is not CourseStatus.PUBLISHED:
        return {"result": BulkRowResult.BAD_ROW, "reason": f"course_{course.status.value}"}
    if row.mode == "free":
        if not course.is_free:
            return {"result": BulkRowResult.BAD_ROW, "reason": "course_not_free"}
        terms = enrollments.Terms(EnrollmentSource.FREE, None, None, row.expires_at)
    else:
        granted = await entitlements.grant_entitlement(
            session,
            user_id=user_id,
            course_id=course.id,
            source=EntitlementSource.GRANT,
            expires_at=row.expires_at,
            granted_by=batch.created_by,
        )
        terms = enrollments.Terms(
            EnrollmentSource.GRANT, granted.tier, granted.id, granted.expires_at
        )
    enrollment, outcome = await enrollments.admit(
        session, user_id=user_id, course=course, terms=terms, now=now, restore_revoked=True
    )
    return {
        "result": (
            BulkRowResult.ALREADY_ENROLLED if outcome == "existing" else BulkRowResult.CREATED
        ),
        "reason": "reactivated" if outcome == "reactivated" else None,
        "enrollment_id": enrollment.id,
    }


async def run_batch(session: AsyncSession, batch_id: uuid.UUID) -> None:
    """Enroll the valid rows of a batch in one unit of work; every row gets a result (a failing
    row is rolled back to its savepoint and reported, the others go on)."""
    now = utcnow()
    if not await repo.claim_batch(session, batch_id, now):
        return
    batch = await repo.get_batch(session, batch_id)
    assert batch is not None
    pending = [r for r in await repo.batch_rows(session, batch_id) if r.result is None]
    users = await _users(session, {r.email for r in pending if r.email})
    courses = await _courses(session, {r.course_ref for r in pending if r.course_ref})
    results: list[dict[str, Any]] = []
    for row in pending:
        user_id = users.get(row.email or "")
        course = courses.get(row.course_ref or "")
        outcome: dict[str, Any]
        if user_id is None:
            outcome = {"result": BulkRowResult.UNKNOWN_EMAIL}
        elif course is None:
            outcome = {"result": BulkRowResult.UNKNOWN_COURSE}
        else:
            try:
                async with session.begin_nested():
                    outcome = await _enroll_row(session, batch, row, user_id, course)
            except AppError as exc:
                outcome = {"result": BulkRowResult.BAD_ROW, "reason": exc.code}
            outcome |= {"user_id": user_id, "course_id": course.id}
        results.append({"row_number": row.row_number, **outcome})
    for item in results:
        item["result"] = BulkRowResult(item["result"]).value
    await repo.set_row_results(session, batch_id, results)
    await repo.finish_batch(
        session, batch_id, await repo.result_counts(session, batch_id), utcnow()
    )
    log.info("bulk_enrollment_done", batch_id=str(batch_id), rows=len(pending))
