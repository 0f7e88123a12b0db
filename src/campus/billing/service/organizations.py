"""Who manages an organization's subscriptions: its org admins (identity's roles), and
platform admins holding ``org:manage``."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity import api as identity
from campus.identity.data import ORG_MANAGE, OrgRole
from campus.kernel.auth import Principal
from campus.kernel.errors import Forbidden, NotFound


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    message = "The organization was not found."


async def require_org_admin(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> None:
    """403 for members who are not org admins, 404 for everyone outside the organization."""
    if principal.has(ORG_MANAGE):
        if await identity.get_organization(session, organization_id) is None:
            raise OrganizationNotFound()
        return
    role = await identity.organization_role(session, organization_id, principal.user_id)
    if role is None:
        raise OrganizationNotFound()
    if role is not OrgRole.ORG_ADMIN:
        raise Forbidden(code="org_admin_required", message="Only the organization's admins may.")
