"""Organizations (companies): who may create and change them, members and their roles, and
invitations by email. Services return the DTOs of ``identity.data``; they never commit."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.data import (
    OrganizationMember,
    OrganizationMembership,
    OrganizationSummary,
    OrgRole,
    display_name,
)
from campus.identity.models import Organization
from campus.identity.repository import organizations as repo


def summary_of(org: Organization) -> OrganizationSummary:
    return OrganizationSummary(
        id=org.id,
        name=org.name,
        slug=org.slug,
        logo_url=org.logo_url,
        primary_colour=org.primary_colour,
        domains=tuple(org.domains or ()),
        auto_join_verified_domain=org.auto_join_verified_domain,
    )


def member_of(row: repo.MemberRow) -> OrganizationMember:
    return OrganizationMember(
        org_id=row.org_id,
        user_id=row.user_id,
        role=OrgRole(row.role),
        joined_at=row.joined_at,
        invited_by=row.invited_by,
        display_name=display_name(row.first_name, row.last_name),
        email=row.email,
    )


# --------------------------------------------------------------------------- reads (doorway)


async def find(session: AsyncSession, org_id: uuid.UUID) -> OrganizationSummary | None:
    org = await repo.get_organization(session, org_id)
    return summary_of(org) if org else None


async def role_of(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> OrgRole | None:
    role = await repo.member_role(session, org_id, user_id)
    return OrgRole(role) if role else None


async def members(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    search: str | None = None,
    offset: int,
    limit: int,
) -> tuple[list[OrganizationMember], int]:
    rows, total = await repo.members_page(
        session, org_id, search=search, offset=offset, limit=limit
    )
    return [member_of(row) for row in rows], total


async def memberships(session: AsyncSession, user_id: uuid.UUID) -> list[OrganizationMembership]:
    return [
        OrganizationMembership(organization=summary_of(org), role=OrgRole(role), joined_at=at)
        for org, role, at in await repo.memberships_of(session, user_id)
    ]
