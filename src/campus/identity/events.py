"""Events identity publishes through the outbox, with their payloads.

Names are stable. Payloads carry ids and names only: never emails, passwords or tokens.
Ids are strings (UUIDs); handlers load anything else they need through ``identity.api``.
"""

from __future__ import annotations

from typing import Final, TypedDict

USER_REGISTERED: Final = "identity.user_registered"
EMAIL_VERIFIED: Final = "identity.email_verified"
ROLE_ASSIGNED: Final = "identity.role_assigned"
ROLE_REMOVED: Final = "identity.role_removed"
USER_DEACTIVATED: Final = "identity.user_deactivated"
USER_REACTIVATED: Final = "identity.user_reactivated"


class UserRegistered(TypedDict):
    """A new account exists (self-registration, admin CLI or seed)."""

    user_id: str
    first_name: str
    last_name: str
    display_name: str
    roles: list[str]


class EmailVerified(TypedDict):
    """The user proved they own their email address."""

    user_id: str


class RoleAssigned(TypedDict):
    """``role`` was granted to ``user_id``; ``assigned_by`` is the acting admin (or None)."""

    user_id: str
    role: str
    assigned_by: str | None


class RoleRemoved(TypedDict):
    user_id: str
    role: str
    removed_by: str | None


class UserDeactivated(TypedDict):
    """The account can no longer sign in; its sessions were revoked."""

    user_id: str
    deactivated_by: str | None


class UserReactivated(TypedDict):
    user_id: str
    reactivated_by: str | None
