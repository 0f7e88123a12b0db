"""TOTP MFA: enrolment, login challenge, replay protection, recovery codes, disable, admin
policy, and security notices (AUTH-07/08)."""

from __future__ import annotations

import asyncio

import pyotp
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response

from campus.config import Settings
from campus.identity.models import MfaRecoveryCode, MfaTotp
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import AppUser, IdentityFactory, latest_email

LOGIN = "/api/v1/auth/login"
VERIFY = "/api/v1/auth/mfa/verify"


async def enrol(client: AsyncClient, user: AppUser, clock: Clock) -> tuple[str, list[str]]:
    setup = await client.post(
        "/api/v1/users/me/mfa/setup", json={"currentPassword": user.password}, headers=user.headers
    )
    assert setup.status_code == 200, setup.text
    secret = setup.json()["secret"]
    assert setup.json()["otpauthUri"].startswith("otpauth://totp/Campus:")
    confirm = await client.post(
        "/api/v1/users/me/mfa/confirm",
        json={"code": pyotp.TOTP(secret).at(clock.now())},
        headers=user.headers,
    )
    assert confirm.status_code == 200, confirm.text
    return secret, confirm.json()["recoveryCodes"]


def field_code(response: Response) -> tuple[str, str]:
    """``(field, code)`` of a one-field 422."""
    assert response.json()["error"]["code"] == "validation_error", response.text
    (field,) = response.json()["error"]["details"]["fields"]
    return str(field["field"]), str(field["code"])


async def challenge(client: AsyncClient, user: AppUser) -> str:
    response = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["mfaRequired"] is True
    assert "accessToken" not in body
    assert "refreshToken" not in body
    assert "set-cookie" not in response.headers
    return str(body["mfaToken"])


async def test_enrolment_returns_ten_recovery_codes_stores_hashes_and_notifies(
    client: AsyncClient,
    identity: IdentityFactory,
    db: Database,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    user = await identity.signed_in()
    secret, codes = await enrol(client, user, frozen_clock)
    assert len(codes) == 10
    assert len(set(codes)) == 10
    async with db.read_session() as s:
        stored = set((await s.execute(sa.select(MfaRecoveryCode.code_hash))).scalars())
        encrypted = (await s.execute(sa.select(MfaTotp.secret_encrypted))).scalar_one()
    assert not stored & set(codes)
    assert secret not in encrypted
    me = await client.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["mfaEnabled"] is True
    notice = await latest_email(relay, settings, user.email)
    assert "enabled" in str(notice["Subject"])


async def test_setup_needs_the_current_password_and_confirm_needs_a_valid_code(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    wrong = await client.post(
        "/api/v1/users/me/mfa/setup",
        json={"currentPassword": "nope-nope-nope"},
        headers=user.headers,
    )
    assert wrong.status_code == 403
    setup = await client.post(
        "/api/v1/users/me/mfa/setup", json={"currentPassword": user.password}, headers=user.headers
    )
    assert setup.status_code == 200
    bad = await client.post(
        "/api/v1/users/me/mfa/confirm", json={"code": "000000"}, headers=user.headers
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["details"]["fields"][0]["code"] == "invalid_mfa_code"


async def test_login_with_mfa_needs_a_code_and_a_code_cannot_be_replayed(
    client: AsyncClient, identity: IdentityFactory, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    secret, _ = await enrol(client, user, frozen_clock)
    same_step = pyotp.TOTP(secret).at(frozen_clock.now())
    token = await challenge(client, user)
    replayed = await client.post(VERIFY, json={"mfaToken": token, "code": same_step})
    assert replayed.status_code == 422  # that step was spent confirming the enrolment
    assert field_code(replayed) == ("code", "invalid_mfa_code")
    frozen_clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    ok = await client.post(VERIFY, json={"mfaToken": token, "code": code})
    assert ok.status_code == 200, ok.text
    assert "campus_refresh=" in ok.headers["set-cookie"]
    access = ok.json()["accessToken"]
    assert (
        await client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {access}"})
    ).status_code == 200
    again = await client.post(VERIFY, json={"mfaToken": token, "code": code})
    assert again.status_code == 422
    assert field_code(again) == ("code", "invalid_mfa_code")


async def test_a_recovery_code_works_once_and_triggers_a_notice(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    user = await identity.signed_in()
    _, codes = await enrol(client, user, frozen_clock)
    token = await challenge(client, user)
    first = await client.post(VERIFY, json={"mfaToken": token, "recoveryCode": codes[3].upper()})
    assert first.status_code == 200, first.text
    second = await client.post(VERIFY, json={"mfaToken": token, "recoveryCode": codes[3]})
    assert second.status_code == 422
    assert field_code(second) == ("recoveryCode", "invalid_mfa_code")
    notice = await latest_email(relay, settings, user.email)
    assert "recovery code" in str(notice["Subject"])


async def test_the_mfa_token_expires_after_five_minutes(
    client: AsyncClient, identity: IdentityFactory, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    secret, _ = await enrol(client, user, frozen_clock)
    token = await challenge(client, user)
    frozen_clock.advance(minutes=5, seconds=11)
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    response = await client.post(VERIFY, json={"mfaToken": token, "code": code})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_mfa_token"


async def test_mfa_verification_attempts_are_rate_limited_per_challenge(
    client: AsyncClient, identity: IdentityFactory, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    await enrol(client, user, frozen_clock)
    token = await challenge(client, user)
    statuses = [
        (await client.post(VERIFY, json={"mfaToken": token, "code": f"{i:06d}"})).status_code
        for i in range(6)
    ]
    assert statuses == [422] * 5 + [429]


async def test_a_forged_or_access_token_is_not_an_mfa_token(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    for token in (user.access_token, "a.b.c", "x" * 100):
        response = await client.post(VERIFY, json={"mfaToken": token, "code": "123456"})
        assert response.status_code == 401


async def test_disable_needs_password_and_code_then_login_is_single_step(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    user = await identity.signed_in()
    secret, _ = await enrol(client, user, frozen_clock)
    frozen_clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    no_password = await client.post(
        "/api/v1/users/me/mfa/disable",
        json={"currentPassword": "wrong-password-1", "code": code},
        headers=user.headers,
    )
    assert no_password.status_code == 403
    bad_code = await client.post(
        "/api/v1/users/me/mfa/disable",
        json={"currentPassword": user.password, "code": "000000"},
        headers=user.headers,
    )
    assert bad_code.status_code == 422
    ok = await client.post(
        "/api/v1/users/me/mfa/disable",
        json={"currentPassword": user.password, "code": code},
        headers=user.headers,
    )
    assert ok.status_code == 200, ok.text
    notice = await latest_email(relay, settings, user.email)
    assert "disabled" in str(notice["Subject"])
    login = await client.post(LOGIN, json={"email": user.email, "password": user.password})
    assert "accessToken" in login.json()


@pytest.mark.parametrize("enrolled", [False, True])
async def test_admins_must_have_mfa_when_the_setting_requires_it(
    app: FastAPI,
    client: AsyncClient,
    identity: IdentityFactory,
    frozen_clock: Clock,
    enrolled: bool,
) -> None:
    admin = await identity.signed_in(roles=("admin",))
    student = await identity.user()
    if enrolled:
        await enrol(client, admin, frozen_clock)
    original = app.state.settings
    app.state.settings = original.replace(require_mfa_for_admins=True)
    try:
        response = await client.post(LOGIN, json={"email": admin.email, "password": admin.password})
    finally:
        app.state.settings = original
    if enrolled:
        assert response.status_code == 200
        assert response.json()["mfaRequired"] is True
    else:
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "mfa_enrollment_required"
    ok = await client.post(LOGIN, json={"email": student.email, "password": student.password})
    assert ok.status_code == 200
    assert "accessToken" in ok.json()


async def test_one_totp_code_sent_concurrently_signs_in_exactly_once(
    client: AsyncClient, identity: IdentityFactory, frozen_clock: Clock
) -> None:
    user = await identity.signed_in()
    secret, _ = await enrol(client, user, frozen_clock)
    token = await challenge(client, user)
    frozen_clock.advance(seconds=30)
    code = pyotp.TOTP(secret).at(frozen_clock.now())
    responses = await asyncio.gather(
        *(client.post(VERIFY, json={"mfaToken": token, "code": code}) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [200, 422, 422, 422, 422]


async def test_confirm_login_and_disable_share_one_rule_for_codes(
    client: AsyncClient, identity: IdentityFactory, frozen_clock: Clock
) -> None:
    """Issue 12: a TOTP step is single-use per user across confirm, login and disable, and a
    bad code is the same 422 ``invalid_mfa_code`` on ``code`` wherever it is typed."""
    user = await identity.signed_in()
    setup = await client.post(
        "/api/v1/users/me/mfa/setup", json={"currentPassword": user.password}, headers=user.headers
    )
    totp = pyotp.TOTP(setup.json()["secret"])
    confirm_url = "/api/v1/users/me/mfa/confirm"
    wrong_confirm = await client.post(confirm_url, json={"code": "000000"}, headers=user.headers)
    used = totp.at(frozen_clock.now())
    confirmed = await client.post(confirm_url, json={"code": used}, headers=user.headers)
    assert confirmed.status_code == 200, confirmed.text

    token = await challenge(client, user)
    wrong_login = await client.post(VERIFY, json={"mfaToken": token, "code": "000000"})
    replayed_login = await client.post(VERIFY, json={"mfaToken": token, "code": used})
    disable_url = "/api/v1/users/me/mfa/disable"
    replayed_disable = await client.post(
        disable_url, json={"currentPassword": user.password, "code": used}, headers=user.headers
    )
    for response in (wrong_confirm, wrong_login, replayed_login, replayed_disable):
        assert response.status_code == 422, response.text
        assert field_code(response) == ("code", "invalid_mfa_code")

    frozen_clock.advance(seconds=30)  # the next step's code signs in, once
    fresh = totp.at(frozen_clock.now())
    assert (await client.post(VERIFY, json={"mfaToken": token, "code": fresh})).status_code == 200
    spent = await client.post(
        disable_url, json={"currentPassword": user.password, "code": fresh}, headers=user.headers
    )
    assert field_code(spent) == ("code", "invalid_mfa_code")
