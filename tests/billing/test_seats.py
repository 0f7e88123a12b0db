"""Enterprise seats: org admins buy seats for their organization and assign them to members;
a seat opens the plan's courses and taking it back ends that access at the next request; more
seats than bought are never assigned (also under 50 parallel assignments on PostgreSQL);
members cannot manage seats and another organization's admin sees nothing of them; the
members' learning report, paginated and as CSV."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.identity.events import OrgMemberRemoved
from campus.kernel.db import Database
from campus.kernel.events import publish
from campus.kernel.jobs import Relay
from campus.learning import api as learning
from tests.billing.conftest import API, SUBSCRIPTIONS, BillingFactory, event_names, organization
from tests.conftest import postgres_only
from tests.fixtures.identity import AppUser

BILLING = f"{API}/billing"
#: Racing sessions each hold a pooled connection at the barrier: fewer than the pool's 20.
RACERS = 16


async def enterprise(
    billing: BillingFactory, seats: int, learners: int = 3
) -> tuple[dict[str, Any], AppUser, list[AppUser], uuid.UUID]:
    """An enterprise subscription of ``seats`` seats bought by an org admin of an organization
    with ``learners`` learners and one manager (the last of ``people``)."""
    plan = await billing.plan(
        type="enterprise", prices={"monthly": {"amount": "20.00", "currency": "USD"}}
    )
    admin = await billing.commerce.buyer("Ada")
    people = [
        await billing.commerce.buyer(f"Lea {chr(65 + i // 26)}{chr(97 + i % 26)}")
        for i in range(learners)
    ]
    manager = await billing.commerce.buyer("Max")
    org_id = await organization(
        billing.db,
        [(admin, "org_admin"), (manager, "manager"), *[(p, "learner") for p in people]],
    )
    card = await billing.card(admin)
    sub = await billing.subscribed(
        admin,
        plan["id"],
        paymentMethodId=str(card),
        seats=seats,
        organizationId=str(org_id),
    )
    return sub, admin, [*people, manager], org_id


async def test_org_admins_buy_seats_and_a_seat_gives_access_until_it_is_taken_back(
    client: AsyncClient, billing: BillingFactory
) -> None:
    sub, admin, people, _org_id = await enterprise(billing, seats=2)
    assert (sub["seats"], sub["amount"]) == (2, {"amount": "40.00", "currency": "USD"})
    assert await billing.charges(sub["id"]) == [("initial", 1, 1, 4000, "succeeded")]
    course = await billing.commerce.paid_course()
    learner = people[0]
    enroll = f"{BILLING}/courses/{course.id}/enroll"
    assert (await client.post(enroll, headers=learner.headers)).status_code == 409
    seats_url = f"{BILLING}/subscriptions/{sub['id']}/seats"

    given = await client.post(seats_url, json={"userId": str(learner.id)}, headers=admin.headers)
    assert given.status_code == 201
    again = await client.post(seats_url, json={"userId": str(learner.id)}, headers=admin.headers)
    assert again.status_code == 200
    assert (await client.post(enroll, headers=learner.headers)).status_code == 201
    assert "billing.seat_assigned" in await event_names(billing.db)

    await client.post(seats_url, json={"userId": str(people[1].id)}, headers=admin.headers)
    full = await client.post(seats_url, json={"userId": str(people[2].id)}, headers=admin.headers)
    assert full.status_code == 409
    assert full.json()["error"]["code"] == "seats_exhausted"
    listed = await client.get(seats_url, headers=admin.headers)
    assert listed.json()["total"] == 2

    taken = await client.delete(f"{seats_url}/{learner.id}", headers=admin.headers)
    assert taken.status_code == 204
    async with billing.db.read_session() as session:
        assert not await learning.is_enrolled(session, learner.id, course.id)
    freed = await client.post(seats_url, json={"userId": str(people[2].id)}, headers=admin.headers)
    assert freed.status_code == 201
    stranger = await billing.commerce.buyer("Stan")
    outsider = await client.post(
        seats_url, json={"userId": str(stranger.id)}, headers=admin.headers
    )
    assert outsider.status_code == 409
    assert (await billing.state(sub["id"]))[2:] == (2, 2)


async def test_members_cannot_manage_seats_and_another_organizations_admin_sees_nothing(
    client: AsyncClient, billing: BillingFactory
) -> None:
    sub, _admin, people, org_id = await enterprise(billing, seats=2)
    other_admin = await billing.commerce.buyer("Olga")
    await organization(billing.db, [(other_admin, "org_admin")])
    seats_url = f"{BILLING}/subscriptions/{sub['id']}/seats"
    target = {"userId": str(people[0].id)}
    urls = [
        ("get", seats_url, None),
        ("post", seats_url, target),
        ("delete", f"{seats_url}/{people[0].id}", None),
        ("put", f"{BILLING}/subscriptions/{sub['id']}/seat-count", {"seats": 5}),
        ("get", f"{BILLING}/organizations/{org_id}/subscriptions", None),
        ("get", f"{BILLING}/organizations/{org_id}/learning", None),
        ("get", f"{BILLING}/organizations/{org_id}/learning.csv", None),
    ]
    manager = people[-1]
    for method, url, body in urls:
        kwargs: dict[str, Any] = {"json": body} if body is not None else {}
        as_manager = await client.request(method, url, headers=manager.headers, **kwargs)
        as_stranger = await client.request(method, url, headers=other_admin.headers, **kwargs)
        assert as_manager.status_code == 403, (method, url)
        assert as_stranger.status_code == 404, (method, url)
    own = await client.get(f"{SUBSCRIPTIONS}/{sub['id']}", headers=other_admin.headers)
    assert own.status_code == 404
    learner_buys = await billing.subscribe(
        people[0],
        sub["planId"],
        seats=3,
        organizationId=str(org_id),
        paymentMethodId=str(await billing.card(people[0])),
    )
    assert learner_buys.status_code == 403


async def test_seat_counts_go_up_prorated_now_and_down_at_renewal_never_below_assigned(
    client: AsyncClient, billing: BillingFactory
) -> None:
    sub, admin, people, _ = await enterprise(billing, seats=2)
    seats_url = f"{BILLING}/subscriptions/{sub['id']}/seats"
    for person in people[:2]:
        await client.post(seats_url, json={"userId": str(person.id)}, headers=admin.headers)
    count_url = f"{BILLING}/subscriptions/{sub['id']}/seat-count"
    below = await client.put(count_url, json={"seats": 1}, headers=admin.headers)
    assert below.status_code == 409
    assert below.json()["error"]["code"] == "seats_below_assigned"
    for bad in (0, -3):
        assert (
            await client.put(count_url, json={"seats": bad}, headers=admin.headers)
        ).status_code == 422
    more = await client.put(count_url, json={"seats": 4}, headers=admin.headers)
    assert (more.json()["seats"], more.json()["amount"]["amount"]) == (4, "80.00")
    kind, period, _, amount, status = (await billing.charges(sub["id"]))[-1]
    assert (kind, period, status) == ("seats", 1, "succeeded")
    assert 0 < amount <= 4000  # two seats for (at most) the rest of the period
    fewer = await client.put(count_url, json={"seats": 3}, headers=admin.headers)
    assert (fewer.json()["seats"], fewer.json()["pendingSeats"]) == (4, 3)


async def test_the_learning_report_lists_members_progress_paginated_and_as_csv(
    client: AsyncClient, billing: BillingFactory
) -> None:
    sub, admin, people, org_id = await enterprise(billing, seats=3)
    course = await billing.commerce.paid_course(title="Data, Science & =Fun")
    seats_url = f"{BILLING}/subscriptions/{sub['id']}/seats"
    for person in people[:3]:
        await client.post(seats_url, json={"userId": str(person.id)}, headers=admin.headers)
        await client.post(f"{BILLING}/courses/{course.id}/enroll", headers=person.headers)
    report = f"{BILLING}/organizations/{org_id}/learning"
    page = (await client.get(report, params={"limit": 2}, headers=admin.headers)).json()
    assert (page["total"], len(page["items"]), page["hasNext"]) == (3, 2, True)
    assert {row["status"] for row in page["items"]} == {"active"}
    assert page["items"][0]["progressPercent"] == 0
    exported = await client.get(f"{report}.csv", headers=admin.headers)
    assert exported.status_code == 200
    lines = exported.text.strip().split("\r\n")
    assert lines[0].startswith("member_id,member_name,member_email,course_id,course_title")
    assert len(lines) == 4
    assert '"Data, Science & =Fun"' in lines[1]


@postgres_only
async def test_control_counting_seats_then_inserting_assigns_more_than_bought(
    db: Database,
) -> None:
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("CREATE TABLE IF NOT EXISTS race_seats (member uuid)"))
    barrier = asyncio.Barrier(RACERS)

    async def naive_assign() -> None:
        async with db.session() as session:
            taken = await session.scalar(sa.text("SELECT count(*) FROM race_seats"))
            await barrier.wait()  # every assignment has counted before any inserts
            if taken is not None and taken < 10:
                await session.execute(
                    sa.text("INSERT INTO race_seats VALUES (:m)"), {"m": uuid.uuid4()}
                )

    try:
        await asyncio.gather(*(naive_assign() for _ in range(RACERS)))
        async with db.engine.begin() as conn:
            assigned = await conn.scalar(sa.text("SELECT count(*) FROM race_seats"))
        assert assigned is not None
        assert assigned > 10, "the control did not race; the test proves nothing"
    finally:
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("DROP TABLE IF EXISTS race_seats"))


@postgres_only
async def test_fifty_parallel_assignments_on_ten_free_seats_assign_ten(
    app: FastAPI, client: AsyncClient, billing: BillingFactory
) -> None:
    sub, admin, people, _ = await enterprise(billing, seats=10, learners=50)
    seats_url = f"{BILLING}/subscriptions/{sub['id']}/seats"
    barrier = asyncio.Barrier(50)

    async def assign(person: AppUser) -> int:
        await barrier.wait()
        response = await client.post(
            seats_url, json={"userId": str(person.id)}, headers=admin.headers
        )
        return response.status_code

    statuses = await asyncio.gather(*(assign(person) for person in people[:50]))
    assert sorted(statuses).count(201) == 10
    assert sorted(statuses).count(409) == 40
    assert (await billing.state(sub["id"]))[2:] == (10, 10)
    listed = await client.get(seats_url, params={"limit": 100}, headers=admin.headers)
    assert listed.json()["total"] == 10


async def test_a_member_who_leaves_the_organization_frees_their_seat_and_loses_its_access(
    client: AsyncClient, billing: BillingFactory, relay: Relay
) -> None:
    sub, admin, people, org_id = await enterprise(billing, seats=1)
    course = await billing.commerce.paid_course()
    leaver = people[0]
    seats_url = f"{BILLING}/subscriptions/{sub['id']}/seats"
    await client.post(seats_url, json={"userId": str(leaver.id)}, headers=admin.headers)
    await client.post(f"{BILLING}/courses/{course.id}/enroll", headers=leaver.headers)
    async with billing.db.session() as session:
        await publish(
            session, OrgMemberRemoved(org_id=org_id, user_id=leaver.id, removed_by=admin.id)
        )
    await relay.drain()
    assert (await billing.state(sub["id"]))[2:] == (1, 0)
    async with billing.db.read_session() as session:
        assert not await learning.is_enrolled(session, leaver.id, course.id)
    successor = await client.post(
        seats_url, json={"userId": str(people[1].id)}, headers=admin.headers
    )
    assert successor.status_code == 201
