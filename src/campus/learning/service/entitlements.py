"""Entitlements: the right to enroll in a paid course. Payments and subscriptions grant and
revoke them through ``learning.api``; administrators and a course's instructors grant
complimentary access over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import CourseStatus, PricingTier
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams
from campus.learning import policies
from campus.learning.data import (
    ACCESS_STATUSES,
    EnrollmentStatus,
    EntitlementSource,
    EntitlementStatus,
    EntitlementSummary,
)
from campus.learning.exceptions import CourseNotFound, EntitlementNotFound
from campus.learning.models import Entitlement
from campus.learning.repository import enrollments as repo
from campus.learning.service import enrollments
from campus.learning.service.conversions import entitlement_summary
from campus.learning.service.enrollment_status import effective_status


async def _follow_entitlements(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    now: datetime,
    *,
    revoked_by: uuid.UUID | None,
    lost_source: EntitlementSource | None,
) -> None:
    """Keep an enrollment that rests on entitlements in step with them: it follows the best
    live one (expiry extended or shortened); with none left, access ends."""
    row = await repo.with_entitlement(session, user_id, course_id)
    if row is None or effective_status(row, now) not in ACCESS_STATUSES:
        return
    live = await repo.active_entitlements(session, user_id, course_id, now)
    if live:
        best = live[0]
        await repo.update(
            session,
            row.id,
            {
                "entitlement_id": best.id,
                "source": best.source,
                "expires_at": best.expires_at,
                "updated_at": now,
            },
        )
        if best.expires_at is not None:
            await enqueue_job(session, enrollments.EXPIRE_JOB, {}, run_at=best.expires_at)
        return
    lapsed = revoked_by is None and lost_source is EntitlementSource.SUBSCRIPTION
    await enrollments.end(
        session,
        row,
        EnrollmentStatus.EXPIRED if lapsed else EnrollmentStatus.REVOKED_BY_ADMIN,
        from_statuses=ACCESS_STATUSES,
        ended_by=revoked_by,
        reason="entitlement_ended",
        now=now,
    )


async def grant_entitlement(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    source: EntitlementSource,
    tier: str | None = None,
    expires_at: datetime | None = None,
    granted_by: uuid.UUID | None = None,
    reference: str | None = None,
) -> EntitlementSummary:
    """Grant (or renew: same user, course, source and reference) an entitlement."""
    now = utcnow()
    row = await repo.upsert_entitlement(
        session,
        {
            "id": new_id(),
            "user_id": user_id,
            "course_id": course_id,
            "source": EntitlementSource(source).value,
            "reference": (reference or "")[:200],
            "tier": tier,
            "status": EntitlementStatus.ACTIVE.value,
            "granted_at": now,
            "granted_by": granted_by,
            "expires_at": expires_at,
            "created_at": now,
            "updated_at": now,
        },
    )
    await _follow_entitlements(session, user_id, course_id, now, revoked_by=None, lost_source=None)
    return entitlement_summary(row)


async def revoke_entitlement(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    source: EntitlementSource,
    reference: str | None = None,
    revoked_by: uuid.UUID | None = None,
) -> int:
    """Revoke the matching live entitlement(s); returns how many. An enrollment that rested on
    them follows another live entitlement or ends (``expired`` for a lapsed subscription,
    ``revoked_by_admin`` otherwise)."""
    now = utcnow()
    revoked = await repo.revoke_entitlements(
        session,
        [
            Entitlement.user_id == user_id,
            Entitlement.course_id == course_id,
            Entitlement.source == EntitlementSource(source).value,
            Entitlement.reference == (reference or "")[:200],
        ],
        now,
        revoked_by,
    )
    if revoked:
        await _follow_entitlements(
            session,
            user_id,
            course_id,
            now,
            revoked_by=revoked_by,
            lost_source=EntitlementSource(source),
        )
    return len(revoked)


# --------------------------------------------------------------------------- HTTP


async def _granting_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> None:
    course = await catalog.get_course_summary(session, course_id)
    if course is None:
        raise CourseNotFound()
    if not await policies.can_grant(session, principal, course_id):
        if course.status in (CourseStatus.PUBLISHED, CourseStatus.ARCHIVED):
            raise Forbidden(details={"action": "grant"})
        raise CourseNotFound()


async def grant_over_http(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    email: str | None,
    tier: PricingTier | None,
    expires_at: datetime | None,
) -> EntitlementSummary:
    """Complimentary access for one learner, named by ``user_id`` or by ``email`` (exactly one;
    the request model checks it)."""
    await _granting_course(session, principal, course_id)
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise field_error("expiresAt", "The expiry must be in the future.", code="in_the_past")
    if email is not None:
        found = await identity.find_user_ids_by_emails(session, [email])
        learner_id = next(iter(found.values()), None)
        if learner_id is None:
            raise field_error("email", "No account has this email address.", code="unknown_user")
    else:
        assert user_id is not None
        if await identity.get_user_summary(session, user_id) is None:
            raise field_error("userId", "No account has this id.", code="unknown_user")
        learner_id = user_id
    summary = await grant_entitlement(
        session,
        user_id=learner_id,
        course_id=course_id,
        source=EntitlementSource.GRANT,
        tier=tier.value if tier else None,
        expires_at=expires_at,
        granted_by=principal.user_id,
    )
    row = await repo.get_entitlement(session, summary.id)
    assert row is not None
    return entitlement_summary(row)


async def list_over_http(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, page: PageParams
) -> tuple[list[EntitlementSummary], int]:
    """One page of the course's entitlements (newest first) and how many there are."""
    await _granting_course(session, principal, course_id)
    rows, total = await repo.entitlements_page(session, course_id, page.offset, page.limit)
    return [entitlement_summary(r) for r in rows], total


async def revoke_over_http(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    entitlement_id: uuid.UUID,
) -> EntitlementSummary:
    """Instructors revoke the complimentary access they may grant; purchases and subscriptions
    are revoked by administrators (refunds go through commerce)."""
    await _granting_course(session, principal, course_id)
    row = await repo.get_entitlement(session, entitlement_id)
    if row is None or row.course_id != course_id:
        raise EntitlementNotFound()
    if row.source != EntitlementSource.GRANT and not policies.can_grant_any(principal):
        raise Forbidden(details={"action": "revoke", "source": row.source})
    if row.status == EntitlementStatus.ACTIVE:
        await revoke_entitlement(
            session,
            user_id=row.user_id,
            course_id=course_id,
            source=EntitlementSource(row.source),
            reference=row.reference,
            revoked_by=principal.user_id,
        )
    fresh = await repo.get_entitlement(session, entitlement_id)
    assert fresh is not None
    return entitlement_summary(fresh)
