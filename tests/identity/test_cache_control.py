"""Answers carrying tokens or personal data are never cached (issue 12): ``Cache-Control:
no-store`` on every auth answer and every answer to a credentialed request, while a route that
chose its own caching (the public catalog) keeps it."""

from __future__ import annotations

import pyotp
from httpx import AsyncClient, Response

from campus.kernel.clock import Clock
from tests.fixtures.identity import IdentityFactory


def _no_store(response: Response) -> None:
    assert response.headers.get("cache-control") == "no-store", (
        response.request.url,
        response.status_code,
        dict(response.headers),
    )


async def test_token_answers_are_no_store(client: AsyncClient, identity: IdentityFactory) -> None:
    user = await identity.user()
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert login.status_code == 200
    _no_store(login)
    refresh = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": login.json()["refreshToken"]}
    )
    assert refresh.status_code == 200
    _no_store(refresh)
    # Failures and cookie-authenticated calls too.
    _no_store(await client.post("/api/v1/auth/login", json={"email": user.email, "password": "x"}))
    cookie_refresh = await client.post(
        "/api/v1/auth/refresh", headers={"Cookie": "campus_refresh=zz"}
    )
    _no_store(cookie_refresh)


async def test_mfa_verification_is_no_store(
    client: AsyncClient, identity: IdentityFactory, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    setup = await client.post(
        "/api/v1/users/me/mfa/setup", json={"currentPassword": user.password}, headers=user.headers
    )
    _no_store(setup)  # carries the TOTP secret
    totp = pyotp.TOTP(setup.json()["secret"])
    confirm = await client.post(
        "/api/v1/users/me/mfa/confirm",
        json={"code": totp.at(frozen_clock.now())},
        headers=user.headers,
    )
    _no_store(confirm)  # carries the recovery codes
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    frozen_clock.advance(seconds=30)
    verify = await client.post(
        "/api/v1/auth/mfa/verify",
        json={"mfaToken": login.json()["mfaToken"], "code": totp.at(frozen_clock.now())},
    )
    assert verify.status_code == 200, verify.text
    _no_store(verify)


async def test_personal_and_admin_reads_are_no_store(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    admin = await identity.signed_in(roles=("admin",))
    for url in (
        "/api/v1/users/me",
        "/api/v1/users/me/sessions",
    ):
        response = await client.get(url, headers=user.headers)
        assert response.status_code == 200, (url, response.text)
        _no_store(response)
    for url in ("/api/v1/admin/users", f"/api/v1/admin/users/{user.id}"):
        response = await client.get(url, headers=admin.headers)
        assert response.status_code == 200, (url, response.text)
        _no_store(response)
    _no_store(await client.get("/api/v1/users/me", headers={"Authorization": "Bearer bad"}))


async def test_a_route_with_its_own_caching_keeps_it(client: AsyncClient) -> None:
    public = await client.get("/api/v1/courses")
    assert public.status_code == 200
    assert public.headers["cache-control"].startswith("public")
    assert "etag" in public.headers
    assert "cache-control" not in (await client.get("/healthz")).headers
