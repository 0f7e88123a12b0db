"""Admin user management and roles (seed 004 AssignRole/RemoveRole), JWT-10/11 for role
changes and deactivation, events, and the admin user list."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient

from campus.identity.models import InstructorProfile, UserRole
from campus.kernel.db import Database
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.identity import AppUser, IdentityFactory, held_by
from tests.fixtures.queries import count_queries

ADMIN = "/api/v1/admin/users"


async def events(db: Database, name: str) -> list[dict[str, Any]]:
    async with db.read_session() as s:
        rows = (
            await s.execute(
                sa.select(OutboxMessage.payload)
                .where(OutboxMessage.name == name)
                .order_by(OutboxMessage.id)
            )
        ).scalars()
        return [dict(r) for r in rows]


@pytest.fixture
async def admin(identity: IdentityFactory) -> AppUser:
    return await identity.signed_in(roles=("admin",))


async def test_assigning_instructor_creates_the_profile_publishes_and_applies_next_request(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser, db: Database
) -> None:
    user = await identity.signed_in()
    response = await client.post(
        f"{ADMIN}/{user.id}/roles", json={"role": "instructor"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"userId": str(user.id), "roles": ["instructor", "student"]}
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 401
    refreshed = await client.post("/api/v1/auth/refresh", json={"refreshToken": user.refresh_token})
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {refreshed.json()['accessToken']}"}
    )
    assert me.json()["roles"] == ["instructor", "student"]
    assert "course:create" in me.json()["permissions"]
    async with db.read_session() as s:
        assert (await s.execute(sa.select(InstructorProfile.user_id))).scalar_one() == user.id
    assert await events(db, "identity.role_assigned") == [
        {"userId": str(user.id), "role": "instructor", "assignedBy": str(admin.id)}
    ]
    assert (await client.get(f"/api/v1/instructors/{user.id}")).status_code == 200


async def test_assigning_a_role_twice_is_idempotent(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser, db: Database
) -> None:
    user = await identity.user(roles=("student", "consultant"))
    response = await client.post(
        f"{ADMIN}/{user.id}/roles", json={"role": "consultant"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert await events(db, "identity.role_assigned") == []


async def test_unknown_roles_and_users_are_refused(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser
) -> None:
    user = await identity.user()
    unknown_role = await client.post(
        f"{ADMIN}/{user.id}/roles", json={"role": "superuser"}, headers=admin.headers
    )
    assert unknown_role.status_code == 422
    assert unknown_role.json()["error"]["details"]["fields"][0]["code"] == "unknown_role"
    unknown_user = await client.post(
        f"{ADMIN}/{uuid.uuid4()}/roles", json={"role": "student"}, headers=admin.headers
    )
    assert unknown_user.status_code == 404
    not_assigned = await client.delete(f"{ADMIN}/{user.id}/roles/admin", headers=admin.headers)
    assert not_assigned.status_code == 404


async def test_removing_a_role_takes_effect_at_the_next_request(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser, db: Database
) -> None:
    other_admin = await identity.signed_in(roles=("admin",))
    assert (await client.get(ADMIN, headers=other_admin.headers)).status_code == 200
    response = await client.delete(f"{ADMIN}/{other_admin.id}/roles/admin", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["roles"] == []
    assert (await client.get(ADMIN, headers=other_admin.headers)).status_code == 401
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": other_admin.refresh_token}
    )
    token = {"Authorization": f"Bearer {refreshed.json()['accessToken']}"}
    assert (await client.get(ADMIN, headers=token)).status_code == 403
    assert await events(db, "identity.role_removed") == [
        {"userId": str(other_admin.id), "role": "admin", "removedBy": str(admin.id)}
    ]


async def test_an_admin_cannot_drop_their_own_admin_role_or_deactivate_themselves(
    client: AsyncClient, admin: AppUser, db: Database
) -> None:
    drop = await client.delete(f"{ADMIN}/{admin.id}/roles/admin", headers=admin.headers)
    assert drop.status_code == 409
    assert drop.json()["error"]["code"] == "cannot_remove_own_admin"
    deactivate = await client.post(f"{ADMIN}/{admin.id}/deactivate", headers=admin.headers)
    assert deactivate.status_code == 409
    assert deactivate.json()["error"]["code"] == "cannot_deactivate_self"
    assert (await client.get(ADMIN, headers=admin.headers)).status_code == 200
    async with db.read_session() as s:
        roles = set(
            (
                await s.execute(sa.select(UserRole.role_name).where(UserRole.user_id == admin.id))
            ).scalars()
        )
    assert roles == {"admin"}


async def test_deactivation_stops_the_user_at_once_and_reactivation_lets_them_back(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser, db: Database
) -> None:
    user = await identity.signed_in()
    response = await client.post(f"{ADMIN}/{user.id}/deactivate", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["status"] == "deactivated"
    assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 401
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert login.status_code == 403
    assert await events(db, "identity.user_deactivated") == [
        {"userId": str(user.id), "deactivatedBy": str(admin.id)}
    ]
    again = await client.post(f"{ADMIN}/{user.id}/deactivate", headers=admin.headers)
    assert again.status_code == 200
    assert len(await events(db, "identity.user_deactivated")) == 1
    back = await client.post(f"{ADMIN}/{user.id}/reactivate", headers=admin.headers)
    assert back.json()["status"] == "active"
    login = await client.post(
        "/api/v1/auth/login", json={"email": user.email, "password": user.password}
    )
    assert login.status_code == 200


async def test_admin_reads_one_user_and_404s_for_unknown_ids(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser
) -> None:
    user = await identity.user(roles=("instructor",))
    response = await client.get(f"{ADMIN}/{user.id}", headers=admin.headers)
    assert response.status_code == 200
    assert response.json()["roles"] == ["instructor"]
    assert response.json()["permissions"] == held_by("instructor")
    assert (await client.get(f"{ADMIN}/{uuid.uuid4()}", headers=admin.headers)).status_code == 404


async def make_people(identity: IdentityFactory) -> dict[str, AppUser]:
    return {
        "ana": await identity.user(
            first_name="Ana", last_name="Zamora", email="ana@alpha.people.example.org"
        ),
        "bob": await identity.user(
            first_name="Bob",
            last_name="Young",
            email="bob@beta.people.example.org",
            roles=("student", "instructor"),
        ),
        "cy": await identity.user(
            first_name="Cy", last_name="Xu", email="cy@gamma.people.example.org", verified=False
        ),
    }


async def test_admin_list_searches_filters_sorts_and_paginates(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser
) -> None:
    people = await make_people(identity)

    async def emails(**params: Any) -> list[str]:
        response = await client.get(ADMIN, params=params, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["email"] for item in response.json()["items"]]

    assert await emails(q="ZAMO") == ["ana@alpha.people.example.org"]
    assert await emails(q="beta.PEOPLE") == ["bob@beta.people.example.org"]
    assert await emails(q="%") == []
    assert await emails(role="instructor", q="people") == ["bob@beta.people.example.org"]
    assert await emails(verified="false", q="people") == ["cy@gamma.people.example.org"]
    assert await emails(status="active", q="people.example", sort="lastName") == [
        "cy@gamma.people.example.org",
        "bob@beta.people.example.org",
        "ana@alpha.people.example.org",
    ]
    assert await emails(q="people.example", sort="-email") == [
        "cy@gamma.people.example.org",
        "bob@beta.people.example.org",
        "ana@alpha.people.example.org",
    ]
    assert (await emails(q="people.example", sort="createdAt"))[0] == people["ana"].email
    page = await client.get(
        ADMIN,
        params={"q": "people.example", "limit": 2, "page": 2, "sort": "email"},
        headers=admin.headers,
    )
    body = page.json()
    assert [i["email"] for i in body["items"]] == ["cy@gamma.people.example.org"]
    assert body["total"] == 3
    assert body["page"] == 2
    assert body["limit"] == 2
    assert body["hasNext"] is False
    assert body["hasPrev"] is True
    item = body["items"][0]
    assert item["emailVerified"] is False
    assert item["roles"] == ["student"]


async def test_admin_search_ignores_the_case_of_every_letter(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser
) -> None:
    await identity.user(first_name="Élodie", last_name="Østergård", email="elodie@example.org")
    await identity.user(first_name="Elodie", last_name="Ostergard", email="plain@example.org")

    async def emails(q: str) -> list[str]:
        response = await client.get(ADMIN, params={"q": q}, headers=admin.headers)
        assert response.status_code == 200, response.text
        return [item["email"] for item in response.json()["items"]]

    for query in ("élodie", "ÉLODIE", "østergård", "ØSTERGÅRD", "ÅRD"):
        assert await emails(query) == ["elodie@example.org"], query
    assert await emails("ostergard") == ["plain@example.org"]


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "password"},
        {"sort": "-tokenVersion"},
        {"role": "superuser"},
        {"status": "banned"},
        {"verified": "maybe"},
        {"isAdmin": "true"},
        {"q": "x" * 101},
    ],
)
async def test_admin_list_rejects_unknown_sorts_and_filters(
    client: AsyncClient, admin: AppUser, params: dict[str, str]
) -> None:
    response = await client.get(ADMIN, params=params, headers=admin.headers)
    assert response.status_code == 422


async def test_admin_list_query_count_does_not_grow_with_the_page(
    client: AsyncClient, identity: IdentityFactory, admin: AppUser, db: Database
) -> None:
    for _ in range(3):
        await identity.user(roles=("student", "instructor"))
    with count_queries(db) as small:
        await client.get(ADMIN, params={"limit": 1}, headers=admin.headers)
    with count_queries(db) as large:
        await client.get(ADMIN, params={"limit": 100}, headers=admin.headers)
    assert len(small) == len(large) == 4  # verifier, count, page, roles of the page
