"""Promo duration per coupon: a plan manager sets how many paid periods a code discounts
(the first, the first N, every one); a code without terms discounts
CAMPUS_BILLING_COUPON_PERIODS periods; a subscription keeps the periods it started with."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from campus.kernel.clock import Clock
from tests.billing.conftest import API, BillingFactory

TERMS = f"{API}/billing/coupon-terms"


async def subscribe_with(billing: BillingFactory, plan_id: str, code: str) -> dict[str, Any]:
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    return await billing.subscribed(student, plan_id, paymentMethodId=str(card), couponCode=code)


async def test_each_promo_code_discounts_the_periods_of_its_own_terms(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    admin = await billing.commerce.admin()
    plan = await billing.plan()
    for code, body in (
        ("THREE", {"duration": "repeating", "periods": 3}),
        ("ALWAYS", {"duration": "forever"}),
        ("FIRST", {"duration": "once"}),
    ):
        await billing.commerce.coupon(code, percent_bp=5000)
        response = await billing.client.put(
            f"{TERMS}/{code.lower()}", json=body, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["code"] == code
    await billing.commerce.coupon("PLAIN", percent_bp=5000)
    subs = {
        code: await subscribe_with(billing, plan["id"], code)
        for code in ("THREE", "ALWAYS", "FIRST", "PLAIN")
    }
    assert {code: sub["discountedPeriodsLeft"] for code, sub in subs.items()} == {
        "THREE": 2,
        "ALWAYS": None,
        "FIRST": 0,
        "PLAIN": 0,  # the setting's default: the first period only
    }
    # Terms changed later do not change subscriptions that already redeemed the code.
    response = await billing.client.put(
        f"{TERMS}/THREE", json={"duration": "once"}, headers=admin.headers
    )
    assert response.status_code == 200
    for month in (2, 3, 4, 5):
        frozen_clock.freeze(datetime(2026, month, 1, tzinfo=UTC))
        await billing.run_renewals()
    amounts = {
        code: [amount for _, _, _, amount, _ in await billing.charges(sub["id"])]
        for code, sub in subs.items()
    }
    assert amounts == {
        "THREE": [1500, 1500, 1500, 3000, 3000],
        "ALWAYS": [1500] * 5,
        "FIRST": [1500, 3000, 3000, 3000, 3000],
        "PLAIN": [1500, 3000, 3000, 3000, 3000],
    }


async def test_promo_terms_refuse_bad_input_and_other_callers(billing: BillingFactory) -> None:
    admin = await billing.commerce.admin()
    student = await billing.commerce.buyer()
    await billing.commerce.coupon("SPRING")
    cases = [
        ("SPRING", {"duration": "repeating"}, 422),
        ("SPRING", {"duration": "once", "periods": 2}, 422),
        ("SPRING", {"duration": "repeating", "periods": 0}, 422),
        ("SPRING", {"duration": "weekly"}, 422),
        ("SPRING", {"duration": "once", "percentOff": 100}, 422),
        ("NOSUCH", {"duration": "once"}, 404),
    ]
    for code, body, status in cases:
        response = await billing.client.put(f"{TERMS}/{code}", json=body, headers=admin.headers)
        assert response.status_code == status, (body, response.text)
    assert (await billing.client.get(f"{TERMS}/SPRING", headers=admin.headers)).json()["error"][
        "code"
    ] == "coupon_terms_not_found"
    response = await billing.client.put(
        f"{TERMS}/SPRING", json={"duration": "forever"}, headers=student.headers
    )
    assert response.status_code == 403
    assert (await billing.client.get(f"{TERMS}/SPRING", headers=student.headers)).status_code == 403
    response = await billing.client.put(
        f"{TERMS}/SPRING", json={"duration": "forever"}, headers=admin.headers
    )
    assert response.status_code == 200
    assert (
        await billing.client.delete(f"{TERMS}/SPRING", headers=admin.headers)
    ).status_code == 204
    assert (await billing.client.get(f"{TERMS}/SPRING", headers=admin.headers)).status_code == 404
