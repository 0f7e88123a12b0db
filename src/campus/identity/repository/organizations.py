"""Organizations, their members and their invitations: every query.

Nothing here reads before it writes to decide: a taken slug is the unique constraint's answer
(in a savepoint), a second membership is ``ON CONFLICT DO NOTHING``, an invitation is taken
by one conditional ``UPDATE``, and the last-admin guard is one conditional statement run while
the organization's row is locked.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.data import OrgRole, UserStatus
from campus.identity.models import (
    Organization,
    OrganizationInvitation,
    OrganizationMember,
    User,
)
from campus.kernel.db import dialect_insert, rowcount

_ADMIN = OrgRole.ORG_ADMIN.value

# --------------------------------------------------------------------------- organizations


async def insert_organization(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert an organization; False when its slug is taken (the unique constraint decides)."""
    result = await session.execute(
        dialect_insert(session, Organization)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["slug"])
    )
    return rowcount(result) == 1


async def update_organization(
    session: AsyncSession, org_id: uuid.UUID, values: dict[str, Any]
) -> bool:
    """Change an organization; False when a new slug is taken (decided by the unique
    constraint in a savepoint, so a concurrent rename cannot slip through)."""
    try:
        async with session.begin_nested():
            await session.execute(
                sa.update(Organization)
                .where(Organization.id == org_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    except IntegrityError:
        return False
    return True


async def delete_organization(session: AsyncSession, org_id: uuid.UUID) -> bool:
    result = await session.execute(sa.delete(Organization).where(Organization.id == org_id))
    return rowcount(result) == 1


async def get_organization(session: AsyncSession, org_id: uuid.UUID) -> Organization | None:
    return await session.scalar(sa.select(Organization).where(Organization.id == org_id))


async def organization_by_slug(session: AsyncSession, slug: str) -> Organization | None:
    return await session.scalar(sa.select(Organization).where(Organization.slug == slug))


async def list_organizations(
    session: AsyncSession, *, search: str | None, offset: int, limit: int
) -> tuple[Sequence[Organization], int]:
    conditions: list[sa.ColumnElement[bool]] = []
    if search:
        needle = search.lower()
        conditions.append(
            sa.or_(
                sa.func.lower(Organization.name).contains(needle, autoescape=True),
                Organization.slug.contains(needle, autoescape=True),
            )
        )
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(Organization).where(*conditions)
    )
    rows = await session.scalars(
        sa.select(Organization)
        .where(*conditions)
        .order_by(Organization.name, Organization.id)
        .offset(offset)
        .limit(limit)
    )
    return rows.all(), int(total or 0)


async def auto_join_organizations(session: AsyncSession, domain: str) -> list[uuid.UUID]:
    """Ids of the organizations that let users of ``domain`` join on a verified email. The
    domains are a short JSON list per organization, so they are matched here, not in SQL (a
    JSON containment test differs between the two databases)."""
    rows = await session.execute(
        sa.select(Organization.id, Organization.domains).where(
            Organization.auto_join_verified_domain.is_(True)
        )
    )
    return [org_id for org_id, domains in rows.all() if domain in (domains or [])]


# --------------------------------------------------------------------------- members


@dataclass(frozen=True, slots=True)
class MemberRow:
    org_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    joined_at: datetime
    invited_by: uuid.UUID | None
    first_name: str
    last_name: str
    email: str


def _members() -> sa.Select[*tuple[Any, ...]]:
    return sa.select(
        OrganizationMember.org_id,
        OrganizationMember.user_id,
        OrganizationMember.role,
        OrganizationMember.joined_at,
        OrganizationMember.invited_by,
        User.first_name,
        User.last_name,
        User.email,
    ).join(User, User.id == OrganizationMember.user_id)


async def add_member(
    session: AsyncSession,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    role: str,
    *,
    invited_by: uuid.UUID | None,
    now: datetime,
) -> bool:
    """Add a member; False when the user already is one (their role is left as it is)."""
    result = await session.execute(
        dialect_insert(session, OrganizationMember)
        .values(org_id=org_id, user_id=user_id, role=role, joined_at=now, invited_by=invited_by)
        .on_conflict_do_nothing(index_elements=["org_id", "user_id"])
    )
    return rowcount(result) == 1


async def member_role(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> str | None:
    return await session.scalar(
        sa.select(OrganizationMember.role).where(
            OrganizationMember.org_id == org_id, OrganizationMember.user_id == user_id
        )
    )


async def member(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> MemberRow | None:
    row = (
        await session.execute(
            _members().where(
                OrganizationMember.org_id == org_id, OrganizationMember.user_id == user_id
            )
        )
    ).first()
    return MemberRow(*row) if row else None


async def members_page(
    session: AsyncSession,
    org_id: uuid.UUID,
    *,
    search: str | None = None,
    role: str | None = None,
    offset: int,
    limit: int,
) -> tuple[list[MemberRow], int]:
    conditions: list[sa.ColumnElement[bool]] = [OrganizationMember.org_id == org_id]
    if search:
        needle = search.lower()
        conditions.append(
            sa.or_(
                sa.func.lower(User.first_name).contains(needle, autoescape=True),
                sa.func.lower(User.last_name).contains(needle, autoescape=True),
                User.email_key.contains(needle, autoescape=True),
            )
        )
    if role:
        conditions.append(OrganizationMember.role == role)
    total = await session.scalar(
        sa.select(sa.func.count())
        .select_from(OrganizationMember)
        .join(User, User.id == OrganizationMember.user_id)
        .where(*conditions)
    )
    stmt = (
        _members()
        .where(*conditions)
        .order_by(User.last_name, User.first_name, OrganizationMember.user_id)
        .offset(offset)
        .limit(limit)
    )
    rows = [MemberRow(*row) for row in (await session.execute(stmt)).all()]
    return rows, int(total or 0)


async def member_ids(session: AsyncSession, org_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.scalars(
        sa.select(OrganizationMember.user_id)
        .where(OrganizationMember.org_id == org_id)
        .order_by(OrganizationMember.user_id)
    )
    return list(rows.all())


async def memberships_of(
    session: AsyncSession, user_id: uuid.UUID
) -> list[tuple[Organization, str, datetime]]:
    rows = await session.execute(
        sa.select(Organization, OrganizationMember.role, OrganizationMember.joined_at)
        .join(OrganizationMember, OrganizationMember.org_id == Organization.id)
        .where(OrganizationMember.user_id == user_id)
        .order_by(Organization.name, Organization.id)
    )
    return [(org, role, joined_at) for org, role, joined_at in rows.all()]


async def lock_organization(session: AsyncSession, org_id: uuid.UUID) -> bool:
    """Lock the organization's row until the transaction ends (PostgreSQL ``FOR UPDATE``;
    SQLite runs one writer at a time). Changes of roles and removals of one organization take
    this lock, so each sees the admins the previous one left. False if it does not exist."""
    found = await session.scalar(
        sa.select(Organization.id).where(Organization.id == org_id).with_for_update()
    )
    return found is not None


def _keeps_an_admin(org_id: uuid.UUID, user_id: uuid.UUID) -> sa.ColumnElement[bool]:
    """The row is not an org admin, or another org admin of the organization remains."""
    other_admin = (
        sa.select(OrganizationMember.user_id)
        .where(
            OrganizationMember.org_id == org_id,
            OrganizationMember.role == _ADMIN,
            OrganizationMember.user_id != user_id,
        )
        .exists()
    )
    return sa.or_(OrganizationMember.role != _ADMIN, other_admin)


async def change_role(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> bool:
    """Set a member's role unless that leaves the organization without an org admin (one
    conditional ``UPDATE``; call with the organization locked). False when refused or when
    the user is not a member."""
    condition = sa.true() if role == _ADMIN else _keeps_an_admin(org_id, user_id)
    result = await session.execute(
        sa.update(OrganizationMember)
        .where(
            OrganizationMember.org_id == org_id,
            OrganizationMember.user_id == user_id,
            condition,
        )
        .values(role=role)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def remove_member(session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    """Remove a member unless they are the last org admin (one conditional ``DELETE``; call
    with the organization locked). False when refused or when the user is not a member."""
    result = await session.execute(
        sa.delete(OrganizationMember).where(
            OrganizationMember.org_id == org_id,
            OrganizationMember.user_id == user_id,
            _keeps_an_admin(org_id, user_id),
        )
    )
    return rowcount(result) == 1


# --------------------------------------------------------------------------- invitations


async def insert_invitation(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(OrganizationInvitation).values(**values))


async def get_invitation(
    session: AsyncSession, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> OrganizationInvitation | None:
    return await session.scalar(
        sa.select(OrganizationInvitation).where(
            OrganizationInvitation.id == invitation_id, OrganizationInvitation.org_id == org_id
        )
    )


async def invitation_by_token(
    session: AsyncSession, token_hash: str
) -> OrganizationInvitation | None:
    return await session.scalar(
        sa.select(OrganizationInvitation).where(OrganizationInvitation.token_hash == token_hash)
    )


async def invitations_page(
    session: AsyncSession, org_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[Sequence[OrganizationInvitation], int]:
    total = await session.scalar(
        sa.select(sa.func.count())
        .select_from(OrganizationInvitation)
        .where(OrganizationInvitation.org_id == org_id)
    )
    rows = await session.scalars(
        sa.select(OrganizationInvitation)
        .where(OrganizationInvitation.org_id == org_id)
        .order_by(OrganizationInvitation.created_at.desc(), OrganizationInvitation.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return rows.all(), int(total or 0)


async def take_invitation(
    session: AsyncSession, invitation_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """Mark an invitation accepted if it is still open (one conditional ``UPDATE``: of two
    acceptances of one link, one wins)."""
    result = await session.execute(
        sa.update(OrganizationInvitation)
        .where(
            OrganizationInvitation.id == invitation_id,
            OrganizationInvitation.accepted_at.is_(None),
            OrganizationInvitation.revoked_at.is_(None),
            OrganizationInvitation.expires_at > now,
        )
        .values(accepted_at=now, accepted_by=user_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def revoke_invitation(
    session: AsyncSession, org_id: uuid.UUID, invitation_id: uuid.UUID, now: datetime
) -> bool:
    """Revoke an open invitation (accepted or already revoked ones are left as they are)."""
    result = await session.execute(
        sa.update(OrganizationInvitation)
        .where(
            OrganizationInvitation.id == invitation_id,
            OrganizationInvitation.org_id == org_id,
            OrganizationInvitation.accepted_at.is_(None),
            OrganizationInvitation.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def verified_email_of(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The user's normalised email when it is verified and the account active."""
    return await session.scalar(
        sa.select(User.email_key).where(
            User.id == user_id,
            User.email_verified_at.is_not(None),
            User.status == UserStatus.ACTIVE.value,
        )
    )


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return await session.scalar(sa.select(User.id).where(User.id == user_id)) is not None
