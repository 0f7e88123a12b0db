"""Organizations (companies): who may create and change them, members and their roles, and
invitations by email. Services return the DTOs of ``identity.data``; they never commit."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity import events, policies
from campus.identity.data import (
    ORG_MANAGE,
    InvitationStatus,
    OrganizationMember,
    OrganizationMembership,
    OrganizationSummary,
    OrgRole,
    display_name,
)
from campus.identity.exceptions import (
    InvitationClosed,
    InvitationExpired,
    InvitationForSomeoneElse,
    InvitationInvalid,
    InvitationNotFound,
    InvitationRevoked,
    InvitationUsed,
    LastOrgAdmin,
    MemberNotFound,
    OrganizationNotFound,
    SlugTaken,
)
from campus.identity.models import Organization, OrganizationInvitation
from campus.identity.repository import organizations as repo
from campus.identity.service import emails
from campus.identity.service.tokens import hash_opaque, new_opaque_token
from campus.identity.service.validation import normalize_email
from campus.identity.settings import IdentitySettings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.events import publish
from campus.kernel.ids import new_id


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


async def find_by_slug(session: AsyncSession, slug: str) -> OrganizationSummary | None:
    org = await repo.organization_by_slug(session, slug.strip().lower())
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


# --------------------------------------------------------------------------- validation

_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
_SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
_DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
#: At most this many email domains per organization.
MAX_DOMAINS: Final = 20


def clean_slug(value: str, field: str = "slug") -> str:
    slug = value.strip().lower()
    if len(slug) < 2 or not _SLUG.match(slug):
        raise field_error(
            field,
            "2 to 60 lower-case letters, digits and hyphens, not starting or ending with one.",
        )
    return slug


def clean_colour(value: str | None, field: str = "primaryColour") -> str | None:
    """``#rrggbb`` (stored lower-case); None clears it."""
    if value is None:
        return None
    colour = value.strip().lower()
    if not _COLOUR.match(colour):
        raise field_error(field, "A colour is written #rrggbb (six hexadecimal digits).")
    return colour


def clean_domain(value: str) -> str:
    """A lower-case DNS name with at least two labels (``example.com``); internationalised
    names are stored in their ASCII (IDNA) form, as email addresses are compared."""
    raw = value.strip().rstrip(".").lower()
    try:
        domain = raw.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError("is not a domain name") from exc
    labels = domain.split(".")
    if (
        len(domain) > 253
        or len(labels) < 2
        or not all(_DOMAIN_LABEL.match(label) for label in labels)
        or labels[-1].isdigit()
    ):
        raise ValueError("is not a domain name")
    return domain


def clean_domains(values: Iterable[str], field: str = "domains") -> list[str]:
    found: list[str] = []
    for value in values:
        try:
            domain = clean_domain(value)
        except ValueError as exc:
            raise field_error(field, f"{value!r} {exc}.", code="invalid_domain") from exc
        if domain not in found:
            found.append(domain)
    if len(found) > MAX_DOMAINS:
        raise field_error(field, f"At most {MAX_DOMAINS} domains.", code="too_many")
    return found


def domain_of(email_key: str) -> str:
    return email_key.rpartition("@")[2]


# --------------------------------------------------------------------------- organizations


@dataclass(frozen=True, slots=True)
class OrganizationChanges:
    """Fields to change; only those named in ``fields`` are applied (None clears)."""

    fields: frozenset[str]
    name: str | None = None
    slug: str | None = None
    logo_url: str | None = None
    primary_colour: str | None = None
    domains: tuple[str, ...] = ()
    auto_join_verified_domain: bool | None = None


async def _org_or_404(session: AsyncSession, org_id: uuid.UUID) -> Organization:
    org = await repo.get_organization(session, org_id)
    if org is None:
        raise OrganizationNotFound()
    return org


async def _access(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, needed: int
) -> Organization:
    """The organization if the caller reaches ``needed``. Not a member (and not a platform
    admin): 404, the same answer as for an organization that does not exist."""
    org = await _org_or_404(session, org_id)
    level = policies.org_level(principal, await role_of(session, org_id, principal.user_id))
    if level == 0:
        raise OrganizationNotFound()
    policies.require_org_level(level, needed)
    return org


async def create(
    session: AsyncSession,
    principal: Principal,
    *,
    name: str,
    slug: str,
    logo_url: str | None = None,
    primary_colour: str | None = None,
    domains: Iterable[str] = (),
    auto_join_verified_domain: bool = False,
    admin_user_id: uuid.UUID | None = None,
) -> OrganizationSummary:
    """A platform admin creates an organization, optionally with its first org admin."""
    policies.require_org_creator(principal)
    now = utcnow()
    org_id = new_id()
    values = {
        "id": org_id,
        "name": name,
        "slug": clean_slug(slug),
        "logo_url": logo_url,
        "primary_colour": clean_colour(primary_colour),
        "domains": clean_domains(domains),
        "auto_join_verified_domain": auto_join_verified_domain,
        "created_at": now,
        "updated_at": now,
    }
    if not await repo.insert_organization(session, values):
        raise SlugTaken(details={"slug": values["slug"]})
    if admin_user_id is not None:
        await _add(
            session,
            org_id,
            admin_user_id,
            OrgRole.ORG_ADMIN,
            invited_by=principal.user_id,
            field="adminUserId",
        )
    created = await find(session, org_id)
    assert created is not None
    return created


async def get(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID
) -> OrganizationSummary:
    return summary_of(await _access(session, principal, org_id, policies.ORG_READ_SELF))


async def list_all(
    session: AsyncSession, principal: Principal, *, search: str | None, offset: int, limit: int
) -> tuple[list[OrganizationSummary], int]:
    policies.require_org_creator(principal)
    rows, total = await repo.list_organizations(session, search=search, offset=offset, limit=limit)
    return [summary_of(org) for org in rows], total


async def update(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, changes: OrganizationChanges
) -> OrganizationSummary:
    """Org admins change the name, branding, domains and auto-join; the slug is a platform
    admin's. A slug taken by another organization is a 409 decided by the unique constraint."""
    await _access(session, principal, org_id, policies.ORG_MANAGE_MEMBERS)
    values: dict[str, object] = {}
    if "name" in changes.fields and changes.name is not None:
        values["name"] = changes.name
    if "slug" in changes.fields and changes.slug is not None:
        policies.require_slug_changer(principal)
        values["slug"] = clean_slug(changes.slug)
    if "logo_url" in changes.fields:
        values["logo_url"] = changes.logo_url
    if "primary_colour" in changes.fields:
        values["primary_colour"] = clean_colour(changes.primary_colour)
    if "domains" in changes.fields:
        values["domains"] = clean_domains(changes.domains)
    if "auto_join_verified_domain" in changes.fields and (
        changes.auto_join_verified_domain is not None
    ):
        values["auto_join_verified_domain"] = changes.auto_join_verified_domain
    if values and not await repo.update_organization(
        session, org_id, {**values, "updated_at": utcnow()}
    ):
        raise SlugTaken(details={"slug": values.get("slug")})
    updated = await find(session, org_id)
    if updated is None:  # deleted meanwhile
        raise OrganizationNotFound()
    return updated


async def delete(session: AsyncSession, principal: Principal, org_id: uuid.UUID) -> None:
    """Platform admins only; to anyone else outside the organization it does not exist."""
    if not principal.has(ORG_MANAGE):
        await _access(session, principal, org_id, policies.ORG_READ_SELF)
    policies.require_org_creator(principal)
    if not await repo.delete_organization(session, org_id):
        raise OrganizationNotFound()


# --------------------------------------------------------------------------- members


async def _add(
    session: AsyncSession,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    role: OrgRole,
    *,
    invited_by: uuid.UUID | None,
    field: str | None = None,
) -> bool:
    """Add a member and publish ``identity.org_member_added``; False if already one."""
    if field is not None and not await repo.user_exists(session, user_id):
        raise field_error(field, "No such user.", code="unknown_user")
    added = await repo.add_member(
        session, org_id, user_id, role.value, invited_by=invited_by, now=utcnow()
    )
    if added:
        await publish(
            session, events.OrgMemberAdded(org_id=org_id, user_id=user_id, role=role.value)
        )
    return added


async def list_members(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    search: str | None,
    offset: int,
    limit: int,
) -> tuple[list[OrganizationMember], int]:
    await _access(session, principal, org_id, policies.ORG_READ_MEMBERS)
    return await members(session, org_id, search=search, offset=offset, limit=limit)


async def get_member(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, user_id: uuid.UUID
) -> OrganizationMember:
    """Managers and admins read any member; a learner reads their own membership only."""
    needed = policies.ORG_READ_SELF if user_id == principal.user_id else policies.ORG_READ_MEMBERS
    await _access(session, principal, org_id, needed)
    row = await repo.member(session, org_id, user_id)
    if row is None:
        raise MemberNotFound()
    return member_of(row)


async def change_role(
    session: AsyncSession,
    principal: Principal,
    org_id: uuid.UUID,
    user_id: uuid.UUID,
    role: OrgRole,
) -> OrganizationMember:
    """An org admin changes a member's role. The organization keeps at least one org admin:
    the change is one conditional ``UPDATE`` run with the organization's row locked, so two
    admins demoting each other at once cannot both succeed."""
    # The lock first: the caller's own role is then read after any change that committed
    # before, so an admin demoted a moment ago can no longer act.
    await repo.lock_organization(session, org_id)
    await _access(session, principal, org_id, policies.ORG_MANAGE_MEMBERS)
    if not await repo.change_role(session, org_id, user_id, role.value):
        if await repo.member_role(session, org_id, user_id) is None:
            raise MemberNotFound()
        raise LastOrgAdmin()
    row = await repo.member(session, org_id, user_id)
    assert row is not None
    return member_of(row)


async def remove_member(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """An org admin removes a member, or a member leaves; never the last org admin."""
    needed = policies.ORG_READ_SELF if user_id == principal.user_id else policies.ORG_MANAGE_MEMBERS
    await repo.lock_organization(session, org_id)  # first, as in change_role
    await _access(session, principal, org_id, needed)
    if not await repo.remove_member(session, org_id, user_id):
        if await repo.member_role(session, org_id, user_id) is None:
            raise MemberNotFound()
        raise LastOrgAdmin()
    await publish(
        session,
        events.OrgMemberRemoved(org_id=org_id, user_id=user_id, removed_by=principal.user_id),
    )


async def my_memberships(
    session: AsyncSession, principal: Principal
) -> list[OrganizationMembership]:
    return await memberships(session, principal.user_id)


# --------------------------------------------------------------------------- invitations


@dataclass(frozen=True, slots=True)
class InvitationRecord:
    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    role: OrgRole
    status: InvitationStatus
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None
    invited_by: uuid.UUID | None
    created_at: datetime


def _status(invitation: OrganizationInvitation, now: datetime) -> InvitationStatus:
    if invitation.accepted_at is not None:
        return InvitationStatus.ACCEPTED
    if invitation.revoked_at is not None:
        return InvitationStatus.REVOKED
    if invitation.expires_at <= now:
        return InvitationStatus.EXPIRED
    return InvitationStatus.PENDING


def invitation_of(invitation: OrganizationInvitation, now: datetime) -> InvitationRecord:
    return InvitationRecord(
        id=invitation.id,
        org_id=invitation.org_id,
        email=invitation.email,
        role=OrgRole(invitation.role),
        status=_status(invitation, now),
        expires_at=invitation.expires_at,
        accepted_at=invitation.accepted_at,
        revoked_at=invitation.revoked_at,
        invited_by=invitation.invited_by,
        created_at=invitation.created_at,
    )


async def invite(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    org_id: uuid.UUID,
    *,
    email: str,
    role: OrgRole,
) -> InvitationRecord:
    """An org admin invites someone by email: a single-use link that expires after
    ``CAMPUS_ORG_INVITATION_TTL_HOURS``. Only the token's SHA-256 is stored."""
    org = await _access(session, principal, org_id, policies.ORG_MANAGE_MEMBERS)
    try:
        address = normalize_email(email)
    except ValueError as exc:
        raise field_error("email", str(exc)) from exc
    now = utcnow()
    raw, token_hash = new_opaque_token()
    ttl = timedelta(hours=IdentitySettings.of(settings).org_invitation_ttl_hours)
    invitation_id = new_id()
    await repo.insert_invitation(
        session,
        {
            "id": invitation_id,
            "org_id": org_id,
            "email": address.key,
            "role": role.value,
            "token_hash": token_hash,
            "expires_at": now + ttl,
            "invited_by": principal.user_id,
            "created_at": now,
        },
    )
    await emails.send_org_invitation(
        session,
        settings,
        to=address.email,
        organization=org.name,
        role=role.value,
        token=raw,
        expires_at=now + ttl,
    )
    found = await repo.get_invitation(session, org_id, invitation_id)
    assert found is not None
    return invitation_of(found, now)


async def list_invitations(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[InvitationRecord], int]:
    await _access(session, principal, org_id, policies.ORG_MANAGE_MEMBERS)
    rows, total = await repo.invitations_page(session, org_id, offset=offset, limit=limit)
    now = utcnow()
    return [invitation_of(row, now) for row in rows], total


async def revoke_invitation(
    session: AsyncSession, principal: Principal, org_id: uuid.UUID, invitation_id: uuid.UUID
) -> None:
    await _access(session, principal, org_id, policies.ORG_MANAGE_MEMBERS)
    if not await repo.revoke_invitation(session, org_id, invitation_id, utcnow()):
        if await repo.get_invitation(session, org_id, invitation_id) is None:
            raise InvitationNotFound()
        raise InvitationClosed()


async def accept_invitation(
    session: AsyncSession, principal: Principal, token: str
) -> OrganizationMembership:
    """The signed-in user whose verified email is the invited address joins (ADR 0032). The
    invitation is taken by one conditional ``UPDATE``: a link works once, also when it is
    opened twice at the same moment."""
    invitation = await repo.invitation_by_token(session, hash_opaque(token))
    if invitation is None:
        raise InvitationInvalid()
    now = utcnow()
    _refuse_closed(invitation, now)
    email_key = await repo.verified_email_of(session, principal.user_id)
    if email_key is None:
        raise Forbidden(
            "Verify your email address before joining an organization.", code="email_unverified"
        )
    if email_key != invitation.email:
        raise InvitationForSomeoneElse()
    if not await repo.take_invitation(session, invitation.id, principal.user_id, now):
        raise InvitationUsed()  # taken by a concurrent acceptance
    await _add(
        session,
        invitation.org_id,
        principal.user_id,
        OrgRole(invitation.role),
        invited_by=invitation.invited_by,
    )
    for membership in await memberships(session, principal.user_id):
        if membership.organization.id == invitation.org_id:
            return membership
    raise OrganizationNotFound()  # deleted meanwhile


@dataclass(frozen=True, slots=True)
class InvitationPreview:
    """What the invitation link's page shows: whose invitation, as what, and whether it can
    still be accepted."""

    organization: str
    role: OrgRole
    status: InvitationStatus
    expires_at: datetime


async def preview_invitation(session: AsyncSession, token: str) -> InvitationPreview | None:
    """The invitation a link's token names, without using it (None when unknown)."""
    invitation = await repo.invitation_by_token(session, hash_opaque(token))
    if invitation is None:
        return None
    org = await repo.get_organization(session, invitation.org_id)
    if org is None:
        return None
    return InvitationPreview(
        organization=org.name,
        role=OrgRole(invitation.role),
        status=_status(invitation, utcnow()),
        expires_at=invitation.expires_at,
    )


def _refuse_closed(invitation: OrganizationInvitation, now: datetime) -> None:
    status = _status(invitation, now)
    if status is InvitationStatus.ACCEPTED:
        raise InvitationUsed()
    if status is InvitationStatus.REVOKED:
        raise InvitationRevoked()
    if status is InvitationStatus.EXPIRED:
        raise InvitationExpired()


# --------------------------------------------------------------------------- auto-join


async def join_by_verified_email(
    session: AsyncSession, user_id: uuid.UUID, email_key: str
) -> list[uuid.UUID]:
    """Called when a user's email is verified: they join, as learners, the organizations that
    list the email's domain and enable auto-join. Existing memberships are left as they are.
    Returns the organizations joined."""
    joined = []
    for org_id in await repo.auto_join_organizations(session, domain_of(email_key)):
        if await _add(session, org_id, user_id, OrgRole.LEARNER, invited_by=None):
            joined.append(org_id)
    return joined


# --------------------------------------------------------------------------- trusted callers


async def ensure_organization(
    session: AsyncSession,
    *,
    name: str,
    slug: str,
    domains: Iterable[str] = (),
    primary_colour: str | None = None,
    members: Iterable[tuple[uuid.UUID, OrgRole]] = (),
) -> OrganizationSummary:
    """Create the organization unless its slug exists, and add the members who are not yet
    (demo data; no permission checked). Idempotent: existing rows are kept as they are."""
    now = utcnow()
    await repo.insert_organization(
        session,
        {
            "id": new_id(),
            "name": name,
            "slug": clean_slug(slug),
            "primary_colour": clean_colour(primary_colour),
            "domains": clean_domains(domains),
            "auto_join_verified_domain": False,
            "created_at": now,
            "updated_at": now,
        },
    )
    org = await find_by_slug(session, slug)
    assert org is not None
    for user_id, role in members:
        await _add(session, org.id, user_id, role, invited_by=None)
    return org
