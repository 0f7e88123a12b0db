"""Who may do what with catalog objects. Services call these after scoping (ARCHITECTURE §3.7):
an object the principal cannot see is a 404, a visible one it may not change is a 403.

**Course staff** is decided here, once, for every context (``catalog.api.is_course_staff`` is
the doorway to it): a principal is staff of a course when it holds one of the ``*_any``
permissions the caller names, or when it is one of the course's instructors (a membership
row) *and* holds the ``instructor`` role. Membership alone is not enough: an account whose
``instructor`` role was removed keeps its membership rows (its courses still name it) but loses
every staff power on them, and an administrator who lost ``admin`` loses the ``*_any``
permissions with it. Only active accounts have a principal at all (the token verifier refuses
the others), so "the account is active" holds for every principal these functions see.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from enum import StrEnum
from typing import Protocol

from campus.catalog.data import (
    CATEGORY_MANAGE,
    COURSE_CREATE,
    COURSE_DELETE_ANY,
    COURSE_EDIT_ANY,
    COURSE_PUBLISH,
    CourseStatus,
)
from campus.identity.data import INSTRUCTOR
from campus.kernel.auth import Principal

__all__ = [
    "CATEGORY_MANAGE",
    "COURSE_CREATE",
    "COURSE_DELETE_ANY",
    "COURSE_EDIT_ANY",
    "COURSE_PUBLISH",
    "Action",
    "allows",
    "can_see",
    "is_staff",
    "teaches",
]


class CourseLike(Protocol):
    @property
    def status(self) -> str: ...
    @property
    def primary_instructor_id(self) -> uuid.UUID: ...
    @property
    def instructor_ids(self) -> list[uuid.UUID]: ...


class Action(StrEnum):
    VIEW_AUTHORING = "view_authoring"
    EDIT = "edit"
    SUBMIT = "submit"
    REVIEW = "review"
    ARCHIVE = "archive"
    DELETE = "delete"
    MANAGE_INSTRUCTORS = "manage_instructors"
    TRANSFER = "transfer"


def holds_teaching_role(principal: Principal) -> bool:
    return principal.has_role(INSTRUCTOR)


def is_staff(
    principal: Principal, instructor_ids: Collection[uuid.UUID], any_of: Iterable[str] = ()
) -> bool:
    """THE course-staff rule (see the module docstring): one of the ``any_of`` permissions, or
    membership of ``instructor_ids`` together with the ``instructor`` role."""
    if any(principal.has(p) for p in any_of):
        return True
    return holds_teaching_role(principal) and principal.user_id in instructor_ids


def teaches(principal: Principal, course: CourseLike) -> bool:
    """An instructor of the course who still holds the ``instructor`` role."""
    return is_staff(principal, course.instructor_ids)


def owns(principal: Principal, course: CourseLike) -> bool:
    """The primary instructor, while they hold the ``instructor`` role."""
    return holds_teaching_role(principal) and principal.user_id == course.primary_instructor_id


def is_public(course: CourseLike) -> bool:
    return course.status == CourseStatus.PUBLISHED


def can_see(principal: Principal | None, course: CourseLike) -> bool:
    """Scope: the public sees published courses; their teachers and catalog staff see all."""
    if is_public(course):
        return True
    if principal is None:
        return False
    return (
        teaches(principal, course)
        or principal.has(COURSE_EDIT_ANY)
        or principal.has(COURSE_PUBLISH)
    )


def allows(principal: Principal, course: CourseLike, action: Action) -> bool:
    """Permit, once the course is visible to the principal."""
    if action in {Action.VIEW_AUTHORING, Action.EDIT, Action.SUBMIT}:
        return (
            teaches(principal, course)
            or principal.has(COURSE_EDIT_ANY)
            or (action is Action.VIEW_AUTHORING and principal.has(COURSE_PUBLISH))
        )
    if action is Action.REVIEW:
        return principal.has(COURSE_PUBLISH)
    if action is Action.ARCHIVE:
        return owns(principal, course) or principal.has(COURSE_PUBLISH)
    if action is Action.DELETE:
        return owns(principal, course) or principal.has(COURSE_DELETE_ANY)
    if action in {Action.MANAGE_INSTRUCTORS, Action.TRANSFER}:
        return owns(principal, course) or principal.has(COURSE_EDIT_ANY)
    return False


def sees_every_course(principal: Principal) -> bool:
    """Catalog staff list every course in the authoring views (e.g. the review queue)."""
    return principal.has(COURSE_EDIT_ANY) or principal.has(COURSE_PUBLISH)
