"""Identity's public data: role and permission names, statuses and frozen DTOs.

Other contexts may import this module (ARCHITECTURE.md §3 rule 1). Permission names are stable
strings; services check them with ``principal.require(COURSE_CREATE)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission

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
# Each context declares the permissions it checks in its own ``data.py`` (with the built-in
# roles that hold them) and lists them in its ``module.py``; identity stores them all at
# start-up. Administrators hold every permission.

USER_MANAGE: Final = "user:manage"
ROLE_ASSIGN: Final = "role:assign"
#: Held by consultants (the booking context checks it).
BOOKING_CONSULT: Final = "booking:consult"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(USER_MANAGE, "List, view, deactivate and reactivate user accounts."),
    Permission(ROLE_ASSIGN, "Assign and remove roles."),
    Permission(
        BOOKING_CONSULT, "Offer consultation slots and run sessions.", frozenset({CONSULTANT})
    ),
)


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
