"""Who may do what with learning objects. Services scope first (another learner's enrollment is
a 404), then call these for visible objects (a visible object one may not change is a 403).

Course staff is catalog's one rule (``catalog.api.is_course_staff``): an instructor of the
course who holds the ``instructor`` role, or the holder of the "any course" permission of the
power at hand (``enrollment:manage_any`` for rosters, enrollments and locked lessons,
``enrollment:grant`` for complimentary access). A former instructor keeps their membership
rows but none of these powers.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.kernel.auth import Principal
from campus.learning.data import ENROLLMENT_GRANT, ENROLLMENT_MANAGE_ANY


def manages_any(principal: Principal) -> bool:
    """Administrators: see and change every enrollment and roster."""
    return principal.has(ENROLLMENT_MANAGE_ANY)


def can_grant_any(principal: Principal) -> bool:
    return principal.has(ENROLLMENT_GRANT)


async def is_course_staff(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> bool:
    """The course's instructors (with the role) and administrators: they see its roster and
    every enrollment in it, and read any lesson of the course, locked or not."""
    return await catalog.is_course_staff(
        session, principal, course_id, any_of=(ENROLLMENT_MANAGE_ANY,)
    )


async def can_grant(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> bool:
    """Complimentary access: administrators with ``enrollment:grant`` and the course's
    instructors (with the role)."""
    return await catalog.is_course_staff(session, principal, course_id, any_of=(ENROLLMENT_GRANT,))
