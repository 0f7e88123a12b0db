"""The identity doorway (campus.identity.api) other contexts and the CLI use."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from campus.identity import api
from campus.identity.data import UserSummary
from campus.identity.models import Role, RolePermission
from campus.kernel.db import Database
from campus.kernel.errors import Conflict, ValidationFailed
from campus.kernel.module import all_permissions
from campus.kernel.outbox import OutboxMessage
from campus.modules import load_modules
from tests.fixtures.queries import count_queries


async def test_create_user_makes_a_ready_account_and_publishes_user_registered(
    db: Database,
) -> None:
    async with db.session() as session:
        user_id = await api.create_user(
            session,
            email="Dora@Example.com",
            password="kettle-orchid-bridge-4",
            first_name="Dora",
            last_name="Explorer",
            roles=("student", "instructor"),
            verified=True,
        )
    async with db.read_session() as session:
        summary = await api.get_user_summary(session, user_id)
        payload = (
            await session.execute(
                sa.select(OutboxMessage.payload).where(
                    OutboxMessage.name == "identity.user_registered"
                )
            )
        ).scalar_one()
        assert await api.is_instructor(session, user_id)
    assert summary == UserSummary(
        id=user_id,
        first_name="Dora",
        last_name="Explorer",
        display_name="Dora Explorer",
        email="Dora@example.com",
        avatar_url=None,
        roles=frozenset({"student", "instructor"}),
        is_active=True,
    )
    assert payload == {
        "userId": str(user_id),
        "firstName": "Dora",
        "lastName": "Explorer",
        "displayName": "Dora Explorer",
        "roles": ["instructor", "student"],
    }


async def test_create_user_validates_and_refuses_duplicates(db: Database) -> None:
    base: dict[str, Any] = {
        "password": "kettle-orchid-bridge-4",
        "first_name": "Dora",
        "last_name": "Explorer",
    }
    async with db.session() as session:
        await api.create_user(session, email="dora@example.com", **base)
    for email, overrides, error in (
        ("DORA@example.com", {}, Conflict),
        ("not-an-email", {}, ValidationFailed),
        ("x@example.com", {"password": "password1234"}, ValidationFailed),
        ("y@example.com", {"first_name": "\u202e"}, ValidationFailed),
    ):
        with pytest.raises(error):
            async with db.session() as session:
                await api.create_user(session, email=email, **{**base, **overrides})
    with pytest.raises(ValidationFailed):
        async with db.session() as session:
            await api.create_user(session, email="z@example.com", roles=("wizard",), **base)


async def test_summaries_and_email_lookups_are_one_query_each(db: Database) -> None:
    ids = []
    async with db.session() as session:
        for i in range(5):
            ids.append(
                await api.create_user(
                    session,
                    email=f"person{i}@example.com",
                    password="kettle-orchid-bridge-4",
                    first_name="Person",
                    last_name=f"Number{'abcde'[i]}",
                    roles=("student", "instructor") if i % 2 else ("student",),
                )
            )
        await api.set_instructor_profile(session, ids[1], headline="Teaches things")
    async with db.read_session() as session:
        with count_queries(db) as statements:
            summaries = await api.get_user_summaries(session, [*ids, ids[0]])
        assert len(statements) == 1
        assert set(summaries) == set(ids)
        assert summaries[ids[1]].roles == {"student", "instructor"}
        with count_queries(db) as statements:
            found = await api.find_user_ids_by_emails(
                session, ["PERSON0@example.com", " person3@EXAMPLE.com ", "ghost@example.com"]
            )
        assert len(statements) == 1
        assert found == {"person0@example.com": ids[0], "person3@example.com": ids[3]}
        with count_queries(db) as statements:
            instructors = await api.instructor_summaries(session, ids)
        assert len(statements) == 1
        assert set(instructors) == {ids[1], ids[3]}
        assert instructors[ids[1]].headline == "Teaches things"
        assert instructors[ids[1]].display_name == "Person Numberb"
        assert not await api.is_instructor(session, ids[0])
        assert await api.get_user_summaries(session, []) == {}


async def test_sync_role_catalog_restores_the_built_in_roles_and_grants(db: Database) -> None:
    async with db.session() as session:
        await session.execute(sa.delete(RolePermission))
        await session.execute(sa.delete(Role).where(Role.name == "consultant"))
    permissions = all_permissions(load_modules())
    await api.sync_role_catalog(db, permissions.values())
    await api.sync_role_catalog(db, permissions.values())  # idempotent
    async with db.read_session() as session:
        grants = (
            await session.execute(
                sa.select(RolePermission.role_name, RolePermission.permission_name)
            )
        ).all()
    found: dict[str, set[str]] = {}
    for role, permission in grants:
        found.setdefault(role, set()).add(permission)
    assert found == {role: set(p) for role, p in api.role_grants(permissions.values()).items() if p}
    assert found["admin"] == set(permissions)
    assert "user:manage" not in found["instructor"]
