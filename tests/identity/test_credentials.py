"""Password reset and change, email change (AUTH-04/05/06/07/08, RT-06, JWT-11)."""

from __future__ import annotations

import sqlalchemy as sa
from httpx import AsyncClient

from campus.config import Settings
from campus.identity.models import User
from campus.identity.settings import IdentitySettings
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import IdentityFactory, email_text, latest_email, read_emails, token_in

FORGOT = "/api/v1/auth/password/forgot"
RESET = "/api/v1/auth/password/reset"
NEW_PASSWORD = "juniper-tundra-violin-36"


async def reset_link(client: AsyncClient, relay: Relay, settings: Settings, email: str) -> str:
    response = await client.post(FORGOT, json={"email": email})
    assert response.status_code == 202
    return token_in(await latest_email(relay, settings, email), "reset-password")


async def test_forgot_password_answers_byte_identically_for_known_and_unknown_emails(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.user()
    headers = {"X-Request-ID": "same"}
    known = await client.post(FORGOT, json={"email": user.email}, headers=headers)
    unknown = await client.post(FORGOT, json={"email": "nobody@example.com"}, headers=headers)
    garbage = await client.post(FORGOT, json={"email": "@@"}, headers=headers)
    assert known.status_code == unknown.status_code == garbage.status_code == 202
    assert known.content == unknown.content == garbage.content
    await relay.drain()
    assert len(read_emails(settings, user.email)) == 1
    assert read_emails(settings, "nobody@example.com") == []


async def test_reset_sets_the_password_revokes_every_session_and_sends_a_notice(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings, db: Database
) -> None:
    user = await identity.signed_in(verified=False)
    token = await reset_link(client, relay, settings, user.email)
    assert len(token) >= 43
    response = await client.post(RESET, json={"token": token, "newPassword": NEW_PASSWORD})
    assert response.status_code == 200, response.text
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refreshToken": user.refresh_token})
    assert refresh.status_code == 401
    old = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    new = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": NEW_PASSWORD}
    )
    assert old.status_code == 401
    assert new.status_code == 200
    notice = await latest_email(relay, settings, user.email)
    assert "password was reset" in str(notice["Subject"])
    async with db.read_session() as s:
        verified = (
            await s.execute(sa.select(User.email_verified_at).where(User.id == user.id))
        ).scalar_one()
    assert verified is not None


async def test_a_reset_link_works_once(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.user()
    token = await reset_link(client, relay, settings, user.email)
    assert (
        await client.post(RESET, json={"token": token, "newPassword": NEW_PASSWORD})
    ).status_code == 200
    again = await client.post(RESET, json={"token": token, "newPassword": "another-fine-phrase-2"})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"


async def test_a_reset_link_expires_after_an_hour(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    user = await identity.user()
    token = await reset_link(client, relay, settings, user.email)
    frozen_clock.advance(hours=1, seconds=1)
    response = await client.post(RESET, json={"token": token, "newPassword": NEW_PASSWORD})
    assert response.status_code == 400


async def test_a_new_reset_request_voids_the_previous_link(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.user()
    first = await reset_link(client, relay, settings, user.email)
    second = await reset_link(client, relay, settings, user.email)
    assert first != second
    assert (
        await client.post(RESET, json={"token": first, "newPassword": NEW_PASSWORD})
    ).status_code == 400
    assert (
        await client.post(RESET, json={"token": second, "newPassword": NEW_PASSWORD})
    ).status_code == 200


async def test_a_rejected_new_password_leaves_the_link_usable(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.user()
    token = await reset_link(client, relay, settings, user.email)
    weak = await client.post(RESET, json={"token": token, "newPassword": "password1234"})
    assert weak.status_code == 422
    assert (
        await client.post(RESET, json={"token": token, "newPassword": NEW_PASSWORD})
    ).status_code == 200


async def test_reset_requests_are_rate_limited_per_account(
    client: AsyncClient, identity: IdentityFactory, settings: Settings
) -> None:
    user = await identity.user()
    statuses = [
        (await client.post(FORGOT, json={"email": user.email})).status_code
        for _ in range(IdentitySettings.of(settings).auth_emails_per_hour + 1)
    ]
    assert statuses[-1] == 429
    assert statuses[:-1] == [202] * IdentitySettings.of(settings).auth_emails_per_hour


async def test_change_password_needs_the_current_one_and_keeps_only_this_session(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.signed_in()
    other = await identity.start_session(type(user)(**{**user.__dict__}))
    current_access, current_refresh = user.access_token, user.refresh_token
    user.access_token = current_access
    wrong = await client.post(
        "/api/v1/users/me/password",
        json={"currentPassword": "not-my-password-1", "newPassword": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {current_access}"},
    )
    assert wrong.status_code == 403
    assert wrong.json()["error"]["code"] == "invalid_current_password"
    response = await client.post(
        "/api/v1/users/me/password",
        json={"currentPassword": user.password, "newPassword": NEW_PASSWORD},
        headers={"Authorization": f"Bearer {current_access}"},
    )
    assert response.status_code == 200, response.text
    fresh = response.json()["accessToken"]

    def auth(token: str | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    assert (await client.get("/api/v1/users/me", headers=auth(current_access))).status_code == 401
    assert (
        await client.get("/api/v1/users/me", headers=auth(other.access_token))
    ).status_code == 401
    assert (await client.get("/api/v1/users/me", headers=auth(fresh))).status_code == 200
    kept = await client.post("/api/v1/auth/refresh", json={"refreshToken": current_refresh})
    gone = await client.post("/api/v1/auth/refresh", json={"refreshToken": other.refresh_token})
    assert kept.status_code == 200
    assert gone.status_code == 401
    notice = await latest_email(relay, settings, user.email)
    assert "password was changed" in str(notice["Subject"])


async def test_change_password_applies_the_policy(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    for bad in ("short", "finalfantasy", "x" * 129):
        response = await client.post(
            "/api/v1/users/me/password",
            json={"currentPassword": user.password, "newPassword": bad},
            headers=user.headers,
        )
        assert response.status_code == 422, bad


async def test_email_change_applies_only_when_the_new_address_confirms(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings, db: Database
) -> None:
    user = await identity.signed_in()
    response = await client.post(
        "/api/v1/users/me/email",
        json={"currentPassword": user.password, "newEmail": "Fresh.Address@Example.org"},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    old_notice = await latest_email(relay, settings, user.email)
    assert "Fresh.Address@example.org" in email_text(old_notice)
    link = await latest_email(relay, settings, "Fresh.Address@example.org")
    token = token_in(link, "confirm-email")
    me = await client.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["email"] == user.email
    confirm = await client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert confirm.status_code == 200, confirm.text
    assert (
        await client.post("/api/v1/auth/email/confirm", json={"token": token})
    ).status_code == 400
    me = await client.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["email"] == "Fresh.Address@example.org"
    assert me.json()["emailVerified"] is True
    changed = await latest_email(relay, settings, user.email)
    assert "was changed" in str(changed["Subject"])
    login = await client.post(
        "/api/v1/auth/login", json={"email": "fresh.address@example.org", "password": user.password}
    )
    assert login.status_code == 200


async def test_email_change_to_a_taken_address_answers_the_same_and_changes_nothing(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings, db: Database
) -> None:
    user = await identity.signed_in()
    taken = await identity.user()
    headers = {**user.headers, "X-Request-ID": "same"}
    free = await client.post(
        "/api/v1/users/me/email",
        json={"currentPassword": user.password, "newEmail": "free@example.org"},
        headers=headers,
    )
    busy = await client.post(
        "/api/v1/users/me/email",
        json={"currentPassword": user.password, "newEmail": taken.email.upper()},
        headers=headers,
    )
    assert free.status_code == busy.status_code == 202
    assert free.content == busy.content
    notice = await latest_email(relay, settings, taken.email)
    assert "Someone tried to use your email address" in str(notice["Subject"])
    assert "confirm-email?token=" not in email_text(notice)


async def test_email_change_needs_the_current_password(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.signed_in()
    response = await client.post(
        "/api/v1/users/me/email",
        json={"currentPassword": "wrong-password-000", "newEmail": "free@example.org"},
        headers=user.headers,
    )
    assert response.status_code == 403
    await relay.drain()
    assert read_emails(settings, "free@example.org") == []


async def test_confirming_an_address_taken_in_the_meantime_is_a_conflict(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings, db: Database
) -> None:
    user = await identity.signed_in()
    await client.post(
        "/api/v1/users/me/email",
        json={"currentPassword": user.password, "newEmail": "contested@example.org"},
        headers=user.headers,
    )
    token = token_in(await latest_email(relay, settings, "contested@example.org"), "confirm-email")
    await identity.user(email="contested@example.org")
    response = await client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"
    async with db.read_session() as s:
        email = (await s.execute(sa.select(User.email).where(User.id == user.id))).scalar_one()
    assert email == user.email


async def test_submitting_link_tokens_is_rate_limited_per_ip(
    client: AsyncClient, settings: Settings
) -> None:
    limit = IdentitySettings.of(settings).login_attempts_per_ip_per_minute
    paths = ["/api/v1/auth/email/verify", "/api/v1/auth/email/confirm"]
    statuses = [
        (await client.post(paths[i % 2], json={"token": f"guess-{i:040d}"})).status_code
        for i in range(limit)
    ]
    assert set(statuses) == {400}
    blocked = await client.post(RESET, json={"token": "g" * 43, "newPassword": NEW_PASSWORD})
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
