"""Subscribing without a saved card: the first period is paid on the gateway's hosted page (the
sandbox's, driven like a browser); the return URL starts the subscription with the card
entered there saved for the renewals; an unpaid page expires, its payment cancelled at the
gateway, and frees the plan for a new attempt."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from httpx import Response

from campus.kernel.clock import Clock
from tests.billing.conftest import DECLINED_CARD, GOOD_CARD, SUBSCRIPTIONS, BillingFactory
from tests.commerce.payment_helpers import form_token_in, path_of
from tests.fixtures.identity import AppUser

START = datetime(2026, 1, 1, tzinfo=UTC)


async def pay_on_page(billing: BillingFactory, checkout_url: str, card: str) -> Response:
    """The subscriber's browser on the sandbox's page: no bearer token, a card typed in."""
    page = await billing.client.get(path_of(checkout_url))
    assert page.status_code == 200, page.text[:300]
    return await billing.client.post(
        path_of(checkout_url),
        data={
            "formToken": form_token_in(page),
            "cardNumber": card,
            "expMonth": "12",
            "expYear": "2030",
            "cvc": "123",
        },
    )


async def checkout(billing: BillingFactory, user: AppUser, plan_id: str) -> dict[str, Any]:
    sub = await billing.subscribed(user, plan_id, checkout=True)
    assert (sub["status"], sub["paymentMethodId"]) == ("incomplete", None)
    assert "/commerce/sandbox/pay/" in sub["checkoutUrl"]
    return sub


async def test_a_subscriber_without_a_card_pays_on_the_hosted_page_and_renews_on_that_card(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    sub = await checkout(billing, student, plan["id"])
    assert sub["checkoutExpiresAt"] == "2026-01-01T01:00:00Z"

    paid = await pay_on_page(billing, sub["checkoutUrl"], GOOD_CARD)
    assert paid.status_code == 303
    back = paid.headers["location"]
    assert f"/api/v1/billing/subscriptions/{sub['id']}/return?" in back
    returned = await billing.client.get(path_of(back))  # the browser: no bearer token
    assert returned.status_code == 200, returned.text
    body = returned.json()
    assert (body["status"], body["checkoutUrl"], body["currentPeriodEnd"]) == (
        "active",
        None,
        "2026-02-01T00:00:00Z",
    )
    assert body["paymentMethodId"] is not None
    again = await billing.client.get(path_of(back))
    assert again.json()["status"] == "active"
    assert await billing.charges(sub["id"]) == [("initial", 1, 1, 3000, "succeeded")]

    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await billing.run_renewals()
    assert await billing.charges(sub["id"]) == [
        ("initial", 1, 1, 3000, "succeeded"),
        ("renewal", 2, 1, 3000, "succeeded"),
    ]
    # One payment on the page, then the renewal charged off-session to the card saved there.
    assert await billing.gateway_payments(sub["id"]) == [
        (f"sub:{sub['id']}:checkout", 3000, "succeeded"),
        (f"sub:{sub['id']}:period:2", 3000, "succeeded"),
    ]


async def test_an_unpaid_hosted_page_expires_cancelled_and_frees_the_plan(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    stranger = await billing.commerce.buyer("Stranger")
    sub = await checkout(billing, student, plan["id"])
    url = f"{SUBSCRIPTIONS}/{sub['id']}/return"

    # Only the subscriber, or whoever holds the gateway's payment id, may call the return.
    assert (await billing.client.get(url, headers=stranger.headers)).status_code == 404
    assert (await billing.client.get(url, params={"payment_intent": "pi_guess"})).status_code == 404
    declined = await pay_on_page(billing, sub["checkoutUrl"], DECLINED_CARD)
    assert declined.status_code != 303
    back = await billing.client.get(url, headers=student.headers)
    assert back.json()["status"] == "incomplete"
    # An incomplete subscription gives no access and blocks a second attempt at the plan.
    again = await billing.subscribe(student, plan["id"], checkout=True)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_subscribed")
    both = await billing.subscribe(
        student, plan["id"], checkout=True, paymentMethodId=str(await billing.card(student))
    )
    assert both.status_code == 422

    frozen_clock.freeze(START + timedelta(minutes=61))
    await billing.run_renewals()
    assert (await billing.state(sub["id"]))[:2] == (0, "expired")
    assert await billing.charges(sub["id"]) == []
    assert [
        (amount, status) for _, amount, status in await billing.gateway_payments(sub["id"])
    ] == [(3000, "canceled")]
    # The page can no longer be paid.
    late = await billing.client.get(path_of(sub["checkoutUrl"]))
    assert (late.status_code, "Payment canceled" in late.text) == (409, True)
    await billing.commerce.identity.start_session(student)
    retried = await billing.subscribe(student, plan["id"], checkout=True)
    assert retried.status_code == 201, retried.text
