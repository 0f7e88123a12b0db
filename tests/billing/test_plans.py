"""Plans: admins manage them; a plan in use is retired, never deleted; subscribers see only
active plans; bad plan bodies are refused."""

from __future__ import annotations

from httpx import AsyncClient

from tests.billing.conftest import PLANS, SUBSCRIPTIONS, BillingFactory


async def test_admins_create_plans_with_prices_per_cycle_and_what_they_unlock(
    client: AsyncClient, billing: BillingFactory
) -> None:
    plan = await billing.plan(
        type="enterprise",
        prices={
            "monthly": {"amount": "25.00", "currency": "EUR"},
            "annual": {"amount": "250", "currency": "EUR"},
        },
        trialDays=7,
        features=["Reporting"],
        unlocks={"kind": "track", "track": "data-science"},
    )
    assert plan["type"] == "enterprise"
    assert plan["perSeat"] is True
    assert plan["prices"] == {
        "monthly": {"amount": "25.00", "currency": "EUR"},
        "annual": {"amount": "250.00", "currency": "EUR"},
        "lifetime": None,
    }
    assert plan["unlocks"] == {
        "kind": "track",
        "categoryIds": [],
        "courseIds": [],
        "track": "data-science",
    }
    listed = (await client.get(PLANS)).json()
    assert [p["id"] for p in listed["items"]] == [plan["id"]]


async def test_students_cannot_manage_plans(client: AsyncClient, billing: BillingFactory) -> None:
    student = await billing.commerce.buyer()
    plan = await billing.plan()
    body = {
        "code": "mine",
        "name": "Mine",
        "type": "solo_learner",
        "prices": {"monthly": {"amount": "1.00", "currency": "USD"}},
        "unlocks": {"kind": "all"},
    }
    assert (await client.post(PLANS, json=body, headers=student.headers)).status_code == 403
    url = f"{PLANS}/{plan['id']}"
    assert (await client.patch(url, json={"name": "x"}, headers=student.headers)).status_code == 403
    assert (await client.post(f"{url}/retire", headers=student.headers)).status_code == 403
    assert (await client.delete(url, headers=student.headers)).status_code == 403


async def test_bad_plan_bodies_are_refused(client: AsyncClient, billing: BillingFactory) -> None:
    admin = await billing.commerce.admin()
    base = {
        "code": "p1",
        "name": "P",
        "type": "solo_learner",
        "prices": {"monthly": {"amount": "1.00", "currency": "USD"}},
        "unlocks": {"kind": "all"},
    }
    bad = [
        {**base, "prices": {}},
        {**base, "prices": {"monthly": {"amount": 9.99, "currency": "USD"}}},
        {**base, "prices": {"monthly": {"amount": "-1", "currency": "USD"}}},
        {
            **base,
            "prices": {
                "monthly": {"amount": "1", "currency": "USD"},
                "annual": {"amount": "1", "currency": "EUR"},
            },
        },
        {**base, "unlocks": {"kind": "courses"}},
        {**base, "trialDays": -1},
        {**base, "status": "retired"},
    ]
    for body in bad:
        response = await client.post(PLANS, json=body, headers=admin.headers)
        assert response.status_code == 422, body
    assert (await client.post(PLANS, json=base, headers=admin.headers)).status_code == 201
    again = await client.post(PLANS, json=base, headers=admin.headers)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "plan_code_taken"


async def test_a_plan_nobody_holds_is_deleted_a_plan_in_use_only_retired(
    client: AsyncClient, billing: BillingFactory
) -> None:
    admin = await billing.commerce.admin()
    unused, used = await billing.plan(), await billing.plan(trialDays=7)
    student = await billing.commerce.buyer()
    subscription = await billing.subscribed(student, used["id"])

    assert (
        await client.delete(f"{PLANS}/{unused['id']}", headers=admin.headers)
    ).status_code == 204
    refused = await client.delete(f"{PLANS}/{used['id']}", headers=admin.headers)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "plan_in_use"

    retired = await client.post(f"{PLANS}/{used['id']}/retire", headers=admin.headers)
    assert retired.json()["status"] == "retired"
    # Subscribers keep it; nobody new takes it; the public list no longer shows it.
    mine = await client.get(f"{SUBSCRIPTIONS}/{subscription['id']}", headers=student.headers)
    assert mine.json()["status"] == "trialing"
    newcomer = await billing.commerce.buyer("Neo")
    late = await billing.subscribe(newcomer, used["id"])
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "plan_retired"
    assert (await client.get(PLANS)).json()["total"] == 0
    assert (await client.get(f"{PLANS}/{used['id']}")).status_code == 404
    everything = await client.get(PLANS, headers=admin.headers)
    assert everything.json()["total"] == 1


async def test_admins_change_a_plan_and_a_taken_code_is_a_conflict(
    client: AsyncClient, billing: BillingFactory
) -> None:
    admin = await billing.commerce.admin()
    plan = await billing.plan(name="Old")
    changed = await client.patch(
        f"{PLANS}/{plan['id']}",
        json={
            "name": "New",
            "trialDays": 14,
            "unlocks": {"kind": "courses", "courseIds": [plan["id"]]},
        },
        headers=admin.headers,
    )
    assert changed.status_code == 200
    assert changed.json()["name"] == "New"
    assert changed.json()["trialDays"] == 14
    assert changed.json()["unlocks"]["courseIds"] == [plan["id"]]
    missing = await client.patch(
        f"{PLANS}/{'0' * 8}-0000-0000-0000-{'0' * 12}", json={"name": "x"}, headers=admin.headers
    )
    assert missing.status_code == 404
