"""Identity's public data: role and permission names, statuses and frozen DTOs.

Other contexts may import this module (ARCHITECTURE.md §3 rule 1). Permission names are stable
strings; services check them with ``principal.require(COURSE_CREATE)``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
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
#: Create, update and delete any organization, and act as its org admin (platform admins).
ORG_MANAGE: Final = "org:manage"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(USER_MANAGE, "List, view, deactivate and reactivate user accounts."),
    Permission(ROLE_ASSIGN, "Assign and remove roles."),
    Permission(
        BOOKING_CONSULT, "Offer consultation slots and run sessions.", frozenset({CONSULTANT})
    ),
    Permission(ORG_MANAGE, "Create, update and delete organizations and manage any of them."),
)


class UserStatus(StrEnum):
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class OrgRole(StrEnum):
    """A member's role in an organization (seed 001 company roles)."""

    ORG_ADMIN = "org_admin"
    MANAGER = "manager"
    LEARNER = "learner"


class InvitationStatus(StrEnum):
    """Where an organization's invitation stands (derived from its dates)."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


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


@dataclass(frozen=True, slots=True)
class OrganizationSummary:
    """An organization (a company) as other contexts may know it."""

    id: uuid.UUID
    name: str
    slug: str
    logo_url: str | None
    primary_colour: str | None
    domains: tuple[str, ...]
    auto_join_verified_domain: bool


@dataclass(frozen=True, slots=True)
class OrganizationMember:
    """A member of an organization, with what a member list shows of the user."""

    org_id: uuid.UUID
    user_id: uuid.UUID
    role: OrgRole
    joined_at: datetime
    invited_by: uuid.UUID | None
    display_name: str
    email: str


@dataclass(frozen=True, slots=True)
class OrganizationMembership:
    """One organization a user belongs to, and the user's role there."""

    organization: OrganizationSummary
    role: OrgRole
    joined_at: datetime


def display_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}".strip()
