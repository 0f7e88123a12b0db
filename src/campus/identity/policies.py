"""Who may do what in identity. Services call these (AC-06): routes are not the only guard."""

from __future__ import annotations

import uuid
from typing import Final

from campus.identity.data import INSTRUCTOR, ORG_MANAGE, ROLE_ASSIGN, USER_MANAGE, OrgRole
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


# --------------------------------------------------------------------------- organizations
#: What a caller may do in one organization, from least to most.
ORG_READ_SELF: Final = 1  # a learner: the organization and their own membership
ORG_READ_MEMBERS: Final = 2  # a manager: the members
ORG_MANAGE_MEMBERS: Final = 3  # an org admin (or a platform admin): everything of it

_ORG_LEVEL: Final[dict[OrgRole, int]] = {
    OrgRole.LEARNER: ORG_READ_SELF,
    OrgRole.MANAGER: ORG_READ_MEMBERS,
    OrgRole.ORG_ADMIN: ORG_MANAGE_MEMBERS,
}


def require_org_creator(principal: Principal) -> None:
    """Creating, deleting and listing every organization is for platform admins."""
    principal.require(ORG_MANAGE)


def org_level(principal: Principal, role: OrgRole | None) -> int:
    """The caller's level in an organization: platform admins manage every one; others by
    their membership (0: not a member, which the service answers with a 404)."""
    if principal.has(ORG_MANAGE):
        return ORG_MANAGE_MEMBERS
    return 0 if role is None else _ORG_LEVEL[role]


def require_org_level(level: int, needed: int) -> None:
    """A member below ``needed`` gets a 403 (they know the organization exists)."""
    if level < needed:
        raise Forbidden(
            "Your role in this organization does not allow this.", code="org_role_required"
        )


def require_slug_changer(principal: Principal) -> None:
    """An organization's slug (its address) is changed by platform admins only."""
    if not principal.has(ORG_MANAGE):
        raise Forbidden("Only platform administrators change a slug.", code="slug_change_denied")
