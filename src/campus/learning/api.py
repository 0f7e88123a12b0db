"""Learning's doorway for other contexts, the CLI and the composition root.

Everything runs in the caller's transaction and checks no permission: the calling context has
decided the caller may ask. Reads return frozen DTOs from ``learning.data``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import PricingTier
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound
from campus.learning.data import (
    CourseRecount,
    EnrollmentSummary,
    EntitlementSource,
    EntitlementSummary,
)
from campus.learning.models import Enrollment
from campus.learning.repository import enrollments as repo
from campus.learning.service import enrollments, entitlements, maintenance
from campus.learning.service.conversions import summary
from campus.learning.service.enrollment_status import has_access

__all__ = [
    "count_enrolled_courses",
    "courses_with_access",
    "enroll_user",
    "enrolled_course_ids",
    "enrolled_user_ids",
    "get_enrollment",
    "grant_entitlement",
    "is_enrolled",
    "recount_course_enrollments",
    "recount_enrollments",
    "revoke_entitlement",
]


async def is_enrolled(session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    """True while the learner has access to the course: an enrollment that is ``active`` (or
    ``completed``: finished learners keep their access) and not past its expiry."""
    row = await repo.get_for(session, user_id, course_id)
    return row is not None and has_access(row, utcnow())


async def courses_with_access(
    session: AsyncSession, user_id: uuid.UUID, course_ids: Sequence[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of ``course_ids`` the learner has access to (``is_enrolled`` for each), in one
    query."""
    if not course_ids:
        return set()
    rows = await session.scalars(
        sa.select(Enrollment)
        .where(Enrollment.user_id == user_id, Enrollment.course_id.in_(list(course_ids)))
        .execution_options(populate_existing=True)
    )
    now = utcnow()
    return {row.course_id for row in rows if has_access(row, now)}


async def get_enrollment(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> EnrollmentSummary | None:
    """The learner's enrollment in the course whatever its status (``None`` if never enrolled)."""
    row = await repo.get_for(session, user_id, course_id)
    return None if row is None else summary(row, utcnow())


async def enrolled_user_ids(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    """Learners with access to the course (see ``is_enrolled``), ordered by id."""
    return await repo.user_ids_with_access(session, course_id, utcnow())


async def grant_entitlement(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    source: EntitlementSource | str,
    tier: str | None = None,
    expires_at: datetime | None = None,
    granted_by: uuid.UUID | None = None,
    reference: str | None = None,
) -> EntitlementSummary:
    """Give the learner the right to enroll in a paid course (purchase, subscription, grant).
    Idempotent per (user, course, source, reference): granting again renews the same
    entitlement (new tier/expiry, reactivated if it was revoked). An enrollment resting on
    entitlements follows the best live one (its expiry moves with it)."""
    return await entitlements.grant_entitlement(
        session,
        user_id=user_id,
        course_id=course_id,
        source=EntitlementSource(source),
        tier=tier,
        expires_at=expires_at,
        granted_by=granted_by,
        reference=reference,
    )


async def revoke_entitlement(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    source: EntitlementSource | str,
    reference: str | None = None,
    revoked_by: uuid.UUID | None = None,
) -> int:
    """Revoke the live entitlement(s) matching (user, course, source, reference); returns how
    many. Without another live entitlement the learner's paid enrollment ends: ``expired`` for a
    lapsed subscription (no ``revoked_by``), ``revoked_by_admin`` otherwise."""
    return await entitlements.revoke_entitlement(
        session,
        user_id=user_id,
        course_id=course_id,
        source=EntitlementSource(source),
        reference=reference,
        revoked_by=revoked_by,
    )


async def enroll_user(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, *, tier: str | None = None
) -> EnrollmentSummary:
    """Enroll a learner on their own behalf (e.g. commerce right after a purchase has granted
    the entitlement): the same rules as ``POST /enrollments``; idempotent."""
    course = await catalog.get_course_summary(session, course_id)
    if course is None:
        raise NotFound(code="course_not_found")
    now = utcnow()
    terms = await enrollments.terms_for(
        session, user_id, course, PricingTier(tier) if tier else None, now
    )
    row, _ = await enrollments.admit(session, user_id=user_id, course=course, terms=terms, now=now)
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return summary(fresh, now)


async def recount_enrollments(session: AsyncSession) -> dict[uuid.UUID, int]:
    """Recompute every course's enrollment count from the enrollments (reconciliation)."""
    return await maintenance.recount_all(session)


async def recount_course_enrollments(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> list[CourseRecount]:
    """Recompute the enrollment count of these courses (one batch: a fixed number of queries
    plus one row lock per course); returns each course's count before and after. Courses that
    do not exist are left out."""
    return await maintenance.recount_courses(session, course_ids)


async def enrolled_course_ids(
    session: AsyncSession, *, after: uuid.UUID | None = None, limit: int = 200
) -> list[uuid.UUID]:
    """Courses with any enrollment, in id order, after ``after`` (a keyset walk)."""
    return await repo.course_ids_after(session, after, limit)


async def count_enrolled_courses(session: AsyncSession) -> int:
    """How many courses have any enrollment."""
    return await repo.count_courses(session)
