"""Identity's public data: role and permission names, statuses and frozen DTOs.

Other contexts may import this module (ARCHITECTURE.md §3 rule 1). Permission names are stable
strings; services check them with ``principal.require(COURSE_CREATE)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

# --------------------------------------------------------------------------- roles

STUDENT: Final = "student"
INSTRUCTOR: Final = "instructor"
ADMIN: Final = "admin"
CONSULTANT: Final = "consultant"

#: The built-in roles (seeded by migration 0002 and kept in sync at start-up).
BUILTIN_ROLES: Final[dict[str, str]] = {
    STUDENT: "Learner: enrolls in courses and takes assessments.",
    INSTRUCTOR: "Creates and teaches courses.",
    CONSULTANT: "Offers one-to-one consultation sessions.",
    ADMIN: "Administers the platform.",
}

#: Every account gets this role at registration.
DEFAULT_ROLE: Final = STUDENT

# --------------------------------------------------------------------------- permissions

COURSE_CREATE: Final = "course:create"
COURSE_EDIT_ANY: Final = "course:edit_any"
COURSE_PUBLISH: Final = "course:publish"
COURSE_DELETE_ANY: Final = "course:delete_any"
CATEGORY_MANAGE: Final = "category:manage"
ENROLLMENT_GRANT: Final = "enrollment:grant"
ENROLLMENT_MANAGE_ANY: Final = "enrollment:manage_any"
GRADING_ANY: Final = "grading:any"
USER_MANAGE: Final = "user:manage"
ROLE_ASSIGN: Final = "role:assign"
SANDBOX_ADMIN: Final = "sandbox:admin"
BOOKING_CONSULT: Final = "booking:consult"

PERMISSIONS: Final[dict[str, str]] = {
    COURSE_CREATE: "Create courses and edit one's own courses.",
    COURSE_EDIT_ANY: "Edit any course.",
    COURSE_PUBLISH: "Publish and unpublish any course.",
    COURSE_DELETE_ANY: "Delete any course.",
    CATEGORY_MANAGE: "Manage catalog categories and tags.",
    ENROLLMENT_GRANT: "Enroll learners without payment.",
    ENROLLMENT_MANAGE_ANY: "View and change any enrollment.",
    GRADING_ANY: "Grade any submission.",
    USER_MANAGE: "List, view, deactivate and reactivate user accounts.",
    ROLE_ASSIGN: "Assign and remove roles.",
    SANDBOX_ADMIN: "Administer the graded-code sandbox.",
    BOOKING_CONSULT: "Offer consultation slots and run sessions.",
}

ALL_PERMISSIONS: Final[frozenset[str]] = frozenset(PERMISSIONS)

#: Which built-in role grants which permissions. Admin gets every permission.
ROLE_PERMISSIONS: Final[dict[str, frozenset[str]]] = {
    STUDENT: frozenset(),
    INSTRUCTOR: frozenset({COURSE_CREATE}),
    CONSULTANT: frozenset({BOOKING_CONSULT}),
    ADMIN: ALL_PERMISSIONS,
}


class UserStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


# --------------------------------------------------------------------------- DTOs


@dataclass(frozen=True, slots=True)
class UserSummary:
    """What other contexts may know about a user."""

    id: uuid.UUID
    first_name: str
    last_name: str
    display_name: str
    email: str
    avatar_url: str | None
    roles: frozenset[str]
    is_active: bool


@dataclass(frozen=True, slots=True)
class InstructorSummary:
    """A public view of an instructor (for course pages and listings)."""

    user_id: uuid.UUID
    display_name: str
    headline: str | None
    avatar_url: str | None


def display_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()
