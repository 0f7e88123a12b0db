"""The billing demo data (plans, a demo student's subscription, the demo company's seats) and
a subscriber's own view of their subscription."""

from __future__ import annotations

import sqlalchemy as sa
from httpx import AsyncClient

from campus.billing.models import Plan, Seat, Subscription
from tests.billing.conftest import API, BillingFactory
from tests.fixtures.demo import DemoWorld


async def test_the_demo_has_plans_a_subscriber_and_a_company_with_three_of_five_seats(
    demo: DemoWorld,
) -> None:
    async with demo.db.read_session() as session:
        plans = {
            p.code: (p.plan_type, p.monthly_minor, p.annual_minor, p.trial_days)
            for p in await session.scalars(sa.select(Plan))
        }
        subscriptions = sorted(
            (s.status, s.quantity, s.seats_assigned, s.organization_id is not None)
            for s in await session.scalars(sa.select(Subscription))
        )
        seats = await session.scalar(sa.select(sa.func.count()).select_from(Seat))
    assert plans == {
        "solo-monthly": ("solo_learner", 2900, None, 7),
        "solo-annual": ("solo_learner", None, 29000, 0),
        "teams": ("enterprise", 2500, 25000, 0),
    }
    assert subscriptions == [("active", 1, 0, False), ("active", 5, 3, True)]
    assert seats == 3


async def test_my_subscription_shows_status_plan_next_billing_date_and_amount(
    client: AsyncClient, billing: BillingFactory
) -> None:
    student = await billing.commerce.buyer()
    empty = await client.get(f"{API}/me/subscription", headers=student.headers)
    assert empty.json() == {"subscription": None}
    plan = await billing.plan(name="Unlimited")
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    mine = (await client.get(f"{API}/me/subscription", headers=student.headers)).json()
    current = mine["subscription"]
    assert (current["id"], current["status"], current["planName"]) == (
        sub["id"],
        "active",
        "Unlimited",
    )
    assert current["nextBillingAt"] == current["currentPeriodEnd"]
    assert current["amount"] == {"amount": "30.00", "currency": "USD"}
    assert current["paymentMethodId"] == str(card)
    listed = (await client.get(f"{API}/me/subscriptions", headers=student.headers)).json()
    assert [s["id"] for s in listed["items"]] == [sub["id"]]
    other = await billing.commerce.buyer("Oz")
    foreign = await client.get(f"{API}/billing/subscriptions/{sub['id']}", headers=other.headers)
    assert foreign.status_code == 404
    turned_off = await client.patch(
        f"{API}/billing/subscriptions/{sub['id']}",
        json={"autoRenew": False},
        headers=student.headers,
    )
    assert (turned_off.json()["autoRenew"], turned_off.json()["nextBillingAt"]) == (False, None)
