"""The last-admin guard under concurrency (PostgreSQL): org admins all stepping down or leaving
at the same moment leave exactly one org admin, with a control showing that the same
conditional ``UPDATE`` without the organization's lock lets every demotion through."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import sqlalchemy as sa

from campus.identity import api
from campus.identity.data import OrgRole
from campus.identity.exceptions import InvitationUsed, LastOrgAdmin
from campus.identity.models import OrganizationMember
from campus.identity.repository import organizations as repo
from campus.identity.service import organizations
from campus.identity.service.tokens import new_opaque_token
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from tests.conftest import postgres_only
from tests.fixtures.identity import IdentityFactory

#: Sessions racing at a barrier each hold a pooled connection there: fewer than the pool's 20.
RACERS = 12


async def admins_of_a_new_org(
    identity: IdentityFactory, db: Database
) -> tuple[uuid.UUID, list[uuid.UUID]]:
    users = [(await identity.user()).id for _ in range(RACERS)]
    async with db.session() as session:
        org = await api.ensure_organization(
            session, name="Race", slug="race", members=[(u, OrgRole.ORG_ADMIN) for u in users]
        )
    return org.id, users


async def admins_left(db: Database, org_id: uuid.UUID) -> int:
    async with db.read_session() as session:
        count = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OrganizationMember)
            .where(OrganizationMember.org_id == org_id, OrganizationMember.role == "org_admin")
        )
    return int(count or 0)


@postgres_only
async def test_control_the_conditional_update_without_the_lock_lets_every_admin_step_down(
    identity: IdentityFactory, db: Database
) -> None:
    org_id, admins = await admins_of_a_new_org(identity, db)
    barrier = asyncio.Barrier(RACERS)

    async def step_down(i: int) -> bool:
        async with db.session() as session:
            demoted = await repo.change_role(session, org_id, admins[i], OrgRole.LEARNER.value)
            await barrier.wait()  # every step-down is written before any commits
            return demoted

    results = await asyncio.gather(*(step_down(i) for i in range(RACERS)))
    assert all(results), "the control did not race; the test proves nothing"
    assert await admins_left(db, org_id) == 0


@postgres_only
async def test_admins_all_stepping_down_at_once_leave_exactly_one_org_admin(
    identity: IdentityFactory, db: Database
) -> None:
    org_id, admins = await admins_of_a_new_org(identity, db)
    barrier = asyncio.Barrier(RACERS)

    async def step_down(i: int) -> bool:
        principal = Principal(user_id=admins[i])
        async with db.session() as session:
            await barrier.wait()
            try:
                await organizations.change_role(
                    session, principal, org_id, admins[i], OrgRole.LEARNER
                )
            except LastOrgAdmin:
                return False
            return True

    results = await asyncio.gather(*(step_down(i) for i in range(RACERS)))
    assert results.count(False) == 1
    assert await admins_left(db, org_id) == 1


@postgres_only
async def test_admins_all_leaving_at_once_leave_exactly_one_org_admin(
    identity: IdentityFactory, db: Database
) -> None:
    org_id, admins = await admins_of_a_new_org(identity, db)
    barrier = asyncio.Barrier(RACERS)

    async def leave(i: int) -> bool:
        principal = Principal(user_id=admins[i])
        async with db.session() as session:
            await barrier.wait()
            try:
                await organizations.remove_member(session, principal, org_id, admins[i])
            except LastOrgAdmin:
                return False
            return True

    results = await asyncio.gather(*(leave(i) for i in range(RACERS)))
    assert results.count(False) == 1
    assert await admins_left(db, org_id) == 1


@postgres_only
async def test_one_invitation_accepted_many_times_at_once_is_taken_once(
    identity: IdentityFactory, db: Database
) -> None:
    org_id, _ = await admins_of_a_new_org(identity, db)
    invitee = await identity.user(email="twice@race.example")
    token, token_hash = new_opaque_token()
    async with db.session() as session:
        now = utcnow()
        await repo.insert_invitation(
            session,
            {
                "id": uuid.uuid4(),
                "org_id": org_id,
                "email": "twice@race.example",
                "role": "learner",
                "token_hash": token_hash,
                "expires_at": now + timedelta(hours=1),
                "created_at": now,
            },
        )
    barrier = asyncio.Barrier(RACERS)

    async def accept() -> str:
        async with db.session() as session:
            await barrier.wait()
            try:
                await organizations.accept_invitation(session, Principal(user_id=invitee.id), token)
            except InvitationUsed as exc:
                return exc.code
            return "accepted"

    results = await asyncio.gather(*(accept() for _ in range(RACERS)))
    assert sorted(set(results)) == ["accepted", "invitation_used"]
    assert results.count("accepted") == 1
    async with db.read_session() as session:
        role = await api.organization_role(session, org_id, invitee.id)
    assert role is OrgRole.LEARNER
