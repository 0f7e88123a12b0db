"""Login: tokens and cookie, no enumeration, brute-force limits, rehash, deactivated accounts,
and no secrets in logs (AUTH-02, AUTH-03, AUTH-06, JWT-12, RT-07)."""

from __future__ import annotations

import asyncio
import logging
import uuid

import jwt
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from httpx import AsyncClient

from campus.config import Settings
from campus.identity.models import User, UserSession
from campus.identity.service.passwords import HASHER
from campus.identity.service.tokens import keyring
from campus.identity.settings import IdentitySettings
from campus.kernel.db import Database
from tests.fixtures.identity import AppUser, IdentityFactory, client_from

LOGIN = "/api/v1/auth/login"


async def test_login_returns_an_access_token_a_refresh_token_and_a_strict_cookie(
    client: AsyncClient, identity: IdentityFactory, settings: Settings
) -> None:
    user = await identity.user()
    response = await client.post(
        LOGIN, json={"email": user.email.upper(), "password": user.password}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == IdentitySettings.of(settings).access_token_ttl_seconds == 900
    assert len(body["refreshToken"]) >= 43
    claims = jwt.decode(
        body["accessToken"],
        keyring(settings).private_key.public_key(),
        algorithms=["EdDSA"],
        audience=IdentitySettings.of(settings).jwt_audience,
        issuer=IdentitySettings.of(settings).jwt_issuer,
    )
    assert claims["sub"] == str(user.id)
    assert claims["typ"] == "access"
    assert claims["sid"] == body["sessionId"]
    assert claims["ver"] == 0
    assert claims["exp"] - claims["iat"] == 900
    assert {"jti", "nbf"} <= claims.keys()
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"campus_refresh={body['refreshToken']};")
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=strict", "path=/api/v1/auth"} <= attributes
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    assert me.status_code == 200
    assert me.json()["email"] == user.email


async def test_cookie_only_login_keeps_the_refresh_token_out_of_the_body(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.user()
    response = await client.post(
        LOGIN, json={"email": user.email, "password": user.password, "cookieOnly": True}
    )
    assert response.status_code == 200
    assert response.json()["refreshToken"] is None
    assert "campus_refresh=" in response.headers["set-cookie"]


async def test_unknown_email_and_wrong_password_get_byte_identical_answers(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.user()
    headers = {"X-Request-ID": "fixed-trace"}
    wrong = await client.post(
        LOGIN, json={"email": user.email, "password": "not-the-password-1"}, headers=headers
    )
    unknown = await client.post(
        LOGIN,
        json={"email": "ghost@example.com", "password": "not-the-password-1"},
        headers=headers,
    )
    malformed = await client.post(
        LOGIN, json={"email": "not an email", "password": "not-the-password-1"}, headers=headers
    )
    assert wrong.status_code == unknown.status_code == malformed.status_code == 401
    assert wrong.content == unknown.content == malformed.content
    assert wrong.json()["error"]["code"] == "invalid_credentials"
    assert "set-cookie" not in wrong.headers


async def test_password_minus_its_last_character_does_not_log_in(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.user(password="lantern-quarry-thimble-5")
    cut = await client.post(LOGIN, json={"email": user.email, "password": user.password[:-1]})
    extended = await client.post(LOGIN, json={"email": user.email, "password": user.password + "x"})
    exact = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert cut.status_code == extended.status_code == 401
    assert exact.status_code == 200


async def test_stored_hash_is_argon2id_with_owasp_parameters_and_salted(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    one = await identity.user(password="same-secret-phrase-xyz")
    two = await identity.user(password="same-secret-phrase-xyz")
    async with db.read_session() as s:
        hashes = dict((await s.execute(sa.select(User.id, User.password_hash))).all())
    first, second = hashes[one.id], hashes[two.id]
    assert first.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert second.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert first != second
    assert HASHER.verify(first, "same-secret-phrase-xyz")


async def test_login_rehashes_a_password_stored_with_weaker_parameters(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.user()
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(user.password)
    async with db.session() as s:
        await s.execute(sa.update(User).where(User.id == user.id).values(password_hash=weak))
    response = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert response.status_code == 200
    async with db.read_session() as s:
        stored = (
            await s.execute(sa.select(User.password_hash).where(User.id == user.id))
        ).scalar_one()
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")


async def _fail(http: AsyncClient, email: str) -> int:
    response = await http.post(LOGIN, json={"email": email, "password": "wrong-password-000"})
    return response.status_code


async def test_100_failed_logins_lock_the_account_for_the_hour_even_with_the_right_password(
    app: FastAPI, client: AsyncClient, identity: IdentityFactory, settings: Settings
) -> None:
    assert IdentitySettings.of(settings).login_failures_per_account_per_hour == 100
    user = await identity.user()
    statuses: list[int] = []
    for batch in range(4):  # 25 attempts from each of 4 addresses stays under the per-IP limit
        async with client_from(app, f"198.51.100.{batch + 1}") as http:
            statuses += await asyncio.gather(*(_fail(http, user.email) for _ in range(25)))
    assert statuses == [401] * 100
    async with client_from(app, "198.51.100.99") as http:
        right = await http.post(LOGIN, json={"email": user.email, "password": user.password})
    assert right.status_code == 429
    assert right.json()["error"]["code"] == "rate_limited"
    assert 0 < int(right.headers["Retry-After"]) <= 3600
    other = await identity.user()
    assert (
        await client.post(LOGIN, json={"email": other.email, "password": other.password})
    ).status_code == 200


async def test_login_attempts_are_throttled_per_ip(
    app: FastAPI, client: AsyncClient, identity: IdentityFactory, settings: Settings
) -> None:
    limit = IdentitySettings.of(settings).login_attempts_per_ip_per_minute
    emails = [f"nobody{i}@example.com" for i in range(limit)]
    statuses = await asyncio.gather(*(_fail(client, e) for e in emails))
    assert statuses == [401] * limit
    user = await identity.user()
    blocked = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    async with client_from(app, "198.51.100.7") as other:
        assert (
            await other.post(LOGIN, json={"email": user.email, "password": user.password})
        ).status_code == 200


async def test_deactivated_account_with_the_right_password_gets_403(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.user()
    async with db.session() as s:
        await s.execute(sa.update(User).where(User.id == user.id).values(status="deactivated"))
    right = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    wrong = await client.post(LOGIN, json={"email": user.email, "password": "wrong-password-000"})
    assert right.status_code == 403
    assert right.json()["error"]["code"] == "account_deactivated"
    assert wrong.status_code == 401


async def test_login_records_the_session_device_ip_and_last_login(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.user()
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
    response = await client.post(
        LOGIN, json={"email": user.email, "password": user.password}, headers={"User-Agent": agent}
    )
    session_id = uuid.UUID(response.json()["sessionId"])
    async with db.read_session() as s:
        row = (
            await s.execute(
                sa.select(UserSession.device, UserSession.ip_address, UserSession.user_agent).where(
                    UserSession.id == session_id
                )
            )
        ).one()
        last_login = (
            await s.execute(sa.select(User.last_login_at).where(User.id == user.id))
        ).scalar_one()
    assert row.device == "Firefox on Windows"
    assert row.ip_address == "203.0.113.10"
    assert row.user_agent == agent
    assert last_login is not None


async def test_tokens_and_passwords_never_reach_the_logs(
    client: AsyncClient,
    identity: IdentityFactory,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    user: AppUser = await identity.user(password="velvet-canyon-drum-63")
    login = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    tokens = login.json()
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
    )
    replay = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": tokens["refreshToken"]}
    )
    assert refreshed.status_code == 200
    assert replay.status_code == 401
    new = refreshed.json()
    secrets = [
        user.password,
        tokens["accessToken"],
        tokens["refreshToken"],
        new["accessToken"],
        new["refreshToken"],
    ]
    captured = capsys.readouterr()
    logs = caplog.text + captured.out + captured.err
    assert "refresh_token_reuse_detected" in logs
    for secret in secrets:
        assert secret not in logs
