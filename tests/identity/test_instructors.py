"""Instructor profiles: public reads, the instructor's own edits."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from httpx import AsyncClient

from campus.identity.models import User
from campus.kernel.db import Database
from tests.fixtures.identity import IdentityFactory

PROFILE = "/api/v1/users/me/instructor-profile"


async def test_an_instructor_edits_their_profile_and_anyone_can_read_it(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    teacher = await identity.signed_in(roles=("instructor",), first_name="Grace", last_name="Kelly")
    response = await client.patch(
        PROFILE,
        json={
            "headline": "Databases, kindly explained",
            "bio": "Ten years of teaching SQL.",
            "expertise": ["SQL", "PostgreSQL", "SQL"],
            "yearsOfExperience": 10,
        },
        headers=teacher.headers,
    )
    assert response.status_code == 200, response.text
    public = await client.get(f"/api/v1/instructors/{teacher.id}")
    assert public.status_code == 200
    assert public.json() == {
        "id": str(teacher.id),
        "displayName": "Grace Kelly",
        "firstName": "Grace",
        "lastName": "Kelly",
        "avatarUrl": None,
        "headline": "Databases, kindly explained",
        "bio": "Ten years of teaching SQL.",
        "expertise": ["SQL", "PostgreSQL"],
        "yearsOfExperience": 10,
    }


async def test_non_instructors_have_no_public_profile_and_cannot_edit_one(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    student = await identity.signed_in()
    assert (await client.get(f"/api/v1/instructors/{student.id}")).status_code == 404
    assert (await client.get(f"/api/v1/instructors/{uuid.uuid4()}")).status_code == 404
    response = await client.patch(PROFILE, json={"headline": "Imposter"}, headers=student.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "not_an_instructor"
    teacher = await identity.user(roles=("instructor",))
    async with db.session() as s:
        await s.execute(sa.update(User).where(User.id == teacher.id).values(status="deactivated"))
    assert (await client.get(f"/api/v1/instructors/{teacher.id}")).status_code == 404


async def test_instructor_profile_fields_are_validated(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    teacher = await identity.signed_in(roles=("instructor",))
    for patch in (
        {"yearsOfExperience": 81},
        {"yearsOfExperience": -1},
        {"expertise": ["x"] * 21},
        {"expertise": ["y" * 51]},
        {"headline": "h" * 121},
        {"rating": 5},
    ):
        response = await client.patch(PROFILE, json=patch, headers=teacher.headers)
        assert response.status_code == 422, patch


async def test_the_public_instructor_list_is_paginated(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    for name in ("Adams", "Baker", "Clark"):
        await identity.user(roles=("instructor",), last_name=name)
    await identity.user(last_name="Student")
    first = await client.get("/api/v1/instructors", params={"limit": 2})
    assert first.status_code == 200
    body = first.json()
    assert body["total"] == 3
    assert body["hasNext"] is True
    assert [i["lastName"] for i in body["items"]] == ["Adams", "Baker"]
    second = await client.get("/api/v1/instructors", params={"limit": 2, "page": 2})
    assert [i["lastName"] for i in second.json()["items"]] == ["Clark"]
