"""Listings and lookups: admin user search, summaries for other contexts, instructors, and the
role catalog."""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.data import INSTRUCTOR, UserStatus
from campus.identity.models import (
    InstructorProfile,
    Permission,
    Role,
    RolePermission,
    User,
    UserProfile,
    UserRole,
)
from campus.kernel.db import dialect_insert
from campus.kernel.pagination import SortSpec, order_by

# --------------------------------------------------------------------------- admin listing


@dataclass(frozen=True, slots=True)
class UserFilters:
    search: str | None = None
    role: str | None = None
    status: str | None = None
    verified: bool | None = None


#: Sort keys accepted by ``GET /admin/users`` (the wire names).
USER_SORT_COLUMNS: Mapping[str, Any] = {
    "createdAt": User.created_at,
    "lastName": User.last_name,
    "email": User.email_key,
}


def _user_conditions(filters: UserFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if filters.search:
        needle = filters.search.lower()
        conditions.append(
            sa.or_(
                sa.func.lower(User.first_name).contains(needle, autoescape=True),
                sa.func.lower(User.last_name).contains(needle, autoescape=True),
                User.email_key.contains(needle, autoescape=True),
            )
        )
    if filters.role:
        conditions.append(
            sa.exists().where(UserRole.user_id == User.id, UserRole.role_name == filters.role)
        )
    if filters.status:
        conditions.append(User.status == filters.status)
    if filters.verified is True:
        conditions.append(User.email_verified_at.is_not(None))
    elif filters.verified is False:
        conditions.append(User.email_verified_at.is_(None))
    return conditions


async def search_users(
    session: AsyncSession,
    filters: UserFilters,
    sort: Sequence[SortSpec],
    *,
    offset: int,
    limit: int,
) -> tuple[Sequence[User], int]:
    conditions = _user_conditions(filters)
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(User).where(*conditions))
    ).scalar_one()
    order = order_by(sort, USER_SORT_COLUMNS, User.id)
    stmt = sa.select(User).where(*conditions).order_by(*order).offset(offset).limit(limit)
    users = (await session.execute(stmt)).scalars().all()
    return users, int(total)


# --------------------------------------------------------------------------- other contexts


@dataclass(frozen=True, slots=True)
class SummaryRow:
    id: uuid.UUID
    first_name: str
    last_name: str
    email: str
    status: str
    avatar_url: str | None
    role: str | None


async def summary_rows(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[SummaryRow]:
    """Users with their avatar and roles, one row per role (one query)."""
    if not ids:
        return []
    stmt = (
        sa.select(
            User.id,
            User.first_name,
            User.last_name,
            User.email,
            User.status,
            UserProfile.avatar_url,
            UserRole.role_name,
        )
        .outerjoin(UserProfile, UserProfile.user_id == User.id)
        .outerjoin(UserRole, UserRole.user_id == User.id)
        .where(User.id.in_(list(ids)))
    )
    return [SummaryRow(*row) for row in (await session.execute(stmt)).all()]


async def ids_by_email_keys(session: AsyncSession, keys: Collection[str]) -> dict[str, uuid.UUID]:
    if not keys:
        return {}
    stmt = sa.select(User.email_key, User.id).where(User.email_key.in_(list(keys)))
    return dict((await session.execute(stmt)).all())


async def has_role(session: AsyncSession, user_id: uuid.UUID, role: str) -> bool:
    stmt = sa.select(sa.literal(True)).where(
        UserRole.user_id == user_id, UserRole.role_name == role
    )
    return bool((await session.execute(stmt)).scalar_one_or_none())


# --------------------------------------------------------------------------- instructors


@dataclass(frozen=True, slots=True)
class InstructorRow:
    user_id: uuid.UUID
    first_name: str
    last_name: str
    avatar_url: str | None
    headline: str | None
    bio: str | None
    expertise: list[str] | None
    years_of_experience: int | None


def _instructors() -> sa.Select[*tuple[Any, ...]]:
    return (
        sa.select(
            User.id,
            User.first_name,
            User.last_name,
            UserProfile.avatar_url,
            InstructorProfile.headline,
            InstructorProfile.bio,
            InstructorProfile.expertise,
            InstructorProfile.years_of_experience,
        )
        .join(UserRole, sa.and_(UserRole.user_id == User.id, UserRole.role_name == INSTRUCTOR))
        .outerjoin(InstructorProfile, InstructorProfile.user_id == User.id)
        .outerjoin(UserProfile, UserProfile.user_id == User.id)
        .where(User.status == UserStatus.ACTIVE.value)
    )


async def instructor(session: AsyncSession, user_id: uuid.UUID) -> InstructorRow | None:
    row = (await session.execute(_instructors().where(User.id == user_id))).first()
    return InstructorRow(*row) if row else None


async def instructors_page(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[list[InstructorRow], int]:
    base = _instructors()
    total = (
        await session.execute(sa.select(sa.func.count()).select_from(base.subquery()))
    ).scalar_one()
    stmt = base.order_by(User.last_name, User.first_name, User.id).offset(offset).limit(limit)
    rows = [InstructorRow(*row) for row in (await session.execute(stmt)).all()]
    return rows, int(total)


async def instructor_rows(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[InstructorRow]:
    if not ids:
        return []
    stmt = _instructors().where(User.id.in_(list(ids)))
    return [InstructorRow(*row) for row in (await session.execute(stmt)).all()]


# --------------------------------------------------------------------------- role catalog


async def sync_role_catalog(
    session: AsyncSession,
    roles: Mapping[str, str],
    permissions: Mapping[str, str],
    grants: Mapping[str, Collection[str]],
    now: datetime,
) -> None:
    """Insert missing built-in roles, permissions and grants (idempotent, concurrency-safe)."""
    role_rows = [{"name": n, "description": d, "created_at": now} for n, d in roles.items()]
    perm_rows = [{"name": n, "description": d, "created_at": now} for n, d in permissions.items()]
    grant_rows = [
        {"role_name": role, "permission_name": perm, "created_at": now}
        for role, perms in grants.items()
        for perm in sorted(perms)
    ]
    await session.execute(
        dialect_insert(session, Role)
        .values(role_rows)
        .on_conflict_do_nothing(index_elements=[Role.name])
    )
    await session.execute(
        dialect_insert(session, Permission)
        .values(perm_rows)
        .on_conflict_do_nothing(index_elements=[Permission.name])
    )
    if grant_rows:
        await session.execute(
            dialect_insert(session, RolePermission)
            .values(grant_rows)
            .on_conflict_do_nothing(
                index_elements=[RolePermission.role_name, RolePermission.permission_name]
            )
        )


async def role_permissions(session: AsyncSession) -> dict[str, frozenset[str]]:
    """The permissions each role holds (every role, also those holding none)."""
    stmt = sa.select(Role.name, RolePermission.permission_name).outerjoin(
        RolePermission, RolePermission.role_name == Role.name
    )
    found: dict[str, set[str]] = {}
    for role, permission in await session.execute(stmt):
        granted = found.setdefault(role, set())
        if permission is not None:
            granted.add(permission)
    return {role: frozenset(permissions) for role, permissions in found.items()}


async def role_exists(session: AsyncSession, name: str) -> bool:
    stmt = sa.select(sa.literal(True)).where(Role.name == name)
    return bool((await session.execute(stmt)).scalar_one_or_none())


# --------------------------------------------------------------------------- name search


def _id_in(session: AsyncSession, ids: Collection[uuid.UUID]) -> sa.ColumnElement[bool]:
    """``users.id`` among ``ids`` as ONE bound parameter whatever their number (a PostgreSQL
    array, a JSON list on SQLite), so a large set neither hits the drivers' parameter limits
    nor makes a new statement per size."""
    if session.get_bind().dialect.name == "postgresql":
        array = sa.bindparam("among_ids", list(ids), type_=postgresql.ARRAY(sa.Uuid()))
        return User.id == sa.any_(array)
    listed = sa.bindparam("among_ids", json.dumps([i.hex for i in ids]), type_=sa.String())
    values = sa.select(sa.column("value", sa.String())).select_from(sa.func.json_each(listed))
    return User.id.in_(values)


def _like_escaped(text: str) -> str:
    """``text`` with the LIKE wildcards and the escape character ``/`` made literal."""
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


async def ids_matching(
    session: AsyncSession, needle: str, among: Collection[uuid.UUID] | None, limit: int
) -> list[uuid.UUID]:
    """Ids of the users whose "first last" name or email contains ``needle`` (every character
    literal), both sides lower-cased by the database itself (so the folding is the same on both
    sides whatever the dialect), among ``among`` when given, at most ``limit`` in id order; one
    query."""
    if among is not None and not among:
        return []
    pattern = sa.func.lower(sa.bindparam("needle", _like_escaped(needle), type_=sa.String()))
    name = sa.func.lower(User.first_name + " " + User.last_name)
    stmt = (
        sa.select(User.id)
        .where(
            sa.or_(
                name.contains(pattern, escape="/"),
                sa.func.lower(User.email).contains(pattern, escape="/"),
            )
        )
        .order_by(User.id)
        .limit(limit)
    )
    if among is not None:
        stmt = stmt.where(_id_in(session, among))
    return list((await session.execute(stmt)).scalars())
