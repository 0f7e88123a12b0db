"""My account: the user, profile and settings view, and updating it.

``PATCH /users/me`` accepts only profile and settings fields (the schema forbids the rest), so
roles, verification, status or token version can never be set by the user (AC-03/04).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.repository import users as users_repo
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound


@dataclass(frozen=True, slots=True)
class MeView:
    account: users_repo.AccountView
    roles: frozenset[str]
    permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class AccountChanges:
    user: Mapping[str, Any] = field(default_factory=dict)
    profile: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


async def me(session: AsyncSession, principal: Principal) -> MeView:
    view = await users_repo.account_view(session, principal.user_id)
    if view is None:
        raise NotFound()
    return MeView(view, principal.roles, principal.permissions)


async def update_me(session: AsyncSession, principal: Principal, changes: AccountChanges) -> MeView:
    now = utcnow()
    await users_repo.update_user(session, principal.user_id, changes.user)
    await users_repo.upsert_profile(session, principal.user_id, changes.profile, now)
    await users_repo.upsert_settings(session, principal.user_id, changes.settings, now)
    return await me(session, principal)
