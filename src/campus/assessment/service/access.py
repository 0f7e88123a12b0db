"""Scope first, then permit: course staff and enrolled learners."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import policies
from campus.assessment.exceptions import CourseNotFound, NotCourseStaff, NotEnrolled
from campus.catalog import api as catalog
from campus.catalog.data import CourseSummary
from campus.kernel.auth import Principal
from campus.learning import api as learning


async def course(session: AsyncSession, course_id: uuid.UUID) -> CourseSummary:
    found = await catalog.get_course_summary(session, course_id)
    if found is None:
        raise CourseNotFound()
    return found


async def is_staff(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, *, grading: bool = False
) -> bool:
    """Course staff by catalog's one rule: the instructor role and a place among the course's
    instructors, or ``grading:any`` (grading) / ``course:edit_any`` (authoring)."""
    any_of = (policies.GRADING_ANY,) if grading else (policies.COURSE_EDIT_ANY,)
    return await catalog.is_course_staff(session, principal, course_id, any_of=any_of)


async def require_staff(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, *, grading: bool = False
) -> None:
    if not await is_staff(session, principal, course_id, grading=grading):
        raise NotCourseStaff()


async def is_enrolled(session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    return await learning.is_enrolled(session, user_id, course_id)


async def staff_or_enrolled(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> bool:
    """True for staff, False for enrolled learners; anyone else is refused (403)."""
    if await is_staff(session, principal, course_id, grading=True):
        return True
    if await is_enrolled(session, principal.user_id, course_id):
        return False
    raise NotEnrolled()
