"""Aggregates and housekeeping: the catalog's enrollment counts, and enrollment expiry.

The count on a course is *recomputed* from the enrollments (statuses with access) instead of
being incremented per event, so a redelivered event, a replay of every event, or events handled
out of order all leave the true count (ADR 0011). Writers of one course's count serialise on the
course row: the handler locks it first (a +0 adjustment), then counts, then writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound
from campus.kernel.logging import get_logger
from campus.learning.data import CourseRecount, EnrollmentStatus
from campus.learning.repository import enrollments as repo
from campus.learning.service import enrollments

log = get_logger("campus.learning")

EXPIRY_BATCH = 500
#: Courses recounted per batch (per transaction in ``campus learning recount``).
RECOUNT_BATCH = 200


async def recount_course(session: AsyncSession, course_id: uuid.UUID) -> int | None:
    """Write the course's true enrollment count; ``None`` when the course is gone."""
    try:
        # Take the course row's lock before counting: a concurrent recount of the same course
        # waits here and then counts what this one committed (never an older figure last).
        await catalog.adjust_enrollment_count(session, course_id, 0)
    except NotFound:
        return None
    count = await repo.count_with_access(session, course_id)
    await catalog.set_enrollment_count(session, course_id, count)
    return count


async def recount_courses(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> list[CourseRecount]:
    """Recount a batch of courses: lock each course row in id order (the same lock the event
    handler takes, so neither writes an older figure last), count them all in one grouped
    query, write only the counts that were wrong. Courses that are gone are left out."""
    before: dict[uuid.UUID, int] = {}
    for course_id in sorted(set(course_ids)):
        try:
            before[course_id] = await catalog.adjust_enrollment_count(session, course_id, 0)
        except NotFound:
            continue
    counts = await repo.counts_with_access(session, before)
    results = [CourseRecount(cid, was, counts.get(cid, 0)) for cid, was in before.items()]
    for result in results:
        if result.corrected:
            await catalog.set_enrollment_count(session, result.course_id, result.after)
    return results


async def recount_all(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Recount every course that has enrollments, and every course whose count is above zero
    without any (a stale count), in one transaction (reconciliation; the ``campus learning
    recount`` command walks the same courses in batches of their own)."""
    counts: dict[uuid.UUID, int] = {}
    after: uuid.UUID | None = None
    while batch := await repo.course_ids_after(session, after, RECOUNT_BATCH):
        for result in await recount_courses(session, batch):
            counts[result.course_id] = result.after
        after = batch[-1]
    after = None
    while batch := await catalog.counted_course_ids(session, after=after, limit=RECOUNT_BATCH):
        stale = [course_id for course_id in batch if course_id not in counts]
        for result in await recount_courses(session, stale):
            counts[result.course_id] = result.after
        after = batch[-1]
    return counts


async def expire_due(session: AsyncSession) -> int:
    """Write down the expiry of every enrollment past ``expires_at`` (readers already treat them
    as expired); each gets its ``learning.unenrolled`` event. Returns how many."""
    now = utcnow()
    expired = 0
    while True:
        due = await repo.due_expiries(session, now, EXPIRY_BATCH)
        for row in due:
            if await repo.expire(session, row.id, now):
                expired += 1
                await enrollments.publish_unenrolled(session, row, EnrollmentStatus.EXPIRED, now)
        if len(due) < EXPIRY_BATCH:
            break
    if expired:
        log.info("enrollments_expired", count=expired)
    return expired
