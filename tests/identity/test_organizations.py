"""Organizations: creation and bad input, invitations from the email to the membership (reuse,
expiry, revocation on a controlled clock), roles and the last-admin guard, automatic joining on
a verified company email, the events and the doorway billing reads."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient

from campus.config import Settings
from campus.identity import api
from campus.identity.data import OrgRole
from campus.identity.models import OrganizationInvitation
from campus.identity.settings import IdentitySettings
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.demo import DemoWorld
from tests.fixtures.identity import (
    AppUser,
    IdentityFactory,
    email_text,
    latest_email,
    token_in,
)
from tests.fixtures.queries import count_queries

ORGS = "/api/v1/organizations"
ACCEPT = "/api/v1/organizations/invitations/accept"


async def make_org(
    client: AsyncClient, admin: AppUser, *, slug: str = "acme", **body: Any
) -> dict[str, Any]:
    response = await client.post(
        ORGS, json={"name": "Acme Learning", "slug": slug, **body}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def company(
    client: AsyncClient, identity: IdentityFactory
) -> tuple[dict[str, Any], AppUser, AppUser]:
    """An organization with its org admin; returns (organization, platform admin, org admin)."""
    platform = await identity.signed_in(roles=("admin",))
    boss = await identity.signed_in()
    org = await make_org(client, platform, adminUserId=str(boss.id), domains=["acme.example"])
    return org, platform, boss


async def invite(
    client: AsyncClient,
    relay: Relay,
    settings: Settings,
    org_id: str,
    by: AppUser,
    email: str,
    role: str = "learner",
) -> str:
    response = await client.post(
        f"{ORGS}/{org_id}/invitations", json={"email": email, "role": role}, headers=by.headers
    )
    assert response.status_code == 201, response.text
    assert "token" not in response.text
    return token_in(await latest_email(relay, settings, email), "join-organization")


async def events_named(db: Database, name: str) -> list[dict[str, Any]]:
    async with db.read_session() as s:
        rows = await s.scalars(
            sa.select(OutboxMessage.payload)
            .where(OutboxMessage.name == name)
            .order_by(OutboxMessage.id)
        )
        return [dict(p) for p in rows]


# --------------------------------------------------------------------------- create, bad input


async def test_platform_admin_creates_an_organization_with_its_first_org_admin(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    org, _, boss = await company(client, identity)
    assert org["slug"] == "acme"
    assert org["domains"] == ["acme.example"]
    assert org["autoJoinVerifiedDomain"] is False
    mine = await client.get("/api/v1/users/me/organizations", headers=boss.headers)
    assert mine.status_code == 200
    assert [(m["organization"]["id"], m["role"]) for m in mine.json()["items"]] == [
        (org["id"], "org_admin")
    ]
    added = await events_named(db, "identity.org_member_added")
    assert added == [{"orgId": org["id"], "userId": str(boss.id), "role": "org_admin"}]


async def test_a_taken_slug_is_a_409_on_create_and_on_rename(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    platform = await identity.signed_in(roles=("admin",))
    await make_org(client, platform, slug="acme")
    other = await make_org(client, platform, slug="globex")
    again = await client.post(
        ORGS, json={"name": "Acme 2", "slug": "ACME"}, headers=platform.headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "slug_taken"
    rename = await client.patch(
        f"{ORGS}/{other['id']}", json={"slug": "acme"}, headers=platform.headers
    )
    assert rename.status_code == 409
    assert rename.json()["error"]["code"] == "slug_taken"
    kept = await client.get(f"{ORGS}/{other['id']}", headers=platform.headers)
    assert kept.json()["slug"] == "globex"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"primaryColour": "blue"}, "primaryColour"),
        ({"primaryColour": "#12345g"}, "primaryColour"),
        ({"primaryColour": "#1234567"}, "primaryColour"),
        ({"domains": ["not a domain"]}, "domains"),
        ({"domains": ["localhost"]}, "domains"),
        ({"domains": ["-bad-.example"]}, "domains"),
        ({"domains": ["acme.example", "1.2.3.4"]}, "domains"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"slug": "-acme"}, "slug"),
        ({"logoUrl": "javascript:alert(1)"}, "logoUrl"),
        ({"role": "org_admin"}, "role"),
    ],
)
async def test_bad_organization_input_is_a_422_on_the_field(
    client: AsyncClient, identity: IdentityFactory, body: dict[str, Any], field: str
) -> None:
    platform = await identity.signed_in(roles=("admin",))
    response = await client.post(
        ORGS, json={"name": "Acme", "slug": "acme", **body}, headers=platform.headers
    )
    assert response.status_code == 422, response.text
    fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
    assert any(field in f for f in fields), fields


async def test_colour_and_domains_are_stored_lower_case_without_duplicates(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    org, _, boss = await company(client, identity)
    response = await client.patch(
        f"{ORGS}/{org['id']}",
        json={
            "primaryColour": "#AABBCC",
            "domains": ["Acme.Example", "acme.example.", "MAIL.acme.example"],
            "autoJoinVerifiedDomain": True,
        },
        headers=boss.headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["primaryColour"] == "#aabbcc"
    assert body["domains"] == ["acme.example", "mail.acme.example"]
    assert body["autoJoinVerifiedDomain"] is True


async def test_org_admins_change_branding_but_not_the_slug(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    org, _, boss = await company(client, identity)
    branded = await client.patch(
        f"{ORGS}/{org['id']}",
        json={"name": "Acme Learning Ltd", "logoUrl": "https://cdn.acme.example/logo.png"},
        headers=boss.headers,
    )
    assert branded.status_code == 200
    assert branded.json()["name"] == "Acme Learning Ltd"
    slug = await client.patch(f"{ORGS}/{org['id']}", json={"slug": "acme2"}, headers=boss.headers)
    assert slug.status_code == 403
    assert slug.json()["error"]["code"] == "slug_change_denied"
    cleared = await client.patch(
        f"{ORGS}/{org['id']}", json={"logoUrl": None}, headers=boss.headers
    )
    assert cleared.json()["logoUrl"] is None
    null_name = await client.patch(f"{ORGS}/{org['id']}", json={"name": None}, headers=boss.headers)
    assert null_name.status_code == 422


async def test_deleting_an_organization_takes_its_members_and_invitations_with_it(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    org, platform, boss = await company(client, identity)
    await invite(client, relay, settings, org["id"], boss, "new.hire@acme.example")
    deleted = await client.delete(f"{ORGS}/{org['id']}", headers=platform.headers)
    assert deleted.status_code == 204
    assert (await client.get(f"{ORGS}/{org['id']}", headers=platform.headers)).status_code == 404
    mine = await client.get("/api/v1/users/me/organizations", headers=boss.headers)
    assert mine.json()["items"] == []


# --------------------------------------------------------------------------- invitations


async def test_an_invitation_link_makes_the_invited_user_a_member_once(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    db: Database,
) -> None:
    org, _, boss = await company(client, identity)
    token = await invite(
        client, relay, settings, org["id"], boss, "Kim.Lee@Acme.example", "manager"
    )
    message = await latest_email(relay, settings, "Kim.Lee@acme.example")
    assert "Acme Learning" in str(message["Subject"])
    assert "as manager" in email_text(message)
    kim = await identity.signed_in(email="kim.lee@acme.example")
    accepted = await client.post(ACCEPT, json={"token": token}, headers=kim.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "manager"
    assert accepted.json()["organization"]["id"] == org["id"]
    reused = await client.post(ACCEPT, json={"token": token}, headers=kim.headers)
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "invitation_used"
    listed = await client.get(f"{ORGS}/{org['id']}/invitations", headers=boss.headers)
    assert [(i["email"], i["status"]) for i in listed.json()["items"]] == [
        ("kim.lee@acme.example", "accepted")
    ]
    async with db.read_session() as s:
        stored = await s.scalar(sa.select(OrganizationInvitation.token_hash))
    assert stored == hashlib.sha256(token.encode()).hexdigest()  # only the hash is kept
    added = await events_named(db, "identity.org_member_added")
    assert added[-1] == {"orgId": org["id"], "userId": str(kim.id), "role": "manager"}


async def test_an_invitation_expires_after_the_configured_hours(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    org, _, boss = await company(client, identity)
    token = await invite(client, relay, settings, org["id"], boss, "late@acme.example")
    late = await identity.user(email="late@acme.example")
    frozen_clock.advance(hours=168)
    await identity.start_session(late)
    await identity.start_session(boss)
    response = await client.post(ACCEPT, json={"token": token}, headers=late.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invitation_expired"
    listed = await client.get(f"{ORGS}/{org['id']}/invitations", headers=boss.headers)
    assert listed.json()["items"][0]["status"] == "expired"
    outsider = await client.get(f"{ORGS}/{org['id']}", headers=late.headers)
    assert outsider.status_code == 404
    mine = await client.get("/api/v1/users/me/organizations", headers=late.headers)
    assert mine.json()["items"] == []


async def test_an_invitation_still_works_a_moment_before_it_expires(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    org, _, boss = await company(client, identity)
    token = await invite(client, relay, settings, org["id"], boss, "onTime@acme.example")
    user = await identity.user(email="ontime@acme.example")
    frozen_clock.advance(hours=168, seconds=-1)
    await identity.start_session(user)
    response = await client.post(ACCEPT, json={"token": token}, headers=user.headers)
    assert response.status_code == 200


async def test_the_invitation_lifetime_is_168_hours_by_default(
    client: AsyncClient, identity: IdentityFactory, settings: Settings
) -> None:
    org, _, boss = await company(client, identity)
    response = await client.post(
        f"{ORGS}/{org['id']}/invitations", json={"email": "x@acme.example"}, headers=boss.headers
    )
    invitation = response.json()
    hours = IdentitySettings.of(settings).org_invitation_ttl_hours
    assert hours == 168
    expires = datetime.fromisoformat(invitation["expiresAt"])
    created = datetime.fromisoformat(invitation["createdAt"])
    assert expires - created == timedelta(hours=hours)


async def test_a_revoked_invitation_is_refused_and_cannot_be_revoked_twice(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    org, _, boss = await company(client, identity)
    token = await invite(client, relay, settings, org["id"], boss, "maybe@acme.example")
    listed = await client.get(f"{ORGS}/{org['id']}/invitations", headers=boss.headers)
    invitation_id = listed.json()["items"][0]["id"]
    revoke = f"{ORGS}/{org['id']}/invitations/{invitation_id}"
    assert (await client.delete(revoke, headers=boss.headers)).status_code == 204
    again = await client.delete(revoke, headers=boss.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invitation_closed"
    user = await identity.signed_in(email="maybe@acme.example")
    response = await client.post(ACCEPT, json={"token": token}, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invitation_revoked"


async def test_an_unknown_token_is_refused(client: AsyncClient, identity: IdentityFactory) -> None:
    user = await identity.signed_in()
    response = await client.post(ACCEPT, json={"token": "z" * 43}, headers=user.headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invitation_invalid"


async def test_only_the_invited_verified_address_can_accept(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    org, _, boss = await company(client, identity)
    token = await invite(client, relay, settings, org["id"], boss, "invited@acme.example")
    stranger = await identity.signed_in(email="stranger@elsewhere.example")
    response = await client.post(ACCEPT, json={"token": token}, headers=stranger.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "invitation_email_mismatch"
    unverified = await identity.signed_in(email="invited@acme.example", verified=False)
    response = await client.post(ACCEPT, json={"token": token}, headers=unverified.headers)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "email_unverified"
    # The link is still open for its owner once verified.
    listed = await client.get(f"{ORGS}/{org['id']}/invitations", headers=boss.headers)
    assert listed.json()["items"][0]["status"] == "pending"


async def test_an_invitation_with_a_bad_email_is_a_422(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    org, _, boss = await company(client, identity)
    response = await client.post(
        f"{ORGS}/{org['id']}/invitations", json={"email": "not-an-email"}, headers=boss.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "email"


# --------------------------------------------------------------------------- roles, removal


async def test_an_org_keeps_at_least_one_org_admin(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    org, platform, boss = await company(client, identity)
    member = f"{ORGS}/{org['id']}/members/{boss.id}"
    demote = await client.patch(member, json={"role": "learner"}, headers=boss.headers)
    assert demote.status_code == 409
    assert demote.json()["error"]["code"] == "last_org_admin"
    leave = await client.delete(member, headers=boss.headers)
    assert leave.status_code == 409
    assert leave.json()["error"]["code"] == "last_org_admin"
    # With a second org admin, the first may step down.
    second = await identity.signed_in()
    async with db.session() as session:
        await api.ensure_organization(
            session, name="x", slug="acme", members=[(second.id, OrgRole.ORG_ADMIN)]
        )
    assert (
        await client.patch(member, json={"role": "manager"}, headers=boss.headers)
    ).status_code == 200
    last = f"{ORGS}/{org['id']}/members/{second.id}"
    refused = await client.patch(last, json={"role": "learner"}, headers=platform.headers)
    assert refused.status_code == 409


async def test_removing_a_member_publishes_org_member_removed(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    org, _, boss = await company(client, identity)
    learner = await identity.signed_in()
    async with db.session() as session:
        await api.ensure_organization(
            session, name="x", slug="acme", members=[(learner.id, OrgRole.LEARNER)]
        )
    path = f"{ORGS}/{org['id']}/members/{learner.id}"
    assert (await client.delete(path, headers=boss.headers)).status_code == 204
    again = await client.delete(path, headers=boss.headers)
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "member_not_found"
    removed = await events_named(db, "identity.org_member_removed")
    assert removed == [{"orgId": org["id"], "userId": str(learner.id), "removedBy": str(boss.id)}]


async def test_members_are_listed_by_name_paginated_and_searchable(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    org, _, boss = await company(client, identity)
    people = [
        await identity.user(first_name=first, last_name=last)
        for first, last in (("Zoe", "Adams"), ("Yann", "Brown"), ("Xia", "Chen"))
    ]
    async with db.session() as session:
        await api.ensure_organization(
            session, name="x", slug="acme", members=[(p.id, OrgRole.LEARNER) for p in people]
        )
    page = await client.get(
        f"{ORGS}/{org['id']}/members", params={"limit": 2}, headers=boss.headers
    )
    body = page.json()
    assert body["total"] == 4
    assert [m["displayName"] for m in body["items"]] == ["Zoe Adams", "Yann Brown"]
    found = await client.get(
        f"{ORGS}/{org['id']}/members", params={"q": "CHEN"}, headers=boss.headers
    )
    assert [m["userId"] for m in found.json()["items"]] == [str(people[2].id)]


# --------------------------------------------------------------------------- auto-join


async def register_and_verify(
    client: AsyncClient, relay: Relay, settings: Settings, email: str
) -> uuid.UUID:
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "firstName": "Noor",
            "lastName": "Haddad",
            "email": email,
            "password": "quiet-orchard-lamp-91",
        },
    )
    assert response.status_code == 202, response.text
    token = token_in(await latest_email(relay, settings, email), "verify-email")
    verified = await client.post("/api/v1/auth/email/verify", json={"token": token})
    assert verified.status_code == 200, verified.text
    ids = await _ids(client, email)
    return ids


async def _ids(client: AsyncClient, email: str) -> uuid.UUID:
    db: Database = client._transport.app.state.db  # type: ignore[attr-defined]
    async with db.read_session() as session:
        found = await api.find_user_ids_by_emails(session, [email])
    return found[email.lower()]


async def test_a_verified_company_email_joins_the_company_as_learner_when_enabled(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings, db: Database
) -> None:
    org, _, boss = await company(client, identity)
    await client.patch(
        f"{ORGS}/{org['id']}", json={"autoJoinVerifiedDomain": True}, headers=boss.headers
    )
    user_id = await register_and_verify(client, relay, settings, "noor@ACME.example")
    async with db.read_session() as session:
        assert await api.organization_role(session, uuid.UUID(org["id"]), user_id) == (
            OrgRole.LEARNER
        )
    other = await register_and_verify(client, relay, settings, "noor@acme.example.org")
    async with db.read_session() as session:
        assert await api.organizations_of(session, other) == []


async def test_a_verified_company_email_joins_nothing_when_auto_join_is_off(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings, db: Database
) -> None:
    org, _, _ = await company(client, identity)
    assert org["autoJoinVerifiedDomain"] is False
    user_id = await register_and_verify(client, relay, settings, "quiet@acme.example")
    async with db.read_session() as session:
        assert await api.organizations_of(session, user_id) == []


# --------------------------------------------------------------------------- doorway


async def test_the_doorway_reads_organizations_members_and_roles(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    org, _, boss = await company(client, identity)
    org_id = uuid.UUID(org["id"])
    learner = await identity.user(first_name="Ana", last_name="Zed")
    async with db.session() as session:
        await api.ensure_organization(
            session, name="x", slug="acme", members=[(learner.id, OrgRole.LEARNER)]
        )
    async with db.read_session() as session:
        summary = await api.get_organization(session, org_id)
        assert summary is not None
        assert summary.slug == "acme"
        assert summary.domains == ("acme.example",)
        assert await api.get_organization(session, uuid.uuid4()) is None
        assert await api.organization_role(session, org_id, boss.id) is OrgRole.ORG_ADMIN
        assert await api.organization_role(session, org_id, uuid.uuid4()) is None
        assert sorted(await api.organization_member_ids(session, org_id)) == sorted(
            [boss.id, learner.id]
        )
        members, total = await api.organization_members_page(session, org_id, offset=1, limit=1)
        assert total == 2
        assert [(m.user_id, m.role, m.display_name) for m in members] == [
            (learner.id, OrgRole.LEARNER, "Ana Zed")
        ]
        memberships = await api.organizations_of(session, learner.id)
        assert [(m.organization.id, m.role) for m in memberships] == [(org_id, OrgRole.LEARNER)]


async def test_each_doorway_read_is_the_number_of_queries_it_documents(
    identity: IdentityFactory, db: Database
) -> None:
    people = [await identity.user() for _ in range(3)]
    async with db.session() as session:
        org = await api.ensure_organization(
            session,
            name="Budget",
            slug="budget",
            members=[(p.id, OrgRole.LEARNER) for p in people],
        )
    async with db.read_session() as session:
        with count_queries(db, expect=1):
            await api.get_organization(session, org.id)
        with count_queries(db, expect=1):
            await api.get_organization_by_slug(session, "budget")
        with count_queries(db, expect=1):
            await api.organization_role(session, org.id, people[0].id)
        with count_queries(db, expect=1):
            assert len(await api.organization_member_ids(session, org.id)) == 3
        with count_queries(db, expect=2):
            await api.organization_members_page(session, org.id, offset=0, limit=10)
        with count_queries(db, expect=1):
            await api.organizations_of(session, people[0].id)


async def test_the_demo_company_is_seeded_once_with_its_admin_and_learners(demo: DemoWorld) -> None:
    async with demo.db.read_session() as session:
        acme = await api.get_organization_by_slug(session, "acme")
        assert acme is not None
        assert acme.name == "Acme Learning"
        members, total = await api.organization_members_page(session, acme.id, offset=0, limit=10)
    assert total == 4
    assert sorted((m.email, m.role.value) for m in members) == [
        ("amara@campus.example", "learner"),
        ("kenji@campus.example", "learner"),
        ("maria@campus.example", "learner"),
        ("priya@campus.example", "org_admin"),
    ]


async def test_the_invitation_link_opens_a_page_naming_the_company_without_using_it(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    org, _, boss = await company(client, identity)
    token = await invite(client, relay, settings, org["id"], boss, "page@acme.example")
    page = await client.get("/join-organization", params={"token": token})
    assert page.status_code == 200
    assert "Acme Learning invites you to join as learner" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    user = await identity.signed_in(email="page@acme.example")
    assert (await client.post(ACCEPT, json={"token": token}, headers=user.headers)).status_code == (
        200
    )
    used = await client.get("/join-organization", params={"token": token})
    assert used.status_code == 400
    assert "already used" in used.text
    unknown = await client.get("/join-organization", params={"token": "z" * 43})
    assert unknown.status_code == 404
