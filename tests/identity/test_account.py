"""My account: profile and settings, mass assignment (AC-03/04), sessions, query counts."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.identity.models import User, UserProfile, UserSettings
from campus.kernel.db import Database
from tests.fixtures.identity import AppUser, IdentityFactory, held_by
from tests.fixtures.queries import count_queries

ME = "/api/v1/users/me"


async def snapshot(db: Database, user_id: uuid.UUID) -> tuple[Any, ...]:
    async with db.read_session() as s:
        user = (await s.execute(sa.select(User.__table__).where(User.id == user_id))).one()
        profile = (
            await s.execute(sa.select(UserProfile.__table__).where(UserProfile.user_id == user_id))
        ).one()
        settings = (
            await s.execute(
                sa.select(UserSettings.__table__).where(UserSettings.user_id == user_id)
            )
        ).one()
    return tuple(user), tuple(profile), tuple(settings)


async def test_get_me_returns_user_profile_settings_and_roles(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in(roles=("student", "instructor"))
    response = await client.get(ME, headers=user.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["email"] == user.email
    assert body["emailVerified"] is True
    assert body["displayName"] == f"{user.first_name} {user.last_name}"
    assert body["roles"] == ["instructor", "student"]
    assert body["permissions"] == held_by("instructor")
    assert body["status"] == "active"
    assert body["mfaEnabled"] is False
    assert body["settings"] == {
        "emailNotifications": True,
        "marketingEmails": False,
        "theme": "system",
        "language": "en",
        "timeZone": "UTC",
    }
    assert body["profile"]["socialLinks"] == {
        "github": None,
        "linkedin": None,
        "twitter": None,
        "website": None,
    }
    assert body["languagePreference"] == "en"
    assert "passwordHash" not in body
    assert "tokenVersion" not in body


async def test_patch_me_updates_names_profile_and_settings(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    patch = {
        "firstName": "  Zoe\u0308  ",
        "lastName": "O'Brien-Smith",
        "dateOfBirth": "1992-02-29",
        "profile": {
            "bio": "Line one\nLine two",
            "avatarUrl": "https://cdn.example.com/a.png",
            "location": "Dublin",
            "website": "https://zoe.example",
            "occupation": "Engineer",
            "company": "Acme",
            "phone": "+353 1 234 5678",
            "address": "1 Main St\nDublin",
            "socialLinks": {
                "github": "https://github.com/zoe",
                "linkedin": "https://linkedin.com/in/zoe",
            },
        },
        "settings": {"theme": "dark", "marketingEmails": True, "language": "pt-BR"},
    }
    response = await client.patch(ME, json=patch, headers=user.headers)
    assert response.status_code == 200, response.text
    body = (await client.get(ME, headers=user.headers)).json()
    assert body["firstName"] == "Zoë"
    assert body["lastName"] == "O'Brien-Smith"
    assert body["dateOfBirth"] == "1992-02-29"
    assert body["profile"]["bio"] == "Line one\nLine two"
    assert body["profileImageUrl"] == "https://cdn.example.com/a.png"
    assert body["profile"]["socialLinks"]["github"] == "https://github.com/zoe"
    assert body["profile"]["socialLinks"]["twitter"] is None
    assert body["settings"] == {
        "emailNotifications": True,
        "marketingEmails": True,
        "theme": "dark",
        "language": "pt-BR",
        "timeZone": "UTC",
    }
    assert body["languagePreference"] == "pt-BR"
    partial = await client.patch(ME, json={"profile": {"bio": None}}, headers=user.headers)
    assert partial.json()["profile"]["bio"] is None
    assert partial.json()["profile"]["location"] == "Dublin"


@pytest.mark.parametrize(
    "field",
    [
        {"role": "admin"},
        {"roles": ["admin"]},
        {"emailVerified": True},
        {"email_verified": True},
        {"status": "active"},
        {"tokenVersion": 0},
        {"id": "00000000-0000-0000-0000-000000000001"},
        {"email": "new@example.com"},
        {"passwordHash": "x"},
        {"profile": {"userId": "00000000-0000-0000-0000-000000000001"}},
        {"settings": {"admin": True}},
    ],
)
async def test_patch_me_rejects_fields_it_does_not_own_and_changes_nothing(
    client: AsyncClient, identity: IdentityFactory, db: Database, field: dict[str, Any]
) -> None:
    user = await identity.signed_in()
    before = await snapshot(db, user.id)
    response = await client.patch(ME, json={"firstName": "Changed", **field}, headers=user.headers)
    assert response.status_code == 422
    fields = response.json()["error"]["details"]["fields"]
    assert any(f["code"] == "extra_forbidden" for f in fields)
    assert await snapshot(db, user.id) == before


@pytest.mark.parametrize(
    "patch",
    [
        {"firstName": None},
        {"firstName": "   "},
        {"firstName": "x" * 51},
        {"lastName": "Robert'); DROP TABLE users;--"},
        {"dateOfBirth": "2999-01-01"},
        {"dateOfBirth": "not-a-date"},
        {"profile": {"avatarUrl": "javascript:alert(1)"}},
        {"profile": {"website": "ftp://example.com"}},
        {"profile": {"socialLinks": {"github": "github.com/zoe"}}},
        {"profile": {"socialLinks": {"mastodon": "https://m.example"}}},
        {"profile": {"bio": "x" * 2001}},
        {"profile": {"location": "Dub\u202elin"}},
        {"profile": {"phone": "call me maybe"}},
        {"settings": {"theme": "blue"}},
        {"settings": {"language": None}},
        {"settings": {"language": "english please"}},
        {"settings": {"emailNotifications": "sometimes"}},
    ],
)
async def test_patch_me_validates_every_field_and_changes_nothing(
    client: AsyncClient, identity: IdentityFactory, db: Database, patch: dict[str, Any]
) -> None:
    user = await identity.signed_in()
    before = await snapshot(db, user.id)
    response = await client.patch(ME, json=patch, headers=user.headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]["fields"]
    assert await snapshot(db, user.id) == before


async def test_get_me_and_the_token_verifier_use_a_fixed_number_of_queries(
    app: FastAPI, client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    user = await identity.signed_in(roles=("student", "admin", "instructor"))
    with count_queries(db) as statements:
        response = await client.get(ME, headers=user.headers)
    assert response.status_code == 200
    assert len(statements) == 1, statements  # the caller and the account in one statement
    assert response.json()["roles"] == ["admin", "instructor", "student"]

    verifier = app.state.token_verifier
    async with db.read_session() as session:
        with count_queries(db) as statements:
            principal = await verifier(session, user.access_token)
    assert len(statements) == 1
    assert principal.user_id == user.id
    assert principal.roles == {"student", "admin", "instructor"}
    assert "user:manage" in principal.permissions


async def test_sessions_list_shows_devices_and_marks_the_current_one(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    phone = await identity.start_session(
        AppUser(**{**user.__dict__}),
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    )
    response = await client.get(f"{ME}/sessions", headers=phone.headers)
    assert response.status_code == 200
    page = response.json()
    assert (page["total"], page["page"], page["hasNext"]) == (2, 1, False)
    sessions = {s["id"]: s for s in page["items"]}
    assert set(sessions) == {str(user.session_id), str(phone.session_id)}
    assert sessions[str(phone.session_id)]["current"] is True
    assert sessions[str(phone.session_id)]["device"] == "Safari on iPhone"
    assert sessions[str(user.session_id)]["current"] is False
    assert sessions[str(user.session_id)]["ipAddress"] == "203.0.113.10"
    assert {"createdAt", "lastActiveAt", "userAgent"} <= sessions[str(user.session_id)].keys()


async def test_revoking_one_of_my_sessions_signs_it_out(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    other = await identity.start_session(AppUser(**{**user.__dict__}))
    response = await client.delete(f"{ME}/sessions/{user.session_id}", headers=other.headers)
    assert response.status_code == 200
    assert (await client.get(ME, headers=user.headers)).status_code == 401
    refresh = await client.post("/api/v1/auth/refresh", json={"refreshToken": user.refresh_token})
    assert refresh.status_code == 401
    assert (await client.get(ME, headers=other.headers)).status_code == 200
    listed = (await client.get(f"{ME}/sessions", headers=other.headers)).json()["items"]
    assert [s["id"] for s in listed] == [str(other.session_id)]


async def test_another_users_session_is_a_404_and_stays_alive(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    mallory = await identity.signed_in()
    victim = await identity.signed_in()
    response = await client.delete(f"{ME}/sessions/{victim.session_id}", headers=mallory.headers)
    assert response.status_code == 404
    assert (await client.get(ME, headers=victim.headers)).status_code == 200
    missing = await client.delete(f"{ME}/sessions/{uuid.uuid4()}", headers=mallory.headers)
    assert missing.status_code == 404
    malformed = await client.delete(f"{ME}/sessions/not-a-uuid", headers=mallory.headers)
    assert malformed.status_code == 422
