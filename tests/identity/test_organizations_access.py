"""Who may do what in an organization: platform admin, its org admin, a manager, a learner,
another company's org admin and a user of no company, on every organization route. Outsiders
get 404 on everything of it; a denied call changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from httpx import AsyncClient

from campus.identity import api
from campus.identity.data import OrgRole
from campus.identity.models import (
    Organization,
    OrganizationInvitation,
    OrganizationMember,
)
from campus.kernel.db import Database
from tests.fixtures.identity import AppUser, IdentityFactory

CALLERS = ("platform", "org_admin", "manager", "learner", "rival_admin", "outsider")


@dataclass
class Company:
    org_id: str
    platform: AppUser
    org_admin: AppUser
    manager: AppUser
    learner: AppUser
    rival_admin: AppUser
    outsider: AppUser
    invitation_id: str

    def caller(self, name: str) -> AppUser:
        user: AppUser = getattr(self, name)
        return user


async def build(client: AsyncClient, identity: IdentityFactory, db: Database) -> Company:
    platform = await identity.signed_in(roles=("admin",))
    people = [await identity.signed_in() for _ in range(5)]
    org_admin, manager, learner, rival_admin, outsider = people
    async with db.session() as session:
        org = await api.ensure_organization(
            session,
            name="Acme",
            slug="acme",
            members=[
                (org_admin.id, OrgRole.ORG_ADMIN),
                (manager.id, OrgRole.MANAGER),
                (learner.id, OrgRole.LEARNER),
            ],
        )
        await api.ensure_organization(
            session, name="Rival", slug="rival", members=[(rival_admin.id, OrgRole.ORG_ADMIN)]
        )
    response = await client.post(
        f"/api/v1/organizations/{org.id}/invitations",
        json={"email": "someone@acme.example"},
        headers=org_admin.headers,
    )
    assert response.status_code == 201
    return Company(
        str(org.id),
        platform,
        org_admin,
        manager,
        learner,
        rival_admin,
        outsider,
        response.json()["id"],
    )


Path = Callable[[Company], str]


@dataclass(frozen=True)
class Row:
    method: str
    path: Path
    expect: dict[str, int]
    body: dict[str, Any] | None = None


def org(suffix: str = "") -> Path:
    return lambda c: f"/api/v1/organizations/{c.org_id}{suffix}"


def expect(platform: int, org_admin: int, manager: int, learner: int) -> dict[str, int]:
    """Outsiders (another company's admin, a user of no company) always get 404."""
    return {
        "platform": platform,
        "org_admin": org_admin,
        "manager": manager,
        "learner": learner,
        "rival_admin": 404,
        "outsider": 404,
    }


ROWS: dict[str, Row] = {
    "read the organization": Row("GET", org(), expect(200, 200, 200, 200)),
    "change its branding": Row(
        "PATCH", org(), expect(200, 200, 403, 403), {"primaryColour": "#102030"}
    ),
    "list members": Row("GET", org("/members"), expect(200, 200, 200, 403)),
    "read the learner's membership": Row(
        "GET",
        lambda c: f"/api/v1/organizations/{c.org_id}/members/{c.learner.id}",
        expect(200, 200, 200, 200),
    ),
    "read the manager's membership": Row(
        "GET",
        lambda c: f"/api/v1/organizations/{c.org_id}/members/{c.manager.id}",
        expect(200, 200, 200, 403),
    ),
    "change the learner's role": Row(
        "PATCH",
        lambda c: f"/api/v1/organizations/{c.org_id}/members/{c.learner.id}",
        expect(200, 200, 403, 403),
        {"role": "learner"},
    ),
    "remove the manager": Row(
        "DELETE",
        lambda c: f"/api/v1/organizations/{c.org_id}/members/{c.manager.id}",
        expect(204, 204, 204, 403),  # the manager leaving is their own choice
    ),
    "invite": Row(
        "POST", org("/invitations"), expect(201, 201, 403, 403), {"email": "new@acme.example"}
    ),
    "list invitations": Row("GET", org("/invitations"), expect(200, 200, 403, 403)),
    "revoke an invitation": Row(
        "DELETE",
        lambda c: f"/api/v1/organizations/{c.org_id}/invitations/{c.invitation_id}",
        expect(204, 204, 403, 403),
    ),
    "delete the organization": Row("DELETE", org(), expect(204, 403, 403, 403)),
}


async def snapshot(db: Database) -> list[list[tuple[Any, ...]]]:
    tables = []
    async with db.read_session() as s:
        for table in (
            Organization.__table__,
            OrganizationMember.__table__,
            OrganizationInvitation.__table__,
        ):
            rows = (await s.execute(sa.select(table))).all()
            tables.append(sorted((tuple(r) for r in rows), key=repr))
    return tables


@pytest.mark.parametrize("action", sorted(ROWS))
@pytest.mark.parametrize("caller", CALLERS)
async def test_each_caller_gets_the_answer_of_their_role(
    client: AsyncClient, identity: IdentityFactory, db: Database, action: str, caller: str
) -> None:
    company = await build(client, identity, db)
    row = ROWS[action]
    before = await snapshot(db)
    response = await client.request(
        row.method, row.path(company), json=row.body, headers=company.caller(caller).headers
    )
    assert response.status_code == row.expect[caller], response.text
    if response.status_code >= 400:
        assert await snapshot(db) == before, "a denied call changed data"
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "organization_not_found"


async def test_only_platform_admins_list_every_organization(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    company = await build(client, identity, db)
    listed = await client.get("/api/v1/organizations", headers=company.platform.headers)
    assert [o["slug"] for o in listed.json()["items"]] == ["acme", "rival"]
    denied = await client.get("/api/v1/organizations", headers=company.org_admin.headers)
    assert denied.status_code == 403


async def test_members_see_only_their_own_organizations(
    client: AsyncClient, identity: IdentityFactory, db: Database
) -> None:
    company = await build(client, identity, db)
    for user, slugs in (
        (company.learner, ["acme"]),
        (company.rival_admin, ["rival"]),
        (company.outsider, []),
    ):
        mine = await client.get("/api/v1/users/me/organizations", headers=user.headers)
        assert [m["organization"]["slug"] for m in mine.json()["items"]] == slugs
