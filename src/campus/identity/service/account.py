"""My account: the user with profile and settings, and updating it; the checks every
sensitive account change starts with (the account exists, the current password is right).

``PATCH /users/me`` accepts only profile and settings fields (the schema forbids the rest), so
roles, verification, status or token version can never be set by the user (AC-03/04).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.repository import users as users_repo
from campus.identity.service import ratelimits
from campus.identity.service.passwords import verify_password
from campus.identity.service.request_context import RequestContext
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, NotFound, field_error


@dataclass(frozen=True, slots=True)
class AccountDetails:
    account: users_repo.AccountRecord
    roles: frozenset[str]
    permissions: frozenset[str]


@dataclass(frozen=True, slots=True)
class AccountChanges:
    user: Mapping[str, Any] = field(default_factory=dict)
    profile: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)


async def me(session: AsyncSession, principal: Principal) -> AccountDetails:
    record = await users_repo.account_record(session, principal.user_id)
    if record is None:
        raise NotFound()
    return AccountDetails(record, principal.roles, principal.permissions)


async def update_me(
    session: AsyncSession, principal: Principal, changes: AccountChanges
) -> AccountDetails:
    zone = changes.settings.get("time_zone")
    if zone is not None and not _known_zone(str(zone)):
        raise field_error("settings.timeZone", "Not a known IANA time zone.")
    now = utcnow()
    await users_repo.update_user(session, principal.user_id, changes.user)
    await users_repo.upsert_profile(session, principal.user_id, changes.profile, now)
    await users_repo.upsert_settings(session, principal.user_id, changes.settings, now)
    return await me(session, principal)


def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


async def require_account(session: AsyncSession, user_id: uuid.UUID) -> users_repo.Account:
    account = await users_repo.account_by_id(session, user_id)
    if account is None:
        raise NotFound()
    return account


async def require_password(ctx: RequestContext, account: users_repo.Account, password: str) -> None:
    """AUTH-08: sensitive changes re-check the current password (failures count like logins)."""
    await ratelimits.check_login_failures(ctx, account.email_key)
    if not await verify_password(account.password_hash, password):
        await ratelimits.record_login_failure(ctx, account.email_key)
        raise Forbidden("The current password is incorrect.", code="invalid_current_password")
