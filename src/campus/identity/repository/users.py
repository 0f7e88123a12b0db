"""Accounts, profiles, settings, roles, and the token verifier's one query."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.data import ADMIN, UserStatus
from campus.identity.models import (
    InstructorProfile,
    MfaTotp,
    RolePermission,
    User,
    UserProfile,
    UserRole,
    UserSession,
    UserSettings,
)
from campus.kernel.db import dialect_insert
from campus.kernel.ids import new_id

# --------------------------------------------------------------------------- the verifier


# Built once: every authenticated request runs it, and constructing the statement costs more
# Python than executing it.
_PRINCIPAL_ROWS = (
    sa.select(
        User.status,
        User.token_version,
        UserRole.role_name,
        RolePermission.permission_name,
        User.email_verified_at.is_not(None),
    )
    .select_from(User)
    .join(
        UserSession,
        sa.and_(
            UserSession.id == sa.bindparam("session_id"),
            UserSession.user_id == User.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > sa.bindparam("now"),
        ),
    )
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(RolePermission, RolePermission.role_name == UserRole.role_name)
    .where(User.id == sa.bindparam("user_id"))
)


async def load_principal_rows(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> list[tuple[str, int, str | None, str | None, bool]]:
    """One query: the user's status, token version and whether the email is verified (only if
    the session is live), with one row per (role, permission)."""
    params = {"user_id": user_id, "session_id": session_id, "now": now}
    return list((await session.execute(_PRINCIPAL_ROWS, params)).all())


# The same rows and conditions, with the account record's user, profile, settings and MFA
# state on each: ``GET /users/me`` resolves its caller and reads the account in one statement.
# The user, profile and settings repeat on every (role, permission) row; the identity map
# builds each of them once.
_PRINCIPAL_WITH_ACCOUNT = (
    sa.select(
        User,
        UserProfile,
        UserSettings,
        MfaTotp.confirmed_at,
        UserRole.role_name,
        RolePermission.permission_name,
    )
    .select_from(User)
    .join(
        UserSession,
        sa.and_(
            UserSession.id == sa.bindparam("session_id"),
            UserSession.user_id == User.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > sa.bindparam("now"),
        ),
    )
    .outerjoin(UserProfile, UserProfile.user_id == User.id)
    .outerjoin(UserSettings, UserSettings.user_id == User.id)
    .outerjoin(MfaTotp, MfaTotp.user_id == User.id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(RolePermission, RolePermission.role_name == UserRole.role_name)
    .where(User.id == sa.bindparam("user_id"))
    .execution_options(populate_existing=True)
)


@dataclass(frozen=True, slots=True)
class PrincipalAccount:
    """What ``load_principal_with_account`` found: the principal's facts and the account."""

    status: str
    token_version: int
    email_verified: bool
    roles: frozenset[str]
    permissions: frozenset[str]
    record: AccountRecord


async def load_principal_with_account(
    session: AsyncSession, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> PrincipalAccount | None:
    """``load_principal_rows`` and ``account_record`` in one statement; ``None`` when the user
    does not exist or the session is not live."""
    params = {"user_id": user_id, "session_id": session_id, "now": now}
    rows = (await session.execute(_PRINCIPAL_WITH_ACCOUNT, params)).all()
    if not rows:
        return None
    user, profile, settings, mfa_confirmed, _, _ = rows[0]
    return PrincipalAccount(
        status=user.status,
        token_version=user.token_version,
        email_verified=user.email_verified_at is not None,
        roles=frozenset(row[4] for row in rows if row[4] is not None),
        permissions=frozenset(row[5] for row in rows if row[5] is not None),
        record=AccountRecord(user, profile, settings, mfa_confirmed is not None),
    )


# --------------------------------------------------------------------------- accounts


@dataclass(frozen=True, slots=True)
class Account:
    id: uuid.UUID
    email: str
    email_key: str
    first_name: str
    last_name: str
    password_hash: str
    status: str
    token_version: int
    email_verified_at: datetime | None
    mfa_enabled: bool
    is_admin: bool

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE


def _account_query() -> sa.Select[*tuple[Any, ...]]:
    is_admin = (
        sa.exists()
        .where(UserRole.user_id == User.id, UserRole.role_name == ADMIN)
        .correlate(User)
        .label("is_admin")
    )
    return sa.select(
        User.id,
        User.email,
        User.email_key,
        User.first_name,
        User.last_name,
        User.password_hash,
        User.status,
        User.token_version,
        User.email_verified_at,
        MfaTotp.confirmed_at.is_not(None).label("mfa_enabled"),
        is_admin,
    ).outerjoin(MfaTotp, MfaTotp.user_id == User.id)


def _account(row: Any) -> Account:
    return Account(
        id=row.id,
        email=row.email,
        email_key=row.email_key,
        first_name=row.first_name,
        last_name=row.last_name,
        password_hash=row.password_hash,
        status=row.status,
        token_version=row.token_version,
        email_verified_at=row.email_verified_at,
        mfa_enabled=bool(row.mfa_enabled),
        is_admin=bool(row.is_admin),
    )


async def account_by_email_key(session: AsyncSession, email_key: str) -> Account | None:
    row = (await session.execute(_account_query().where(User.email_key == email_key))).first()
    return _account(row) if row else None


async def account_by_id(session: AsyncSession, user_id: uuid.UUID) -> Account | None:
    row = (await session.execute(_account_query().where(User.id == user_id))).first()
    return _account(row) if row else None


async def insert_user(
    session: AsyncSession,
    *,
    email: str,
    email_key: str,
    first_name: str,
    last_name: str,
    password_hash: str,
    date_of_birth: date | None,
    verified_at: datetime | None,
    now: datetime,
) -> uuid.UUID | None:
    """Insert an account; None when the email key is taken (no check-then-act)."""
    stmt = (
        dialect_insert(session, User)
        .values(
            id=new_id(),
            email=email,
            email_key=email_key,
            first_name=first_name,
            last_name=last_name,
            password_hash=password_hash,
            date_of_birth=date_of_birth,
            email_verified_at=verified_at,
            status=UserStatus.ACTIVE.value,
            token_version=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[User.email_key])
        .returning(User.id)
    )
    result: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return result


async def insert_user_defaults(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    phone: str | None,
    language: str | None,
    now: datetime,
) -> None:
    profile: dict[str, Any] = {"user_id": user_id, "social_links": {}, "phone": phone}
    settings: dict[str, Any] = {
        "user_id": user_id,
        "email_notifications": True,
        "marketing_emails": False,
        "theme": "system",
        "language": language or "en",
    }
    for values in (profile, settings):
        values["created_at"] = values["updated_at"] = now
    await session.execute(sa.insert(UserProfile).values(**profile))
    await session.execute(sa.insert(UserSettings).values(**settings))


async def add_roles(
    session: AsyncSession,
    user_id: uuid.UUID,
    roles: Iterable[str],
    *,
    assigned_by: uuid.UUID | None,
    now: datetime,
) -> list[str]:
    """Grant roles; returns those that were newly granted."""
    added: list[str] = []
    for role in roles:
        stmt = (
            dialect_insert(session, UserRole)
            .values(user_id=user_id, role_name=role, assigned_by=assigned_by, created_at=now)
            .on_conflict_do_nothing(index_elements=[UserRole.user_id, UserRole.role_name])
            .returning(UserRole.role_name)
        )
        if (await session.execute(stmt)).scalar_one_or_none() is not None:
            added.append(role)
    return added


async def remove_role(session: AsyncSession, user_id: uuid.UUID, role: str) -> bool:
    stmt = (
        sa.delete(UserRole)
        .where(UserRole.user_id == user_id, UserRole.role_name == role)
        .returning(UserRole.role_name)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def roles_of(session: AsyncSession, user_id: uuid.UUID) -> set[str]:
    stmt = sa.select(UserRole.role_name).where(UserRole.user_id == user_id)
    return set((await session.execute(stmt)).scalars())


async def grants_of(session: AsyncSession, user_id: uuid.UUID) -> tuple[set[str], set[str]]:
    """A user's roles and the permissions they grant (one query)."""
    stmt = (
        sa.select(UserRole.role_name, RolePermission.permission_name)
        .outerjoin(RolePermission, RolePermission.role_name == UserRole.role_name)
        .where(UserRole.user_id == user_id)
    )
    roles: set[str] = set()
    permissions: set[str] = set()
    for role, permission in (await session.execute(stmt)).all():
        roles.add(role)
        if permission is not None:
            permissions.add(permission)
    return roles, permissions


async def roles_for(
    session: AsyncSession, user_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, set[str]]:
    if not user_ids:
        return {}
    stmt = sa.select(UserRole.user_id, UserRole.role_name).where(
        UserRole.user_id.in_(list(user_ids))
    )
    found: dict[uuid.UUID, set[str]] = {uid: set() for uid in user_ids}
    for uid, role in (await session.execute(stmt)).all():
        found.setdefault(uid, set()).add(role)
    return found


async def user_exists(session: AsyncSession, user_id: uuid.UUID) -> bool:
    stmt = sa.select(sa.literal(True)).where(User.id == user_id)
    return bool((await session.execute(stmt)).scalar_one_or_none())


async def count_users(session: AsyncSession) -> int:
    return int((await session.execute(sa.select(sa.func.count()).select_from(User))).scalar_one())


# --------------------------------------------------------------------------- credentials


async def set_password(
    session: AsyncSession, user_id: uuid.UUID, password_hash: str, *, bump_version: bool
) -> int:
    """Store a new hash; returns the (possibly bumped) token version."""
    values: dict[str, Any] = {"password_hash": password_hash}
    if bump_version:
        values["token_version"] = User.token_version + 1
    stmt = sa.update(User).where(User.id == user_id).values(**values).returning(User.token_version)
    return int((await session.execute(stmt)).scalar_one())


async def bump_token_version(session: AsyncSession, user_id: uuid.UUID) -> int:
    stmt = (
        sa.update(User)
        .where(User.id == user_id)
        .values(token_version=User.token_version + 1)
        .returning(User.token_version)
    )
    return int((await session.execute(stmt)).scalar_one())


async def record_login(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(sa.update(User).where(User.id == user_id).values(last_login_at=now))


async def mark_email_verified(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> bool:
    """Set ``email_verified_at`` once; True when this call verified it."""
    stmt = (
        sa.update(User)
        .where(User.id == user_id, User.email_verified_at.is_(None))
        .values(email_verified_at=now)
        .returning(User.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def change_email(
    session: AsyncSession, user_id: uuid.UUID, *, email: str, email_key: str, now: datetime
) -> bool:
    """Move the account to a new (verified) address; False when another account has it.
    The unique constraint decides, inside a savepoint so the transaction survives."""
    try:
        async with session.begin_nested():
            await session.execute(
                sa.update(User)
                .where(User.id == user_id)
                .values(email=email, email_key=email_key, email_verified_at=now)
            )
    except IntegrityError:
        return False
    return True


async def set_status(
    session: AsyncSession, user_id: uuid.UUID, status: UserStatus, now: datetime
) -> bool:
    """Change the status if it differs; True when it changed."""
    values: dict[str, Any] = {"status": status.value}
    values["deactivated_at"] = now if status is UserStatus.DEACTIVATED else None
    if status is UserStatus.DEACTIVATED:
        values["token_version"] = User.token_version + 1
    stmt = (
        sa.update(User)
        .where(User.id == user_id, User.status != status.value)
        .values(**values)
        .returning(User.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


# --------------------------------------------------------------------------- profile


@dataclass(frozen=True, slots=True)
class AccountRecord:
    user: User
    profile: UserProfile | None
    settings: UserSettings | None
    mfa_enabled: bool


_ACCOUNT_RECORD = (
    sa.select(User, UserProfile, UserSettings, MfaTotp.confirmed_at)
    .outerjoin(UserProfile, UserProfile.user_id == User.id)
    .outerjoin(UserSettings, UserSettings.user_id == User.id)
    .outerjoin(MfaTotp, MfaTotp.user_id == User.id)
    .where(User.id == sa.bindparam("user_id"))
    .execution_options(populate_existing=True)
)


async def account_record(session: AsyncSession, user_id: uuid.UUID) -> AccountRecord | None:
    """User, profile, settings and MFA state in one query (a statement built once)."""
    row = (await session.execute(_ACCOUNT_RECORD, {"user_id": user_id})).first()
    if row is None:
        return None
    user, profile, settings, mfa_confirmed = row
    return AccountRecord(user, profile, settings, mfa_confirmed is not None)


async def update_user(session: AsyncSession, user_id: uuid.UUID, values: Mapping[str, Any]) -> None:
    if values:
        await session.execute(sa.update(User).where(User.id == user_id).values(**values))


async def upsert_profile(
    session: AsyncSession, user_id: uuid.UUID, values: Mapping[str, Any], now: datetime
) -> None:
    if not values:
        return
    row: dict[str, Any] = {"social_links": {}, **values}
    stmt = dialect_insert(session, UserProfile).values(
        user_id=user_id, created_at=now, updated_at=now, **row
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[UserProfile.user_id], set_={**values, "updated_at": now}
    )
    await session.execute(stmt)


async def upsert_settings(
    session: AsyncSession, user_id: uuid.UUID, values: Mapping[str, Any], now: datetime
) -> None:
    if not values:
        return
    defaults: dict[str, Any] = {
        "email_notifications": True,
        "marketing_emails": False,
        "theme": "system",
        "language": "en",
    }
    stmt = dialect_insert(session, UserSettings).values(
        user_id=user_id, created_at=now, updated_at=now, **{**defaults, **values}
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[UserSettings.user_id], set_={**values, "updated_at": now}
    )
    await session.execute(stmt)


async def ensure_instructor_profile(
    session: AsyncSession, user_id: uuid.UUID, now: datetime
) -> None:
    stmt = (
        dialect_insert(session, InstructorProfile)
        .values(user_id=user_id, expertise=[], created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=[InstructorProfile.user_id])
    )
    await session.execute(stmt)


async def upsert_instructor_profile(
    session: AsyncSession, user_id: uuid.UUID, values: Mapping[str, Any], now: datetime
) -> None:
    base: dict[str, Any] = {"expertise": [], **values}
    stmt = dialect_insert(session, InstructorProfile).values(
        user_id=user_id, created_at=now, updated_at=now, **base
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[InstructorProfile.user_id], set_={**values, "updated_at": now}
    )
    await session.execute(stmt)
