"""Enrolling, re-enrolling, cancelling, revoking, moving to a newer version.

One row per (learner, course), guarded by a unique constraint: enrolling is
``INSERT ... ON CONFLICT DO NOTHING``; when a row exists, a conditional ``UPDATE`` reactivates
it (cancelled or expired) or it is returned as is (already enrolled). So 50 simultaneous
requests make one enrollment: one answer is 201 (``outcome: created``), the others 200
(``outcome: existing``) with the same enrollment (ADR 0010).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import CourseStatus, CourseSummary, PricingTier
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict, Forbidden
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.learning import events, policies
from campus.learning.data import (
    ACCESS_STATUSES,
    ActivityType,
    EnrollmentSource,
    EnrollmentStatus,
)
from campus.learning.exceptions import (
    AlreadyOnCurrentVersion,
    CourseClosed,
    CourseNotFound,
    EnrollmentNotFound,
    EnrollmentRevoked,
    EntitlementRequired,
    InvalidTransition,
    TierNotEntitled,
)
from campus.learning.models import Enrollment, Entitlement
from campus.learning.repository import enrollments as repo
from campus.learning.service import progress
from campus.learning.service.activity import record_activity
from campus.learning.service.conversions import enrollment_record
from campus.learning.service.enrollment_status import effective_status
from campus.learning.service.records import Admission, EnrollmentRecord, Outcome

EXPIRE_JOB = "learning.expire_enrollments"

#: Higher tiers include the lower ones.
TIER_RANK = {PricingTier.BASIC: 1, PricingTier.PRO: 2, PricingTier.PREMIUM: 3}


@dataclass(frozen=True, slots=True)
class Terms:
    """On what terms a learner enrolls: source, tier, entitlement and expiry."""

    source: EnrollmentSource
    tier: str | None
    entitlement_id: uuid.UUID | None
    expires_at: datetime | None


def _covers(entitlement: Entitlement, tier: PricingTier | None) -> bool:
    if tier is None or entitlement.tier is None:
        return True
    return TIER_RANK[PricingTier(entitlement.tier)] >= TIER_RANK[tier]


async def terms_for(
    session: AsyncSession,
    user_id: uuid.UUID,
    course: CourseSummary,
    tier: PricingTier | None,
    now: datetime,
) -> Terms:
    """Free courses: directly. Paid courses: only with a live entitlement covering ``tier``."""
    if course.is_free:
        return Terms(EnrollmentSource.FREE, None, None, None)
    entitlements = await repo.active_entitlements(session, user_id, course.id, now)
    if not entitlements:
        raise EntitlementRequired()
    usable = [e for e in entitlements if _covers(e, tier)]
    if not usable:
        raise TierNotEntitled()
    chosen = usable[0]
    return Terms(
        EnrollmentSource(chosen.source),
        tier.value if tier is not None else chosen.tier,
        chosen.id,
        chosen.expires_at,
    )


def open_version(course: CourseSummary) -> uuid.UUID:
    """The version a new enrollment binds: the course's current one (published courses only)."""
    if course.status is CourseStatus.ARCHIVED:
        raise CourseClosed()
    if course.status is not CourseStatus.PUBLISHED or course.current_version_id is None:
        raise CourseNotFound()
    return course.current_version_id


async def admit(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course: CourseSummary,
    terms: Terms,
    now: datetime,
    restore_revoked: bool = False,
) -> tuple[Enrollment, Outcome]:
    """Create, reactivate or return the learner's enrollment (never two). A revoked enrollment
    comes back only through an administrator (``restore_revoked``) or an entitlement granted
    after the revocation."""
    version_id = open_version(course)
    values = {
        "version_id": version_id,
        "source": terms.source.value,
        "tier": terms.tier,
        "entitlement_id": terms.entitlement_id,
        "expires_at": terms.expires_at,
        "activated_at": now,
        "last_activity_at": now,
        "updated_at": now,
    }
    created = await repo.insert_if_absent(
        session,
        {
            **values,
            "id": new_id(),
            "user_id": user_id,
            "course_id": course.id,
            "status": EnrollmentStatus.ACTIVE.value,
            "enrolled_at": now,
            "created_at": now,
        },
    )
    if created is not None:
        row = await repo.get(session, created)
        assert row is not None
        await _admitted(session, row, now, reactivated=False)
        return row, "created"
    for _ in range(3):  # a concurrent transition may win; then look again
        existing = await repo.get_for(session, user_id, course.id)
        assert existing is not None
        status = effective_status(existing, now)
        if status in ACCESS_STATUSES:
            return existing, "existing"
        if status is EnrollmentStatus.REVOKED_BY_ADMIN and not restore_revoked:
            await _require_new_grant(session, existing, now)
        back = EnrollmentStatus.COMPLETED if existing.completed_at else EnrollmentStatus.ACTIVE
        row = await repo.transition(
            session,
            existing.id,
            [existing.status],
            {
                **values,
                "status": back.value,
                "ended_at": None,
                "ended_by": None,
                "end_reason": None,
            },
            same_activation=existing.activated_at,
        )
        if row is not None:
            await _admitted(session, row, now, reactivated=True)
            return row, "reactivated"
    raise Conflict("The enrollment changed meanwhile; try again.", code="enrollment_busy")


async def _require_new_grant(session: AsyncSession, row: Enrollment, now: datetime) -> None:
    """A revoked learner comes back only with access granted after the revocation."""
    ended = row.ended_at or now
    live = await repo.active_entitlements(session, row.user_id, row.course_id, now)
    if not any(e.granted_at > ended for e in live):
        raise EnrollmentRevoked()


async def _admitted(
    session: AsyncSession, row: Enrollment, now: datetime, *, reactivated: bool
) -> None:
    await progress.refresh(session, row, now)
    await publish(
        session,
        events.Enrolled(
            enrollment_id=row.id,
            user_id=row.user_id,
            course_id=row.course_id,
            version_id=row.version_id,
            source=row.source,
            tier=row.tier,
            reactivated=reactivated,
            enrolled_at=now,
        ),
    )
    await record_activity(
        session,
        kind=ActivityType.ENROLLED,
        enrollment=row,
        now=now,
        data={"source": row.source, "reactivated": reactivated},
    )
    if row.expires_at is not None:
        await enqueue_job(session, EXPIRE_JOB, {}, run_at=row.expires_at)


async def enroll(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, tier: PricingTier | None
) -> Admission:
    """``POST /enrollments``: the caller enrolls themself in a published course."""
    principal.require_verified_email("enroll")
    now = utcnow()
    course = await catalog.get_course_summary(session, course_id)
    if course is None:
        raise CourseNotFound()
    open_version(course)
    terms = await terms_for(session, principal.user_id, course, tier, now)
    row, outcome = await admit(
        session, user_id=principal.user_id, course=course, terms=terms, now=now
    )
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return Admission(enrollment_record(fresh, now), outcome)


# --------------------------------------------------------------------------- one enrollment


async def visible(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment:
    """The enrollment if the caller may see it (the learner, the course's staff); anyone else
    gets a 404."""
    row = await repo.get(session, enrollment_id)
    if row is None:
        raise EnrollmentNotFound()
    if row.user_id != principal.user_id and not await policies.is_course_staff(
        session, principal, row.course_id
    ):
        raise EnrollmentNotFound()
    return row


async def get_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentRecord:
    row = await visible(session, principal, enrollment_id)
    return enrollment_record(row, utcnow())


async def end(
    session: AsyncSession,
    row: Enrollment,
    status: EnrollmentStatus,
    *,
    from_statuses: frozenset[EnrollmentStatus],
    ended_by: uuid.UUID | None,
    reason: str | None,
    now: datetime,
) -> Enrollment:
    """Take access away (cancel, revoke, entitlement lost); idempotent for the same end."""
    ended = await repo.transition(
        session,
        row.id,
        [s.value for s in from_statuses],
        {
            "status": status.value,
            "ended_at": now,
            "ended_by": ended_by,
            "end_reason": reason,
            "updated_at": now,
        },
    )
    if ended is None:
        fresh = await repo.get(session, row.id)
        assert fresh is not None
        if fresh.status == status.value:
            return fresh
        raise InvalidTransition(status.value, effective_status(fresh, now).value)
    await publish_unenrolled(session, ended, status, now)
    return ended


async def publish_unenrolled(
    session: AsyncSession, row: Enrollment, status: EnrollmentStatus, now: datetime
) -> None:
    await publish(
        session,
        events.Unenrolled(
            enrollment_id=row.id,
            user_id=row.user_id,
            course_id=row.course_id,
            reason=status.value,
            at=now,
        ),
    )
    await record_activity(
        session,
        kind=ActivityType.UNENROLLED,
        enrollment=row,
        now=now,
        data={"reason": status.value},
    )


async def cancel(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentRecord:
    """The learner leaves the course (progress is kept for a later re-enrollment)."""
    now = utcnow()
    row = await visible(session, principal, enrollment_id)
    if row.user_id != principal.user_id:
        raise Forbidden(details={"action": "cancel"})
    if effective_status(row, now) is EnrollmentStatus.EXPIRED:
        raise InvalidTransition("cancel", EnrollmentStatus.EXPIRED.value)
    ended = await end(
        session,
        row,
        EnrollmentStatus.CANCELLED_BY_USER,
        from_statuses=frozenset({EnrollmentStatus.ACTIVE}),
        ended_by=principal.user_id,
        reason="cancelled_by_user",
        now=now,
    )
    return enrollment_record(ended, now)


async def revoke(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID, reason: str | None
) -> EnrollmentRecord:
    """An administrator takes access away (``enrollment:manage_any``)."""
    now = utcnow()
    row = await visible(session, principal, enrollment_id)
    if not policies.manages_any(principal):
        raise Forbidden(details={"action": "revoke"})
    ended = await end(
        session,
        row,
        EnrollmentStatus.REVOKED_BY_ADMIN,
        from_statuses=ACCESS_STATUSES,
        ended_by=principal.user_id,
        reason=reason or "revoked_by_admin",
        now=now,
    )
    return enrollment_record(ended, now)


async def upgrade(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentRecord:
    """Move to the course's current version, keeping the progress whose lesson lineages the new
    version still has. Status and progress are measured against the new version's required
    items: a completed enrollment stays completed only when the new version is done too, else
    it is active again (and completes, with a new ``CourseCompleted``, when its new required
    items are)."""
    now = utcnow()
    row = await visible(session, principal, enrollment_id)
    if row.user_id != principal.user_id:
        raise Forbidden(details={"action": "upgrade"})
    status = effective_status(row, now)
    if status not in ACCESS_STATUSES:
        raise InvalidTransition("upgrade", status.value)
    current = await catalog.get_current_version_id(session, row.course_id)
    if current is None or current == row.version_id:
        raise AlreadyOnCurrentVersion()
    moved = await repo.transition(
        session,
        row.id,
        [s.value for s in ACCESS_STATUSES],
        {"version_id": current, "updated_at": now, "last_activity_at": now},
    )
    if moved is None:
        raise InvalidTransition("upgrade", status.value)
    figures = await progress.refresh(session, moved, now)
    if moved.status == EnrollmentStatus.COMPLETED and not figures.all_done:
        await repo.transition(
            session,
            row.id,
            [EnrollmentStatus.COMPLETED.value],
            {"status": EnrollmentStatus.ACTIVE.value, "completed_at": None, "updated_at": now},
        )
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return enrollment_record(fresh, now)
