"""Entitlements: the right to enroll in a paid course. Payments and subscriptions grant and
revoke them through ``learning.api``; administrators and a course's instructors grant
complimentary access over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import CourseStatus
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import Page, PageParams
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
from campus.learning.schemas.courses import EntitlementOut, GrantRequest
from campus.learning.service import enrollments
from campus.learning.service.enrollment_status import effective_status


def to_summary(row: Entitlement) -> EntitlementSummary:
    return EntitlementSummary(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        source=EntitlementSource(row.source),
        tier=row.tier,
        reference=row.reference or None,
        status=EntitlementStatus(row.status),
        granted_at=row.granted_at,
        granted_by=row.granted_by,
        expires_at=row.expires_at,
    )


def to_out(row: Entitlement) -> EntitlementOut:
    s = to_summary(row)
    return EntitlementOut(
        id=s.id,
        user_id=s.user_id,
        course_id=s.course_id,
        source=s.source,
        tier=s.tier,
        reference=s.reference,
        status=s.status,
        granted_at=s.granted_at,
        granted_by=s.granted_by,
        expires_at=s.expires_at,
    )


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
    return to_summary(row)


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
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, body: GrantRequest
) -> EntitlementOut:
    await _granting_course(session, principal, course_id)
    now = utcnow()
    if body.expires_at is not None and body.expires_at <= now:
        raise field_error("expiresAt", "The expiry must be in the future.", code="in_the_past")
    if body.email is not None:
        found = await identity.find_user_ids_by_emails(session, [body.email])
        user_id = next(iter(found.values()), None)
        if user_id is None:
            raise field_error("email", "No account has this email address.", code="unknown_user")
    else:
        assert body.user_id is not None
        if await identity.get_user_summary(session, body.user_id) is None:
            raise field_error("userId", "No account has this id.", code="unknown_user")
        user_id = body.user_id
    summary = await grant_entitlement(
        session,
        user_id=user_id,
        course_id=course_id,
        source=EntitlementSource.GRANT,
        tier=body.tier.value if body.tier else None,
        expires_at=body.expires_at,
        granted_by=principal.user_id,
    )
    row = await repo.get_entitlement(session, summary.id)
    assert row is not None
    return to_out(row)


async def list_over_http(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, page: PageParams
) -> Page[EntitlementOut]:
    await _granting_course(session, principal, course_id)
    rows, total = await repo.entitlements_page(session, course_id, page.offset, page.limit)
    return Page[EntitlementOut].build([to_out(r) for r in rows], total, page)


async def revoke_over_http(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    entitlement_id: uuid.UUID,
) -> EntitlementOut:
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
    return to_out(fresh)
