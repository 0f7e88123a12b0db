"""Events identity publishes through the outbox.

Names are stable. Payloads carry ids and names only: never emails, passwords or tokens.
Handlers load anything else they need through ``identity.api``.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Final

from campus.kernel.events import Event


class UserRegistered(Event):
    """A new account exists (self-registration, admin CLI or seed)."""

    name: ClassVar[str] = "identity.user_registered"

    user_id: uuid.UUID
    first_name: str
    last_name: str
    display_name: str
    roles: list[str]


class EmailVerified(Event):
    """The user proved they own their email address."""

    name: ClassVar[str] = "identity.email_verified"

    user_id: uuid.UUID


class RoleAssigned(Event):
    """``role`` was granted to ``user_id``; ``assigned_by`` is the acting admin (or None)."""

    name: ClassVar[str] = "identity.role_assigned"

    user_id: uuid.UUID
    role: str
    assigned_by: uuid.UUID | None


class RoleRemoved(Event):
    """``role`` was taken from ``user_id``; ``removed_by`` is the acting admin (or None)."""

    name: ClassVar[str] = "identity.role_removed"

    user_id: uuid.UUID
    role: str
    removed_by: uuid.UUID | None


class UserDeactivated(Event):
    """The account can no longer sign in; its sessions were revoked."""

    name: ClassVar[str] = "identity.user_deactivated"

    user_id: uuid.UUID
    deactivated_by: uuid.UUID | None


class UserReactivated(Event):
    """The account may sign in again."""

    name: ClassVar[str] = "identity.user_reactivated"

    user_id: uuid.UUID
    reactivated_by: uuid.UUID | None


class OrgMemberAdded(Event):
    """``user_id`` joined organization ``org_id`` as ``role`` (an accepted invitation, an
    automatic join on a verified company email, or a platform admin's choice)."""

    name: ClassVar[str] = "identity.org_member_added"

    org_id: uuid.UUID
    user_id: uuid.UUID
    role: str


class OrgMemberRemoved(Event):
    """``user_id`` left organization ``org_id``; ``removed_by`` is who removed them (themselves
    when they left)."""

    name: ClassVar[str] = "identity.org_member_removed"

    org_id: uuid.UUID
    user_id: uuid.UUID
    removed_by: uuid.UUID | None


#: Jobs identity enqueues for itself. Their payloads hold an email key, so they are enqueued
#: ``sensitive`` (wiped once done).
RESET_LINK_JOB: Final = "identity.send_password_reset"
VERIFICATION_RESEND_JOB: Final = "identity.resend_verification"
