"""The life of a subscription on a controlled clock: trial, renewals, a failed renewal with
its grace period and dunning retries, recovery or expiry (access removed, a purchase kept),
cancellations, plan changes with their exact prorated amounts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from httpx import AsyncClient

from campus.kernel.clock import Clock
from campus.learning import api as learning
from tests.billing.conftest import (
    API,
    DECLINED_CARD,
    SUBSCRIPTIONS,
    BillingFactory,
    event_names,
)
from tests.fixtures.identity import AppUser

START = datetime(2026, 1, 1, tzinfo=UTC)


async def fresh(billing: BillingFactory, user: AppUser) -> AppUser:
    """A token valid at the frozen clock's moment."""
    return await billing.commerce.identity.start_session(user)


async def get(client: AsyncClient, user: AppUser, subscription_id: str) -> dict[str, Any]:
    response = await client.get(f"{SUBSCRIPTIONS}/{subscription_id}", headers=user.headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_trial_renewals_failed_renewal_grace_retries_and_recovery(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan(trialDays=7)
    student = await billing.commerce.buyer()
    good, declined = await billing.card(student), await billing.card(student, DECLINED_CARD)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(good))
    assert sub["status"] == "trialing"
    assert sub["currentPeriodEnd"] == "2026-01-08T00:00:00Z"

    frozen_clock.advance(days=3, hours=23)
    assert await billing.run_renewals() == 0
    frozen_clock.advance(hours=1)  # three days before the trial ends: the reminder, once
    assert await billing.run_renewals() == 1
    assert await billing.run_renewals() == 0
    frozen_clock.advance(days=3)
    assert await billing.run_renewals() == 1
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert (state["status"], state["currentPeriodEnd"]) == ("active", "2026-02-08T00:00:00Z")

    frozen_clock.freeze(datetime(2026, 2, 8, tzinfo=UTC))
    await billing.run_renewals()
    student = await fresh(billing, student)
    patched = await client.patch(
        f"{SUBSCRIPTIONS}/{sub['id']}",
        json={"paymentMethodId": str(declined)},
        headers=student.headers,
    )
    assert patched.json()["currentPeriodEnd"] == "2026-03-08T00:00:00Z"

    # The renewal of 8 March fails: past due, in grace for 7 days, retries on days 1, 3, 5.
    frozen_clock.freeze(datetime(2026, 3, 8, tzinfo=UTC))
    await billing.run_renewals()
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert state["status"] == "past_due"
    assert state["graceEndsAt"] == "2026-03-15T00:00:00Z"
    assert state["nextRetryAt"] == "2026-03-09T00:00:00Z"

    frozen_clock.advance(days=1)
    await billing.run_renewals()
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert (state["status"], state["nextRetryAt"]) == ("past_due", "2026-03-11T00:00:00Z")

    await client.patch(
        f"{SUBSCRIPTIONS}/{sub['id']}", json={"paymentMethodId": str(good)}, headers=student.headers
    )
    frozen_clock.advance(days=2)
    await billing.run_renewals()
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert state["status"] == "active"
    assert state["currentPeriodStart"] == "2026-03-08T00:00:00Z"
    assert state["currentPeriodEnd"] == "2026-04-08T00:00:00Z"
    assert (state["graceEndsAt"], state["nextRetryAt"]) == (None, None)

    assert await billing.charges(sub["id"]) == [
        ("renewal", 1, 1, 3000, "succeeded"),
        ("renewal", 2, 1, 3000, "succeeded"),
        ("renewal", 3, 1, 3000, "failed"),
        ("retry", 3, 2, 3000, "failed"),
        ("retry", 3, 3, 3000, "succeeded"),
    ]
    listed = await client.get(f"{SUBSCRIPTIONS}/{sub['id']}/charges", headers=student.headers)
    assert [c["failureCode"] for c in listed.json()["items"]] == [
        None,
        None,
        "card_declined",
        "card_declined",
        None,
    ]
    assert await event_names(billing.db) == [
        "billing.subscription_started",
        "billing.trial_ending",
        "billing.subscription_renewed",
        "billing.subscription_renewed",
        "billing.payment_failed",
        "billing.grace_started",
        "billing.payment_failed",
        "billing.subscription_renewed",
    ]


async def test_grace_running_out_expires_the_subscription_and_its_access_but_not_a_purchase(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    by_plan, bought = await billing.commerce.paid_course(), await billing.commerce.paid_course()
    async with billing.db.session() as session:
        await learning.grant_entitlement(
            session, user_id=student.id, course_id=bought.id, source="purchase", reference="o-1"
        )
    for course in (by_plan, bought):
        opened = await client.post(
            f"{API}/billing/courses/{course.id}/enroll", headers=student.headers
        )
        assert opened.status_code == 201, opened.text
    declined = await billing.card(student, DECLINED_CARD)
    await client.patch(
        f"{SUBSCRIPTIONS}/{sub['id']}",
        json={"paymentMethodId": str(declined)},
        headers=student.headers,
    )

    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await billing.run_renewals()
    async with billing.db.read_session() as session:
        assert await learning.is_enrolled(session, student.id, by_plan.id)  # in grace
    for day in (2, 4, 6, 8):
        frozen_clock.freeze(datetime(2026, 2, day, tzinfo=UTC))
        await billing.run_renewals()
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert state["status"] == "expired"
    assert state["endedAt"] == "2026-02-08T00:00:00Z"
    async with billing.db.read_session() as session:
        assert not await learning.is_enrolled(session, student.id, by_plan.id)
        assert await learning.is_enrolled(session, student.id, bought.id)
        kept = await learning.get_enrollment(session, student.id, by_plan.id)
        assert kept is not None  # the enrollment (and its progress) stays, without access
    attempts = await billing.charges(sub["id"])
    assert [(kind, attempt, status) for kind, _, attempt, _, status in attempts[1:]] == [
        ("renewal", 1, "failed"),
        ("retry", 2, "failed"),
        ("retry", 3, "failed"),
        ("retry", 4, "failed"),
    ]
    assert (await event_names(billing.db))[-1] == "billing.subscription_expired"
    late = await client.post(f"{API}/billing/courses/{by_plan.id}/enroll", headers=student.headers)
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "course_not_in_plan"


async def test_cancel_at_period_end_keeps_access_until_then_and_resume_undoes_it(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    course = await billing.commerce.paid_course()
    await client.post(f"{API}/billing/courses/{course.id}/enroll", headers=student.headers)
    url = f"{SUBSCRIPTIONS}/{sub['id']}"
    body = {"reason": "too_expensive", "feedback": "Great courses."}
    cancelled = (await client.post(f"{url}/cancel", json=body, headers=student.headers)).json()
    assert (cancelled["status"], cancelled["cancelAtPeriodEnd"]) == ("active", True)
    assert cancelled["nextBillingAt"] is None
    resumed = (await client.post(f"{url}/resume", headers=student.headers)).json()
    assert (resumed["cancelAtPeriodEnd"], resumed["nextBillingAt"]) == (
        False,
        "2026-02-01T00:00:00Z",
    )
    again = await client.post(f"{url}/resume", headers=student.headers)
    assert again.status_code == 409
    await client.post(f"{url}/cancel", json=body, headers=student.headers)

    frozen_clock.freeze(datetime(2026, 1, 31, 23, tzinfo=UTC))
    await billing.run_renewals()
    async with billing.db.read_session() as session:
        assert await learning.is_enrolled(session, student.id, course.id)
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await billing.run_renewals()
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert (state["status"], state["endedAt"]) == ("cancelled", "2026-02-01T00:00:00Z")
    assert [kind for kind, *_ in await billing.charges(sub["id"])] == ["initial"]
    async with billing.db.read_session() as session:
        assert not await learning.is_enrolled(session, student.id, course.id)


async def test_an_immediate_cancellation_refunds_the_unused_days_rounded_down(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    frozen_clock.advance(days=10)
    student = await fresh(billing, student)
    response = await client.post(
        f"{SUBSCRIPTIONS}/{sub['id']}/cancel",
        json={"immediately": True, "reason": "switching"},
        headers=student.headers,
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["endedAt"]) == (
        "cancelled",
        "2026-01-11T00:00:00Z",
    )
    # 21 of January's 31 days unused: 3000 * 21 / 31 = 2032.26 -> 2032.
    assert await billing.charges(sub["id"]) == [
        ("initial", 1, 1, 3000, "succeeded"),
        ("refund", 1, 1, 2032, "succeeded"),
    ]
    twice = await client.post(
        f"{SUBSCRIPTIONS}/{sub['id']}/cancel", json={"immediately": True}, headers=student.headers
    )
    assert twice.status_code == 409


async def test_an_upgrade_charges_the_prorated_difference_and_a_downgrade_waits_for_renewal(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    basic = await billing.plan()
    premium = await billing.plan(prices={"monthly": {"amount": "45.00", "currency": "USD"}})
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, basic["id"], paymentMethodId=str(card))
    url = f"{SUBSCRIPTIONS}/{sub['id']}/change-plan"

    frozen_clock.advance(days=10, hours=12)
    student = await fresh(billing, student)
    upgraded = await client.post(url, json={"planId": premium["id"]}, headers=student.headers)
    assert upgraded.status_code == 200
    assert (upgraded.json()["planId"], upgraded.json()["amount"]["amount"]) == (
        premium["id"],
        "45.00",
    )
    # 1500 for 20.5 of 31 days: 1500 * 1771200 / 2678400 = 991.93... -> 991.
    assert (await billing.charges(sub["id"]))[-1] == ("proration", 1, 1, 991, "succeeded")

    downgraded = await client.post(url, json={"planId": basic["id"]}, headers=student.headers)
    assert (downgraded.json()["planId"], downgraded.json()["pendingPlanId"]) == (
        premium["id"],
        basic["id"],
    )
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await billing.run_renewals()
    student = await fresh(billing, student)
    state = await get(client, student, sub["id"])
    assert (state["planId"], state["pendingPlanId"], state["amount"]["amount"]) == (
        basic["id"],
        None,
        "30.00",
    )
    assert (await billing.charges(sub["id"]))[-1] == ("renewal", 2, 1, 3000, "succeeded")


async def test_a_trial_ending_without_a_payment_method_goes_past_due_and_a_lifetime_never_renews(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    trial_plan = await billing.plan(trialDays=7)
    lifetime_plan = await billing.plan(prices={"lifetime": {"amount": "300", "currency": "USD"}})
    student = await billing.commerce.buyer()
    trial = await billing.subscribed(student, trial_plan["id"])
    card = await billing.card(student)
    lifetime = await billing.subscribed(
        student, lifetime_plan["id"], cycle="lifetime", paymentMethodId=str(card)
    )
    assert (lifetime["currentPeriodEnd"], lifetime["nextBillingAt"], lifetime["autoRenew"]) == (
        None,
        None,
        False,
    )
    frozen_clock.freeze(datetime(2027, 6, 1, tzinfo=UTC))
    await billing.run_renewals()
    student = await fresh(billing, student)
    assert (await get(client, student, trial["id"]))["status"] == "past_due"
    # A job running late catches up one step per run: the retries, then the end of grace.
    while await billing.run_renewals():
        pass
    assert (await get(client, student, trial["id"]))["status"] == "expired"
    assert (await get(client, student, lifetime["id"]))["status"] == "active"
    assert [c[0] for c in await billing.charges(lifetime["id"])] == ["initial"]
    attempts = await billing.charges(trial["id"])
    # Run 17 months after the trial ended, the renewal is for the period that moment falls in
    # (the 17th from the trial's end); the 16 missed are not charged.
    assert attempts[0] == ("renewal", 17, 1, 3000, "failed")
    assert [(kind, attempt) for kind, _, attempt, _, _ in attempts] == [
        ("renewal", 1),
        ("retry", 2),
        ("retry", 3),
        ("retry", 4),
    ]
