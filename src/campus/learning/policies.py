"""Who may do what with learning objects. Services scope first (another learner's enrollment is
a 404), then call these for visible objects (a visible object one may not change is a 403)."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from campus.kernel.auth import Principal
from campus.learning.data import ENROLLMENT_GRANT, ENROLLMENT_MANAGE_ANY


def manages_any(principal: Principal) -> bool:
    """Administrators: see and change every enrollment and roster."""
    return principal.has(ENROLLMENT_MANAGE_ANY)


def can_grant_any(principal: Principal) -> bool:
    return principal.has(ENROLLMENT_GRANT)


def teaches(principal: Principal, instructor_ids: Collection[uuid.UUID]) -> bool:
    return principal.user_id in instructor_ids


def can_see_enrollment(
    principal: Principal, learner_id: uuid.UUID, instructor_ids: Collection[uuid.UUID]
) -> bool:
    """The learner, the course's instructors and administrators."""
    return (
        principal.user_id == learner_id
        or manages_any(principal)
        or teaches(principal, instructor_ids)
    )


def can_see_roster(principal: Principal, instructor_ids: Collection[uuid.UUID]) -> bool:
    return manages_any(principal) or teaches(principal, instructor_ids)


def can_grant(principal: Principal, instructor_ids: Collection[uuid.UUID]) -> bool:
    """Complimentary access: administrators with ``enrollment:grant`` and the course's
    instructors."""
    return can_grant_any(principal) or teaches(principal, instructor_ids)


def can_bypass_locks(principal: Principal, instructor_ids: Collection[uuid.UUID]) -> bool:
    """Instructors and administrators read any lesson of the course, locked or not."""
    return manages_any(principal) or teaches(principal, instructor_ids)
