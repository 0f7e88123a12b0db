"""Registration, email verification and resend (AUTH-01, AUTH-04, AUTH-05, AUTH-06)."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa
from httpx import AsyncClient

from campus.config import Settings
from campus.identity.models import ActionToken, User, UserRole
from campus.identity.settings import IdentitySettings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.identity import IdentityFactory, email_text, latest_email, read_emails, token_in

REGISTER = "/api/v1/auth/register"
PASSWORD = "plum-gravel-sunrise-88"


def registration(**overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "firstName": "Noor",
        "lastName": "Haddad",
        "email": "Noor.Haddad@Example.COM",
        "password": PASSWORD,
    }
    body.update(overrides)
    return body


async def test_register_creates_an_unverified_student_and_emails_a_verification_link(
    client: AsyncClient, db: Database, relay: Relay, settings: Settings
) -> None:
    response = await client.post(
        REGISTER,
        json=registration(
            dateOfBirth="1990-05-01", phone="+44 20 7946 0958", languagePreference="fr"
        ),
    )
    assert response.status_code == 202, response.text
    async with db.read_session() as s:
        user = (
            await s.execute(sa.select(User.email, User.email_key, User.email_verified_at))
        ).one()
        roles = set((await s.execute(sa.select(UserRole.role_name))).scalars())
        events = list((await s.execute(sa.select(OutboxMessage.name))).scalars())
    assert user.email == "Noor.Haddad@example.com"  # domain lower-cased, local part kept
    assert user.email_key == "noor.haddad@example.com"
    assert user.email_verified_at is None
    assert roles == {"student"}
    assert "identity.user_registered" in events
    message = await latest_email(relay, settings, "Noor.Haddad@example.com")
    assert "verify-email?token=" in email_text(message)


async def test_verification_link_verifies_once_and_publishes_email_verified(
    client: AsyncClient, db: Database, relay: Relay, settings: Settings
) -> None:
    await client.post(REGISTER, json=registration())
    token = token_in(await latest_email(relay, settings, "Noor.Haddad@example.com"), "verify-email")
    assert len(token) >= 43  # 256 bits, url-safe base64
    first = await client.post("/api/v1/auth/email/verify", json={"token": token})
    assert first.status_code == 200, first.text
    second = await client.post("/api/v1/auth/email/verify", json={"token": token})
    assert second.status_code == 400
    assert second.json()["error"]["code"] == "invalid_token"
    async with db.read_session() as s:
        verified_at = (await s.execute(sa.select(User.email_verified_at))).scalar_one()
        stored = (await s.execute(sa.select(ActionToken.token_hash))).scalar_one()
        events = list((await s.execute(sa.select(OutboxMessage.name))).scalars())
    assert verified_at is not None
    assert stored != token
    assert len(stored) == 64
    assert events.count("identity.email_verified") == 1


async def test_verification_link_expires_after_24_hours(
    client: AsyncClient, relay: Relay, settings: Settings, frozen_clock: object
) -> None:
    from campus.kernel.clock import clock

    await client.post(REGISTER, json=registration())
    token = token_in(await latest_email(relay, settings, "Noor.Haddad@example.com"), "verify-email")
    clock.advance(hours=24, seconds=1)
    response = await client.post("/api/v1/auth/email/verify", json={"token": token})
    assert response.status_code == 400


async def test_resend_voids_the_previous_verification_link(
    client: AsyncClient, relay: Relay, settings: Settings
) -> None:
    await client.post(REGISTER, json=registration())
    old = token_in(await latest_email(relay, settings, "Noor.Haddad@example.com"), "verify-email")
    resend = await client.post(
        "/api/v1/auth/email/resend", json={"email": "noor.haddad@example.com"}
    )
    assert resend.status_code == 202
    new = token_in(await latest_email(relay, settings, "Noor.Haddad@example.com"), "verify-email")
    assert new != old
    assert (await client.post("/api/v1/auth/email/verify", json={"token": old})).status_code == 400
    assert (await client.post("/api/v1/auth/email/verify", json={"token": new})).status_code == 200


async def test_resend_answers_the_same_for_unknown_and_verified_addresses(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    verified = await identity.user(verified=True)
    headers = {"X-Request-ID": "same"}
    known = await client.post(
        "/api/v1/auth/email/resend", json={"email": verified.email}, headers=headers
    )
    unknown = await client.post(
        "/api/v1/auth/email/resend", json={"email": "nobody@example.com"}, headers=headers
    )
    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content
    await relay.drain()
    assert read_emails(settings, verified.email) == []


async def test_register_with_an_existing_email_answers_identically_and_notifies_the_owner(
    client: AsyncClient, db: Database, relay: Relay, settings: Settings
) -> None:
    first = await client.post(REGISTER, json=registration())
    await relay.drain()
    again = await client.post(
        REGISTER,
        json=registration(
            email="NOOR.HADDAD@example.com", firstName="Other", password="another-long-passphrase-7"
        ),
    )
    assert again.status_code == first.status_code == 202
    assert again.content == first.content
    async with db.read_session() as s:
        count = (await s.execute(sa.select(sa.func.count()).select_from(User))).scalar_one()
    assert count == 1
    notice = await latest_email(relay, settings, "Noor.Haddad@example.com")
    assert "tried to register" in str(notice["Subject"])


async def test_register_rejects_a_common_password_and_one_equal_to_the_email(
    client: AsyncClient, db: Database
) -> None:
    common = await client.post(REGISTER, json=registration(password="QWERTY123456"))
    assert common.status_code == 422
    assert common.json()["error"]["details"]["fields"][0]["code"] == "password_too_common"
    same = await client.post(
        REGISTER,
        json=registration(email="longlocalpart@example.com", password="LongLocalPart@example.com"),
    )
    assert same.status_code == 422
    assert same.json()["error"]["details"]["fields"][0]["code"] == "password_matches_identity"
    async with db.read_session() as s:
        assert (await s.execute(sa.select(sa.func.count()).select_from(User))).scalar_one() == 0


async def test_password_length_is_12_to_128_characters_without_composition_rules(
    client: AsyncClient,
) -> None:
    too_short = await client.post(REGISTER, json=registration(password="a" * 5 + "bcdefg"))
    too_long = await client.post(REGISTER, json=registration(password="x" * 129))
    longest = await client.post(
        REGISTER, json=registration(email="max@example.com", password="horse " * 21 + "zy")
    )
    only_lowercase = await client.post(
        REGISTER, json=registration(email="lower@example.com", password="thistle-marble-quay")
    )
    assert too_short.status_code == 422
    assert too_long.status_code == 422
    assert longest.status_code == 202, longest.text
    assert only_lowercase.status_code == 202


async def test_resend_and_register_are_rate_limited_per_account(
    client: AsyncClient, settings: Settings
) -> None:
    limit = IdentitySettings.of(settings).auth_emails_per_hour
    statuses = [
        (
            await client.post("/api/v1/auth/email/resend", json={"email": "x@example.com"})
        ).status_code
        for _ in range(limit + 1)
    ]
    assert statuses[:limit] == [202] * limit
    assert statuses[-1] == 429
    last = await client.post("/api/v1/auth/email/resend", json={"email": "x@example.com"})
    assert last.status_code == 429
    assert int(last.headers["Retry-After"]) > 0


async def test_concurrent_registrations_of_one_email_create_one_account(
    client: AsyncClient, db: Database
) -> None:
    bodies = [registration(firstName=f"Twin{'abcde'[i]}") for i in range(5)]
    responses = await asyncio.gather(*(client.post(REGISTER, json=b) for b in bodies))
    assert {r.status_code for r in responses} == {202}
    assert len({r.content for r in responses}) == 1
    async with db.read_session() as s:
        count = (await s.execute(sa.select(sa.func.count()).select_from(User))).scalar_one()
    assert count == 1
