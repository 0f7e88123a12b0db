"""Access: what a live subscription opens, granted as learning entitlements.

A subscriber opens a course of their plan with ``open_course``: billing checks the plan
unlocks it (catalog's summary: published, its category, its track, or the plan's list), grants
the entitlement (source ``subscription``, reference the subscription's id) and enrolls them.
Courses published after the subscription started are opened the same way, so nothing has to
walk the catalog when a course is published. Opening a lesson then reads learning's records
as for a purchase (no call to billing, no call to a gateway). When the access ends (expiry,
cancellation, a seat taken back) ``end_access`` revokes what was granted; learning keeps the
progress, and a purchase of the same course stays (its entitlement is another one)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import UnlockKind
from campus.billing.exceptions import CourseNotInPlan
from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.billing.service.records import PlanRecord, plan_record
from campus.catalog import api as catalog
from campus.catalog.data import CourseSummary
from campus.learning import api as learning
from campus.learning.data import EnrollmentSummary, EntitlementSource


def unlocks(plan: PlanRecord, course: CourseSummary) -> bool:
    """Whether ``plan`` opens ``course`` (published courses only)."""
    if not course.is_published:
        return False
    if plan.unlock_kind is UnlockKind.ALL:
        return True
    if plan.unlock_kind is UnlockKind.CATEGORIES:
        return course.category_id is not None and course.category_id in plan.unlock_ids
    if plan.unlock_kind is UnlockKind.COURSES:
        return course.id in plan.unlock_ids
    return plan.unlock_track is not None and course.track_slug == plan.unlock_track


async def open_course(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID
) -> EnrollmentSummary:
    """Grant and enroll through the first live subscription of the user whose plan opens the
    course; 409 ``course_not_in_plan`` when none does (or the course is not published)."""
    course = await catalog.get_course_summary(session, course_id)
    if course is None or not course.is_published:
        raise CourseNotInPlan()
    live = await repo.live_for_access(session, user_id)
    plans = await plans_repo.get_many(session, {row.plan_id for row in live})
    for row in sorted(live, key=lambda r: r.created_at):
        if unlocks(plan_record(plans[row.plan_id]), course):
            await grant(session, row.id, user_id, course_id)
            return await learning.enroll_user(session, user_id, course_id)
    raise CourseNotInPlan()


async def grant(
    session: AsyncSession, subscription_id: uuid.UUID, user_id: uuid.UUID, course_id: uuid.UUID
) -> None:
    await repo.add_grant(session, subscription_id, user_id, course_id)
    await learning.grant_entitlement(
        session,
        user_id=user_id,
        course_id=course_id,
        source=EntitlementSource.SUBSCRIPTION,
        reference=str(subscription_id),
    )


async def end_access(
    session: AsyncSession, subscription_id: uuid.UUID, user_id: uuid.UUID | None = None
) -> int:
    """Revoke what the subscription granted (to one user, or to everyone); returns how many
    courses. The learner's progress stays; another entitlement (a purchase) keeps access."""
    taken = await repo.take_grants(session, subscription_id, user_id)
    for holder, course_id in taken:
        await learning.revoke_entitlement(
            session,
            user_id=holder,
            course_id=course_id,
            source=EntitlementSource.SUBSCRIPTION,
            reference=str(subscription_id),
        )
    return len(taken)
