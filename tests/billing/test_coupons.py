"""Promo codes from commerce apply to subscriptions: the first period by default, the first N
or every one as configured; restricted, foreign-currency, unknown and used-up codes are
refused and nothing is charged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from httpx import AsyncClient

from campus.config import Settings
from campus.kernel.clock import Clock
from tests.billing.conftest import BillingFactory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(billing_coupon_periods=2)


async def test_a_promo_code_discounts_the_configured_number_of_paid_periods(
    client: AsyncClient, billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    coupon = await billing.commerce.coupon("HALFOFF", percent_bp=3333)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(
        student, plan["id"], paymentMethodId=str(card), couponCode=coupon.code.lower()
    )
    assert sub["couponCode"] == "HALFOFF"
    # 3000 - 3000 * 3333 // 10000 = 3000 - 999 = 2001 (the discount rounded down).
    assert sub["nextCharge"] == {"amount": "20.01", "currency": "USD"}
    for month in (2, 3):
        frozen_clock.freeze(datetime(2026, month, 1, tzinfo=UTC))
        await billing.run_renewals()
    assert [amount for _, _, _, amount, _ in await billing.charges(sub["id"])] == [
        2001,
        2001,
        3000,
    ]


async def test_unusable_promo_codes_are_refused_and_nothing_is_charged(
    billing: BillingFactory,
) -> None:
    plan = await billing.plan()
    course = await billing.commerce.paid_course()
    restricted = await billing.commerce.coupon("ONECOURSE", course_ids=[str(course.id)])
    euros = await billing.commerce.coupon(
        "FIVEEUR", kind="fixed", amount_off_minor=500, currency="EUR"
    )
    used_up = await billing.commerce.coupon("GONE", usage_limit=1)
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    cases = [
        ("NOSUCHCODE", 404, "coupon_not_found"),
        (restricted.code, 409, "coupon_invalid"),
        (euros.code, 409, "coupon_invalid"),
    ]
    for code, status, error in cases:
        response = await billing.subscribe(
            student, plan["id"], paymentMethodId=str(card), couponCode=code
        )
        assert (response.status_code, response.json()["error"]["code"]) == (status, error), code
    first = await billing.commerce.buyer("Fay")
    await billing.subscribed(
        first, plan["id"], paymentMethodId=str(await billing.card(first)), couponCode=used_up.code
    )
    late = await billing.subscribe(
        student, plan["id"], paymentMethodId=str(card), couponCode=used_up.code
    )
    assert late.json()["error"]["code"] == "coupon_exhausted"
    ok = await billing.subscribe(student, plan["id"], paymentMethodId=str(card))
    assert ok.status_code == 201
    assert [amount for *_, amount, _ in await billing.charges(ok.json()["id"])] == [3000]
