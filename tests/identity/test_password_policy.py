"""The password policy (AUTH-01, issue 12): trivial, common and personal passwords are refused
with a 422 field error, and a change or reset cannot keep the current password."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from httpx import AsyncClient

from campus.config import Settings
from campus.identity.models import User
from campus.identity.service import passwords
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import IdentityFactory, latest_email, token_in

REGISTER = "/api/v1/auth/register"
CHANGE = "/api/v1/users/me/password"
FORGOT = "/api/v1/auth/password/forgot"
RESET = "/api/v1/auth/password/reset"


def _body(password: str) -> dict[str, str]:
    return {
        "firstName": "Amara",
        "lastName": "Okafor",
        "email": "amara.okafor@example.com",
        "password": password,
    }


def _field_error(response: object) -> tuple[str, str]:
    fields = response.json()["error"]["details"]["fields"]  # type: ignore[attr-defined]
    assert len(fields) == 1, fields
    return fields[0]["field"], fields[0]["code"]


def test_the_bundled_common_password_list_has_at_least_ten_thousand_entries() -> None:
    assert len(passwords._COMMON_PASSWORDS) >= 10_000
    assert passwords.is_common("Password123")


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("aaaaaaaaaaaa", "password_repetitive"),
        ("############", "password_repetitive"),
        ("abcabcabcabc", "password_repetitive"),
        ("abcdefghijklmn", "password_sequence"),
        ("ZYXWVUTSRQPO", "password_sequence"),
        ("123456789012", "password_sequence"),
        ("7890123456789", "password_sequence"),
        ("qwertyuiopasdf", "password_sequence"),
        ("azertyuiopqsdf", "password_sequence"),
        ("qwerty-asdfgh-zxcvbn", "password_sequence"),
        ("password1234", "password_too_common"),
        ("Sunshine2024!", "password_too_common"),
        ("P@ssw0rd2024", "password_too_common"),
        ("amara.okafor@example.com", "password_matches_identity"),
        ("Amara.Okafor2024", "password_matches_identity"),
        ("AmaraOkafor!!!", "password_matches_identity"),
        ("okafor-amara-1990", None),  # a phrase containing the name is not the name
    ],
)
async def test_register_refuses_trivial_common_and_personal_passwords(
    client: AsyncClient, db: Database, password: str, code: str | None
) -> None:
    response = await client.post(REGISTER, json=_body(password))
    if code is None:
        assert response.status_code == 202, response.text
        return
    assert response.status_code == 422, response.text
    assert _field_error(response) == ("password", code)
    async with db.read_session() as s:
        assert (await s.execute(sa.select(sa.func.count()).select_from(User))).scalar_one() == 0


async def test_changing_to_the_current_password_is_refused(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    response = await client.post(
        CHANGE,
        json={"currentPassword": user.password, "newPassword": user.password},
        headers=user.headers,
    )
    assert response.status_code == 422, response.text
    assert _field_error(response) == ("newPassword", "password_reused")
    sequence = await client.post(
        CHANGE,
        json={"currentPassword": user.password, "newPassword": "1234567890123"},
        headers=user.headers,
    )
    assert _field_error(sequence) == ("newPassword", "password_sequence")
    # Nothing changed: the session still works.
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 200


async def test_resetting_to_the_current_password_is_refused_and_the_link_stays_usable(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.user()
    assert (await client.post(FORGOT, json={"email": user.email})).status_code == 202
    token = token_in(await latest_email(relay, settings, user.email), "reset-password")
    same = await client.post(RESET, json={"token": token, "newPassword": user.password})
    assert same.status_code == 422, same.text
    assert _field_error(same) == ("newPassword", "password_reused")
    fresh = await client.post(RESET, json={"token": token, "newPassword": "harbor-lantern-moss-52"})
    assert fresh.status_code == 200, fresh.text
