"""User and role administration (seed 004 AssignRole/RemoveRole; ``user:manage``, ``role:assign``).

Role changes bump the user's token version, so outstanding access tokens stop at the next
request (the client refreshes and gets the new grants); the verifier also reads roles and
permissions from the database on every request. Deactivation revokes every session and bumps
the token version. Administrators cannot deactivate themselves or drop their own admin role.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity import events, policies
from campus.identity.data import ADMIN, INSTRUCTOR, UserStatus
from campus.identity.models import User
from campus.identity.repository import credentials as creds_repo
from campus.identity.repository import directory as directory_repo
from campus.identity.repository import users as users_repo
from campus.identity.service.account import AccountDetails
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound, field_error
from campus.kernel.events import publish
from campus.kernel.pagination import PageParams, SortSpec

#: Sort keys of ``GET /admin/users`` (wire names).
USER_SORT_FIELDS = tuple(directory_repo.USER_SORT_COLUMNS)


@dataclass(frozen=True, slots=True)
class UserListItem:
    user: User
    roles: frozenset[str]


async def list_users(
    session: AsyncSession,
    principal: Principal,
    filters: directory_repo.UserFilters,
    sort: Sequence[SortSpec],
    page: PageParams,
) -> tuple[list[UserListItem], int]:
    policies.require_user_manager(principal)
    users, total = await directory_repo.search_users(
        session, filters, sort, offset=page.offset, limit=page.limit
    )
    roles = await users_repo.roles_for(session, [u.id for u in users])
    return [UserListItem(u, frozenset(roles.get(u.id, ()))) for u in users], total


async def user_detail(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> AccountDetails:
    policies.require_user_manager(principal)
    record = await users_repo.account_record(session, user_id)
    if record is None:
        raise NotFound("The user was not found.")
    roles, permissions = await users_repo.grants_of(session, user_id)
    return AccountDetails(record, frozenset(roles), frozenset(permissions))


async def _require_user(session: AsyncSession, user_id: uuid.UUID) -> None:
    if not await users_repo.user_exists(session, user_id):
        raise NotFound("The user was not found.")


async def assign_role(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, role: str
) -> frozenset[str]:
    policies.require_role_assigner(principal)
    await _require_user(session, user_id)
    if not await directory_repo.role_exists(session, role):
        raise field_error("role", f"Unknown role '{role[:50]}'.", code="unknown_role")
    now = utcnow()
    added = await users_repo.add_roles(
        session, user_id, [role], assigned_by=principal.user_id, now=now
    )
    if added:
        await users_repo.bump_token_version(session, user_id)
        if role == INSTRUCTOR:
            await users_repo.ensure_instructor_profile(session, user_id, now)
        await publish(
            session,
            events.RoleAssigned(user_id=user_id, role=role, assigned_by=principal.user_id),
        )
    return frozenset(await users_repo.roles_of(session, user_id))


async def remove_role(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID, role: str
) -> frozenset[str]:
    policies.require_role_assigner(principal)
    if role == ADMIN:
        policies.forbid_self(
            principal,
            user_id,
            code="cannot_remove_own_admin",
            message="You cannot remove your own administrator role.",
        )
    await _require_user(session, user_id)
    if not await users_repo.remove_role(session, user_id, role):
        raise NotFound("The user does not have this role.", code="role_not_assigned")
    await users_repo.bump_token_version(session, user_id)
    await publish(
        session, events.RoleRemoved(user_id=user_id, role=role, removed_by=principal.user_id)
    )
    return frozenset(await users_repo.roles_of(session, user_id))


async def deactivate(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> AccountDetails:
    policies.require_user_manager(principal)
    policies.forbid_self(
        principal,
        user_id,
        code="cannot_deactivate_self",
        message="You cannot deactivate your own account.",
    )
    await _require_user(session, user_id)
    now = utcnow()
    if await users_repo.set_status(session, user_id, UserStatus.DEACTIVATED, now):
        await creds_repo.revoke_user_sessions(session, user_id, now, "deactivated")
        await publish(
            session,
            events.UserDeactivated(user_id=user_id, deactivated_by=principal.user_id),
        )
    return await user_detail(session, principal, user_id)


async def reactivate(
    session: AsyncSession, principal: Principal, user_id: uuid.UUID
) -> AccountDetails:
    policies.require_user_manager(principal)
    await _require_user(session, user_id)
    if await users_repo.set_status(session, user_id, UserStatus.ACTIVE, utcnow()):
        await publish(
            session,
            events.UserReactivated(user_id=user_id, reactivated_by=principal.user_id),
        )
    return await user_detail(session, principal, user_id)
