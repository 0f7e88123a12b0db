"""Subscribing: a trial starts without a charge and only once per user and plan; without a
trial the first period is charged at once through the sandbox gateway with the request's
Idempotency-Key; bad input is refused; prices in a body are refused."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from tests.billing.conftest import DECLINED_CARD, SUBSCRIPTIONS, BillingFactory


async def test_a_trial_starts_without_a_charge_and_only_once_per_user_and_plan(
    client: AsyncClient, billing: BillingFactory
) -> None:
    plan = await billing.plan(trialDays=7)
    student = await billing.commerce.buyer()
    started = await billing.subscribed(student, plan["id"])
    assert started["status"] == "trialing"
    assert started["trialEndsAt"] == started["currentPeriodEnd"]
    assert await billing.gateway_payments(started["id"]) == []
    assert await billing.charges(started["id"]) == []

    cancelled = await client.post(
        f"{SUBSCRIPTIONS}/{started['id']}/cancel",
        json={"immediately": True},
        headers=student.headers,
    )
    assert cancelled.json()["status"] == "cancelled"
    again = await billing.subscribe(student, plan["id"])
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "trial_already_used"


async def test_without_a_trial_the_first_period_is_charged_once_per_idempotency_key(
    client: AsyncClient, billing: BillingFactory
) -> None:
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    body = {"cycle": "monthly", "paymentMethodId": str(card)}
    first = await billing.subscribe(student, plan["id"], key="k-1", **body)
    replay = await billing.subscribe(student, plan["id"], key="k-1", **body)
    assert first.status_code == replay.status_code == 201
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert first.json() == replay.json()
    subscription = first.json()
    assert subscription["status"] == "active"
    assert subscription["amount"] == {"amount": "30.00", "currency": "USD"}
    payments = await billing.gateway_payments(subscription["id"])
    assert payments == [(f"sub:{subscription['id']}:period:1", 3000, "succeeded")]
    assert await billing.charges(subscription["id"]) == [("initial", 1, 1, 3000, "succeeded")]
    second = await billing.subscribe(student, plan["id"], key="k-2", **body)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "already_subscribed"


async def test_a_declined_first_payment_subscribes_nothing(
    client: AsyncClient, billing: BillingFactory
) -> None:
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student, DECLINED_CARD)
    response = await billing.subscribe(student, plan["id"], paymentMethodId=str(card))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "payment_declined"
    assert response.json()["error"]["details"] == {"failureCode": "card_declined"}
    mine = await client.get(SUBSCRIPTIONS, headers=student.headers)
    assert mine.json()["total"] == 0
    no_card = await billing.subscribe(student, plan["id"])
    assert no_card.status_code == 409
    assert no_card.json()["error"]["details"] == {"failureCode": "no_payment_method"}


async def test_bad_subscription_requests_are_refused(
    client: AsyncClient, billing: BillingFactory
) -> None:
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    other_card = await billing.card(await billing.commerce.buyer("Oz"))
    unknown = await billing.subscribe(student, str(uuid.uuid4()))
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "plan_not_found"
    annual = await billing.subscribe(student, plan["id"], cycle="annual", paymentMethodId=str(card))
    assert annual.status_code == 422
    assert annual.json()["error"]["code"] == "cycle_not_offered"
    foreign = await billing.subscribe(student, plan["id"], paymentMethodId=str(other_card))
    assert foreign.status_code == 404
    assert foreign.json()["error"]["code"] == "payment_method_not_found"
    for extra in ({"price": "0.01"}, {"status": "active"}, {"seats": -1}, {"seats": 2}):
        response = await billing.subscribe(student, plan["id"], paymentMethodId=str(card), **extra)
        assert response.status_code == 422, extra
    no_key = await client.post(SUBSCRIPTIONS, json={"planId": plan["id"]}, headers=student.headers)
    assert no_key.status_code == 400
    assert (await client.post(SUBSCRIPTIONS, json={"planId": plan["id"]})).status_code == 401
