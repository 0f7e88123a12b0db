"""``GET /users/me`` resolves its caller and reads the account in one statement: every change
that stops a token on other routes (a revoked or expired session, a bumped token version, a
deactivated account) stops it there too at once, and a removed role is gone from both."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient

from campus.identity.models import User, UserRole, UserSession
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from tests.fixtures.identity import AppUser, IdentityFactory

ME = "/api/v1/users/me"
SESSIONS = "/api/v1/users/me/sessions"  # resolved by the kernel's principal dependency
ADMIN_USERS = "/api/v1/admin/users"


def _revoke(user: AppUser) -> Any:
    return (
        sa.update(UserSession).where(UserSession.id == user.session_id).values(revoked_at=utcnow())
    )


def _expire(user: AppUser) -> Any:
    return (
        sa.update(UserSession)
        .where(UserSession.id == user.session_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )


def _bump_version(user: AppUser) -> Any:
    return sa.update(User).where(User.id == user.id).values(token_version=User.token_version + 1)


def _deactivate(user: AppUser) -> Any:
    return sa.update(User).where(User.id == user.id).values(status="deactivated")


@pytest.mark.parametrize("change", [_revoke, _expire, _bump_version, _deactivate])
async def test_a_stopped_token_is_refused_by_users_me_as_by_every_other_route(
    client: AsyncClient, identity: IdentityFactory, db: Database, change: Any
) -> None:
    user = await identity.signed_in()
    assert (await client.get(ME, headers=user.headers)).status_code == 200
    assert (await client.get(SESSIONS, headers=user.headers)).status_code == 200
    async with db.session() as s:
        await s.execute(change(user))
    for path in (ME, SESSIONS):
        response = await client.get(path, headers=user.headers)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "invalid_token"


async def test_a_removed_role_is_gone_from_users_me_and_its_permissions_at_once(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.signed_in(roles=("student", "admin"))
    body = (await client.get(ME, headers=user.headers)).json()
    assert body["roles"] == ["admin", "student"]
    assert "user:manage" in body["permissions"]
    assert (await client.get(ADMIN_USERS, headers=user.headers)).status_code == 200
    async with db.session() as s:
        await s.execute(
            sa.delete(UserRole).where(UserRole.user_id == user.id, UserRole.role_name == "admin")
        )
    body = (await client.get(ME, headers=user.headers)).json()
    assert body["roles"] == ["student"]
    assert "user:manage" not in body["permissions"]
    assert (await client.get(ADMIN_USERS, headers=user.headers)).status_code == 403


async def test_users_me_without_a_token_or_with_a_malformed_header_is_a_401(
    client: AsyncClient,
) -> None:
    assert (await client.get(ME)).status_code == 401
    response = await client.get(ME, headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
