"""Who may do what in identity. Services call these (AC-06): routes are not the only guard."""

from __future__ import annotations

import uuid

from campus.identity.data import INSTRUCTOR, ROLE_ASSIGN, USER_MANAGE
from campus.kernel.auth import Principal
from campus.kernel.errors import Conflict, Forbidden


def require_user_manager(principal: Principal) -> None:
    principal.require(USER_MANAGE)


def require_role_assigner(principal: Principal) -> None:
    principal.require(ROLE_ASSIGN)


def require_instructor(principal: Principal) -> None:
    if not principal.has_role(INSTRUCTOR):
        raise Forbidden("Only instructors have an instructor profile.", code="not_an_instructor")


def forbid_self(principal: Principal, user_id: uuid.UUID, *, code: str, message: str) -> None:
    """Administrators cannot lock themselves out (deactivate themselves, drop their own admin)."""
    if principal.user_id == user_id:
        raise Conflict(message, code=code)
