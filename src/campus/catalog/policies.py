"""Who may do what with catalog objects. Services call these after scoping (ARCHITECTURE §3.7):
an object the principal cannot see is a 404, a visible one it may not change is a 403."""

from __future__ import annotations

import uuid
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


def teaches(principal: Principal, course: CourseLike) -> bool:
    return principal.user_id in course.instructor_ids


def owns(principal: Principal, course: CourseLike) -> bool:
    return principal.user_id == course.primary_instructor_id


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
