"""Refresh-token rotation, reuse detection, lifetimes, cookies and logout (RT-01..07, JWT-10,
AC-08)."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.config import Settings
from campus.identity.models import RefreshToken, UserSession
from campus.identity.service.tokens import hash_opaque
from campus.identity.settings import IdentitySettings
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from tests.fixtures.identity import AppUser, IdentityFactory, client_from

REFRESH = "/api/v1/auth/refresh"
ME = "/api/v1/users/me"


async def refresh(client: AsyncClient, token: str | None) -> httpx.Response:
    return await client.post(REFRESH, json={"refreshToken": token})


async def me_status(client: AsyncClient, access_token: str) -> int:
    response = await client.get(ME, headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


async def test_every_refresh_returns_a_new_token_and_marks_the_old_one_used(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.signed_in()
    response = await refresh(client, user.refresh_token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["refreshToken"] != user.refresh_token
    assert body["sessionId"] == str(user.session_id)
    assert await me_status(client, body["accessToken"]) == 200
    async with db.read_session() as s:
        rows = dict(
            (await s.execute(sa.select(RefreshToken.token_hash, RefreshToken.used_at))).all()
        )
    assert rows[hash_opaque(user.refresh_token or "")] is not None
    assert rows[hash_opaque(body["refreshToken"])] is None
    assert user.refresh_token not in rows  # only hashes are stored


async def test_replaying_a_used_token_revokes_the_whole_family_and_logs_it(
    client: AsyncClient, identity: IdentityFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    user = await identity.signed_in()
    first = (await refresh(client, user.refresh_token)).json()
    second = (await refresh(client, first["refreshToken"])).json()
    replay = await refresh(client, user.refresh_token)
    assert replay.status_code == 401
    assert replay.json()["error"]["code"] == "invalid_refresh_token"
    assert (await refresh(client, second["refreshToken"])).status_code == 401
    assert await me_status(client, second["accessToken"]) == 401
    assert "refresh_token_reuse_detected" in caplog.text
    assert str(user.session_id) in caplog.text


async def test_reuse_in_one_family_leaves_other_sessions_alone(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    laptop_refresh, laptop_access = user.refresh_token, user.access_token
    await identity.start_session(user)
    await refresh(client, laptop_refresh)
    assert (await refresh(client, laptop_refresh)).status_code == 401
    assert await me_status(client, laptop_access or "") == 401
    assert (await refresh(client, user.refresh_token)).status_code == 200


async def test_twenty_concurrent_refreshes_with_one_token_have_exactly_one_winner(
    app: FastAPI, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    clients = []
    try:
        for i in range(20):  # separate clients (and connections), under the per-IP limit
            cm = client_from(app, f"198.51.100.{i + 1}")
            clients.append((cm, await cm.__aenter__()))
        responses = await asyncio.gather(
            *(refresh(http, user.refresh_token) for _, http in clients)
        )
    finally:
        for cm, _ in clients:
            await cm.__aexit__(None, None, None)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [401] * 19, statuses


async def test_refresh_fails_after_the_idle_lifetime(
    client: AsyncClient, identity: IdentityFactory, settings: Settings, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    frozen_clock.advance(seconds=IdentitySettings.of(settings).refresh_idle_ttl_seconds - 60)
    alive = await refresh(client, user.refresh_token)
    assert alive.status_code == 200
    frozen_clock.advance(seconds=IdentitySettings.of(settings).refresh_idle_ttl_seconds + 1)
    expired = await refresh(client, alive.json()["refreshToken"])
    assert expired.status_code == 401


async def test_refresh_fails_after_the_absolute_lifetime_even_when_used_daily(
    client: AsyncClient, identity: IdentityFactory, settings: Settings, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    token = user.refresh_token
    step = IdentitySettings.of(settings).refresh_idle_ttl_seconds - 3600
    elapsed = 0
    while elapsed + step < IdentitySettings.of(settings).refresh_absolute_ttl_seconds:
        frozen_clock.advance(seconds=step)
        elapsed += step
        response = await refresh(client, token)
        assert response.status_code == 200, elapsed
        token = response.json()["refreshToken"]
    frozen_clock.advance(
        seconds=IdentitySettings.of(settings).refresh_absolute_ttl_seconds - elapsed + 1
    )
    assert (await refresh(client, token)).status_code == 401


async def test_refresh_with_the_cookie_rotates_it_and_keeps_the_token_out_of_the_body(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.user()
    await client.post(
        "/api/v1/auth/login",
        json={"email": user.email, "password": user.password, "cookieOnly": True},
    )
    old_cookie = client.cookies.get("campus_refresh", path="/api/v1/auth")
    assert old_cookie
    response = await client.post(REFRESH)
    assert response.status_code == 200, response.text
    assert response.json()["refreshToken"] is None
    new_cookie = client.cookies.get("campus_refresh", path="/api/v1/auth")
    assert new_cookie
    assert new_cookie != old_cookie


async def test_the_refresh_cookie_is_only_sent_to_auth_routes(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.user()
    sent: dict[str, str | None] = {}

    async def record(request: httpx.Request) -> None:
        sent[request.url.path] = request.headers.get("cookie")

    client.event_hooks["request"] = [record]
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    await client.get(ME, headers={"Authorization": f"Bearer {login.json()['accessToken']}"})
    await client.post(REFRESH)
    assert sent[ME] is None
    cookie = sent[REFRESH]
    assert cookie is not None
    assert "campus_refresh=" in cookie


async def test_cookie_refresh_from_a_foreign_origin_is_refused(
    client: AsyncClient, identity: IdentityFactory, settings: Settings
) -> None:
    user = await identity.user()
    await client.post("/api/v1/auth/login", json={"email": user.email, "password": user.password})
    foreign = await client.post(REFRESH, headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.json()["error"]["code"] == "origin_not_allowed"
    own = await client.post(REFRESH, headers={"Origin": settings.base_url})
    assert own.status_code == 200
    logout = await client.post("/api/v1/auth/logout", headers={"Origin": "null"})
    assert logout.status_code == 403


async def test_a_body_token_refresh_is_not_subject_to_the_origin_check(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    response = await client.post(
        REFRESH, json={"refreshToken": user.refresh_token}, headers={"Origin": "https://app.other"}
    )
    assert response.status_code == 200


async def test_refresh_without_any_token_or_with_garbage_is_401(client: AsyncClient) -> None:
    assert (await client.post(REFRESH)).status_code == 401
    assert (await refresh(client, "x" * 43)).status_code == 401
    assert (await refresh(client, "short")).status_code == 422


async def test_logout_revokes_the_current_session_and_clears_the_cookie(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    response = await client.post("/api/v1/auth/logout", headers=user.headers)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("campus_refresh=")
    assert "max-age=0" in cookie
    assert await me_status(client, user.access_token or "") == 401
    assert (await refresh(client, user.refresh_token)).status_code == 401


async def test_logout_with_only_the_refresh_token_revokes_its_session(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.signed_in()
    response = await client.post("/api/v1/auth/logout", json={"refreshToken": user.refresh_token})
    assert response.status_code == 200
    async with db.read_session() as s:
        revoked = (
            await s.execute(
                sa.select(UserSession.revoked_reason).where(UserSession.id == user.session_id)
            )
        ).scalar_one()
    assert revoked == "logout"
    assert (await client.post("/api/v1/auth/logout")).status_code == 401


async def test_logout_all_stops_every_access_and_refresh_token_at_the_next_request(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    phone = AppUser(**{**user.__dict__})
    await identity.start_session(user)
    assert await me_status(client, phone.access_token or "") == 200
    response = await client.post("/api/v1/auth/logout-all", headers=user.headers)
    assert response.status_code == 200
    for session in (user, phone):
        assert await me_status(client, session.access_token or "") == 401
        assert (await refresh(client, session.refresh_token)).status_code == 401
    await identity.start_session(user)
    assert await me_status(client, user.access_token or "") == 200


async def test_deactivation_revokes_every_family(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    admin = await identity.signed_in(roles=("admin",))
    user = await identity.signed_in()
    response = await client.post(f"/api/v1/admin/users/{user.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200, response.text
    assert (await refresh(client, user.refresh_token)).status_code == 401
    assert await me_status(client, user.access_token or "") == 401


async def test_refresh_is_rate_limited_per_ip(
    app: FastAPI, identity: IdentityFactory, settings: Settings
) -> None:
    async with client_from(app, "198.51.100.200") as http:
        statuses = [
            (await refresh(http, "y" * 43)).status_code
            for _ in range(IdentitySettings.of(settings).refresh_per_ip_per_minute + 1)
        ]
    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {401}
