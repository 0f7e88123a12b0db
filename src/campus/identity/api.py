"""Identity's doorway: the only functions other contexts, the CLI and the composition root may
call (with ``data`` for DTOs and permission names, and ``events`` for event payloads)."""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Collection, Iterable

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity.data import (
    ADMIN,
    BUILTIN_ROLES,
    DEFAULT_ROLE,
    INSTRUCTOR,
    InstructorSummary,
    OrganizationMember,
    OrganizationMembership,
    OrganizationSummary,
    OrgRole,
    UserStatus,
    UserSummary,
    display_name,
)
from campus.identity.models import UserSettings
from campus.identity.repository import directory as directory_repo
from campus.identity.repository import organizations as organizations_repo
from campus.identity.repository import users as users_repo
from campus.identity.service import organizations, passwords, registration
from campus.identity.service.token_verifier import AccessTokenVerifier
from campus.identity.service.validation import email_key_lenient
from campus.kernel.auth import TokenVerifier
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.logging import get_logger
from campus.kernel.module import Permission

log = get_logger("campus.identity")

__all__ = [
    "create_user",
    "ensure_organization",
    "find_user_ids_by_emails",
    "get_organization",
    "get_organization_by_slug",
    "get_user_summaries",
    "get_user_summary",
    "has_users",
    "instructor_summaries",
    "is_instructor",
    "make_token_verifier",
    "organization_member_ids",
    "organization_members_page",
    "organization_role",
    "organizations_of",
    "preferred_language",
    "preferred_time_zone",
    "role_grants",
    "role_permissions",
    "search_user_ids",
    "set_instructor_profile",
    "sync_role_catalog",
]


def make_token_verifier(settings: Settings) -> TokenVerifier:
    """The bearer-token verifier for ``app.state.token_verifier`` (loads or creates the key,
    and prepares the dummy password hash used for unknown emails at login)."""
    passwords.warm_up()
    return AccessTokenVerifier(settings)


def role_grants(permissions: Iterable[Permission]) -> dict[str, frozenset[str]]:
    """Which built-in role holds which of ``permissions``; administrators hold every one."""
    every = list(permissions)
    grants = {role: frozenset(p.code for p in every if role in p.roles) for role in BUILTIN_ROLES}
    grants[ADMIN] = frozenset(p.code for p in every)
    return grants


async def sync_role_catalog(db: Database, permissions: Iterable[Permission]) -> None:
    """Make sure the built-in roles, every module's ``permissions`` and their grants exist
    (idempotent; run at start-up). Migration 0002 seeds them; this re-adds anything missing (a
    new permission in code, or tables emptied by a test harness). Logs and carries on if the
    schema is not migrated yet."""
    every = list(permissions)
    try:
        async with db.session() as session:
            await directory_repo.sync_role_catalog(
                session,
                BUILTIN_ROLES,
                {p.code: p.description for p in every},
                role_grants(every),
                utcnow(),
            )
    except SQLAlchemyError as exc:
        log.warning("role_catalog_not_synced", error=type(exc).__name__)


async def role_permissions(session: AsyncSession) -> dict[str, frozenset[str]]:
    """The permissions each role holds, as stored (demo data builds principals from it)."""
    return await directory_repo.role_permissions(session)


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    roles: Iterable[str] = (DEFAULT_ROLE,),
    verified: bool = False,
) -> uuid.UUID:
    """Create an account with the password policy of registration. A taken email raises
    ``Conflict`` (409 ``email_taken``); invalid input raises ``ValidationFailed``."""
    return await registration.create_account(
        session,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
        roles=roles,
        verified=verified,
    )


async def get_user_summaries(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, UserSummary]:
    """Summaries of the users that exist among ``ids`` (one query)."""
    found: dict[uuid.UUID, tuple[directory_repo.SummaryRow, set[str]]] = {}
    for row in await directory_repo.summary_rows(session, set(ids)):
        entry = found.setdefault(row.id, (row, set()))
        if row.role is not None:
            entry[1].add(row.role)
    return {
        uid: UserSummary(
            id=uid,
            first_name=row.first_name,
            last_name=row.last_name,
            display_name=display_name(row.first_name, row.last_name),
            email=row.email,
            avatar_url=row.avatar_url,
            roles=frozenset(roles),
            is_active=row.status == UserStatus.ACTIVE,
        )
        for uid, (row, roles) in found.items()
    }


async def get_user_summary(session: AsyncSession, user_id: uuid.UUID) -> UserSummary | None:
    return (await get_user_summaries(session, [user_id])).get(user_id)


async def preferred_language(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The user's language preference (``user_settings.language``, a BCP 47 tag such as
    ``"fr"`` or ``"pt-BR"``); ``None`` for a user without settings (one query)."""
    language: str | None = await session.scalar(
        sa.select(UserSettings.language).where(UserSettings.user_id == user_id)
    )
    return language


async def preferred_time_zone(session: AsyncSession, user_id: uuid.UUID) -> str | None:
    """The user's IANA time zone (``user_settings.time_zone``); ``None`` for a user without
    settings (one query)."""
    zone: str | None = await session.scalar(
        sa.select(UserSettings.time_zone).where(UserSettings.user_id == user_id)
    )
    return zone


async def find_user_ids_by_emails(
    session: AsyncSession, emails: Iterable[str]
) -> dict[str, uuid.UUID]:
    """Account ids by email (one query). Keys are the normalised, lower-case form of each given
    address that has an account (``"Ada@Example.com"`` -> ``"ada@example.com"``)."""
    keys = {email_key_lenient(email) for email in emails}
    return await directory_repo.ids_by_email_keys(session, keys)


#: No name ("first last", 50 + 1 + 50) or email (254) is longer than this.
_SEARCHABLE_MAX = 254
#: Default cap of ``search_user_ids``.
SEARCH_LIMIT = 5000


async def search_user_ids(
    session: AsyncSession,
    text: str,
    *,
    among: Collection[uuid.UUID] | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[uuid.UUID]:
    """Ids of the accounts whose name ("First Last") or email contains ``text``, ignoring case,
    in id order, at most ``limit`` (one query). Every character matches literally (``%`` and
    ``_`` are not wildcards); the text is trimmed and NFC-normalised like stored names. Case is
    folded by the database's ``lower()`` on both sides, every letter on PostgreSQL and on
    SQLite (``campus.kernel.db`` gives SQLite connections a Unicode ``lower()``). With
    ``among``, only those accounts are searched (one bound parameter, whatever their number).
    Text that no name or email can contain (blank, longer than any, or with control
    characters) matches no one without a query."""
    needle = unicodedata.normalize("NFC", text.strip())
    if (
        not needle
        or len(needle) > _SEARCHABLE_MAX
        or any(unicodedata.category(ch) == "Cc" for ch in needle)
        or limit < 1
    ):
        return []
    return await directory_repo.ids_matching(
        session, needle, None if among is None else set(among), limit
    )


async def has_users(session: AsyncSession) -> bool:
    """True once any account exists (first-run detection)."""
    return await users_repo.count_users(session) > 0


async def is_instructor(session: AsyncSession, user_id: uuid.UUID) -> bool:
    return await directory_repo.has_role(session, user_id, INSTRUCTOR)


async def set_instructor_profile(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    headline: str | None = None,
    bio: str | None = None,
    expertise: Iterable[str] = (),
    years_of_experience: int | None = None,
) -> None:
    """Create or replace an instructor profile (seed data, imports). Trusted callers only: the
    user-facing path is ``PATCH /users/me/instructor-profile``."""
    await users_repo.upsert_instructor_profile(
        session,
        user_id,
        {
            "headline": headline,
            "bio": bio,
            "expertise": list(dict.fromkeys(expertise)),
            "years_of_experience": years_of_experience,
        },
        utcnow(),
    )


async def instructor_summaries(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, InstructorSummary]:
    """Public summaries of the active instructors among ``ids`` (one query)."""
    return {
        row.user_id: InstructorSummary(
            user_id=row.user_id,
            display_name=display_name(row.first_name, row.last_name),
            headline=row.headline,
            avatar_url=row.avatar_url,
        )
        for row in await directory_repo.instructor_rows(session, set(ids))
    }


# --------------------------------------------------------------------------- organizations


async def get_organization(session: AsyncSession, org_id: uuid.UUID) -> OrganizationSummary | None:
    """The organization, or None when it does not exist (one query)."""
    return await organizations.find(session, org_id)


async def get_organization_by_slug(session: AsyncSession, slug: str) -> OrganizationSummary | None:
    """The organization with this slug, or None (one query)."""
    return await organizations.find_by_slug(session, slug)


async def ensure_organization(
    session: AsyncSession,
    *,
    name: str,
    slug: str,
    domains: Iterable[str] = (),
    primary_colour: str | None = None,
    members: Iterable[tuple[uuid.UUID, OrgRole]] = (),
) -> OrganizationSummary:
    """Create an organization unless its slug exists and add the given members who are not
    yet members (demo data, imports: trusted callers, no permission checked; idempotent)."""
    return await organizations.ensure_organization(
        session,
        name=name,
        slug=slug,
        domains=domains,
        primary_colour=primary_colour,
        members=members,
    )


async def organization_role(
    session: AsyncSession, org_id: uuid.UUID, user_id: uuid.UUID
) -> OrgRole | None:
    """The user's role in the organization, or None when they are not a member (one query)."""
    return await organizations.role_of(session, org_id, user_id)


async def organization_member_ids(session: AsyncSession, org_id: uuid.UUID) -> list[uuid.UUID]:
    """Ids of every member of the organization, in id order (one query)."""
    return await organizations_repo.member_ids(session, org_id)


async def organization_members_page(
    session: AsyncSession, org_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[OrganizationMember], int]:
    """One page of the organization's members by last and first name, and their total (two
    queries)."""
    return await organizations.members(session, org_id, offset=offset, limit=limit)


async def organizations_of(
    session: AsyncSession, user_id: uuid.UUID
) -> list[OrganizationMembership]:
    """The organizations the user belongs to, by name, with their role there (one query)."""
    return await organizations.memberships(session, user_id)
