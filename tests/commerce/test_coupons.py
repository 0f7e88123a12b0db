"""Coupons: every rule of when a coupon applies and what it takes off, and who manages them
(admins every coupon, instructors their own, for their own courses)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

import pytest
from httpx import AsyncClient, Response

from campus.commerce.data import OrderStatus
from campus.commerce.models import Coupon, Order
from campus.commerce.service import coupons as coupons_service
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from tests.commerce.conftest import API, CommerceFactory, PaidCourse
from tests.fixtures.catalog import ok_object
from tests.fixtures.identity import AppUser


async def cart_of(client: AsyncClient, buyer: AppUser, *courses: PaidCourse) -> None:
    for course in courses:
        response = await client.post(
            f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
        )
        assert response.status_code == 201, response.text


async def validate(client: AsyncClient, buyer: AppUser, code: str, **body: Any) -> Response:
    return await client.post(
        f"{API}/coupons/validate",
        json={"code": code, "billingCountry": "US", **body},
        headers=buyer.headers,
    )


def reason(response: Response) -> str:
    body = ok_object(response, 409)
    assert body["error"]["code"] == "coupon_invalid", body
    return str(body["error"]["details"]["reason"])


async def test_a_percent_coupon_takes_its_share_and_a_fixed_one_its_amount(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    await cart_of(
        client,
        buyer,
        await commerce.paid_course("USD", amount="49.99"),
        await commerce.paid_course("USD", amount="0.01"),
    )
    await commerce.coupon("PCT", percent_bp=1500)
    await commerce.coupon(
        "FIVE", kind="fixed", percent_bp=None, amount_off_minor=500, currency="USD"
    )
    pct = ok_object(await validate(client, buyer, "pct"))  # codes are case-insensitive
    assert pct["discount"] == {"amount": "7.50", "currency": "USD"}  # 15 % of 50.00
    assert [line["discount"]["amount"] for line in pct["lines"]] == ["7.50", "0.00"]
    fixed = ok_object(await validate(client, buyer, "FIVE"))
    assert fixed["discount"] == {"amount": "5.00", "currency": "USD"}
    assert fixed["total"] == {"amount": "45.00", "currency": "USD"}
    assert sum(int(line["discount"]["amount"].replace(".", "")) for line in fixed["lines"]) == 500


async def test_a_fixed_coupon_never_takes_more_than_the_order(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    await cart_of(client, buyer, await commerce.paid_course("EUR", amount="3.00"))
    await commerce.coupon(
        "BIG", kind="fixed", percent_bp=None, amount_off_minor=10_000, currency="EUR"
    )
    quote = ok_object(await validate(client, buyer, "BIG"))
    assert quote["total"] == {"amount": "0.00", "currency": "EUR"}


async def test_the_rules_refuse_with_a_reason(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("USD", amount="20.00")
    other = await commerce.paid_course("USD", amount="20.00")
    await cart_of(client, buyer, course)
    now = utcnow()
    await commerce.coupon("LATER", starts_at=now + timedelta(days=1))
    await commerce.coupon("OVER", ends_at=now - timedelta(seconds=1))
    await commerce.coupon("OFF", active=False)
    await commerce.coupon(
        "EUROS", kind="fixed", percent_bp=None, amount_off_minor=100, currency="EUR"
    )
    await commerce.coupon("MIN", currency="USD", min_order_minor=2001)
    await commerce.coupon("ONLYOTHER", course_ids=[str(other.id)])
    await commerce.coupon("FIRST", first_purchase_only=True)
    await commerce.coupon("DONE", usage_limit=1, used_count=1)
    assert reason(await validate(client, buyer, "LATER")) == "not_started"
    assert reason(await validate(client, buyer, "OVER")) == "expired"
    assert reason(await validate(client, buyer, "OFF")) == "inactive"
    assert reason(await validate(client, buyer, "EUROS")) == "currency_mismatch"
    assert reason(await validate(client, buyer, "MIN")) == "min_order_not_met"
    assert reason(await validate(client, buyer, "ONLYOTHER")) == "not_applicable"
    exhausted = await validate(client, buyer, "DONE")
    assert ok_object(exhausted, 409)["error"]["code"] == "coupon_exhausted"
    unknown = await validate(client, buyer, "NOPE")
    assert ok_object(unknown, 404)["error"]["code"] == "coupon_not_found"
    # First purchase only: fine before the buyer's first paid order, refused after.
    assert (await validate(client, buyer, "FIRST")).status_code == 200
    async with db.session() as session:
        session.add(
            Order(
                id=new_id(),
                number=f"ORD-TEST-{new_id().hex[:8]}",
                user_id=buyer.id,
                status=OrderStatus.PAID.value,
                currency="USD",
                subtotal_minor=100,
                total_minor=100,
                billing_name="B",
                billing_country="US",
                idempotency_key="earlier",
            )
        )
    assert reason(await validate(client, buyer, "FIRST")) == "first_purchase_only"


async def test_restrictions_by_category_and_instructor_pick_the_lines(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    teacher = await commerce.instructor("Tea")
    mine = await commerce.paid_course("USD", amount="10.00", owner=teacher)
    theirs = await commerce.paid_course("USD", amount="30.00")
    await cart_of(client, buyer, mine, theirs)
    await commerce.coupon("TEA50", percent_bp=5000, instructor_ids=[str(teacher.id)])
    quote = ok_object(await validate(client, buyer, "TEA50"))
    assert [line["discount"]["amount"] for line in quote["lines"]] == ["5.00", "0.00"]


async def test_the_per_user_limit_holds_across_orders(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    await commerce.coupon("ONCEEACH", per_user_limit=1)
    await cart_of(client, buyer, await commerce.paid_course("USD"))
    placed = await client.post(
        f"{API}/checkout",
        json={"billingName": "B", "billingCountry": "US", "couponCode": "ONCEEACH"},
        headers={**buyer.headers, "Idempotency-Key": "first"},
    )
    assert placed.status_code == 201, placed.text
    await cart_of(client, buyer, await commerce.paid_course("USD"))
    assert reason(await validate(client, buyer, "ONCEEACH")) == "per_user_limit_reached"
    other = await commerce.buyer("Ola")
    await cart_of(client, other, await commerce.paid_course("USD"))
    assert (await validate(client, other, "ONCEEACH")).status_code == 200


async def test_a_first_purchase_coupon_discounts_one_open_order_whatever_its_per_user_limit(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    await commerce.coupon("WELCOME", first_purchase_only=True, per_user_limit=3)
    await cart_of(client, buyer, await commerce.paid_course("USD"))
    body = {"billingName": "B", "billingCountry": "US", "couponCode": "WELCOME"}
    first = await client.post(
        f"{API}/checkout", json=body, headers={**buyer.headers, "Idempotency-Key": "first"}
    )
    assert first.status_code == 201, first.text
    # The first order is not paid yet: a second one must not be discounted as "first" too.
    await cart_of(client, buyer, await commerce.paid_course("USD"))
    second = await client.post(
        f"{API}/checkout", json=body, headers={**buyer.headers, "Idempotency-Key": "second"}
    )
    assert reason(second) == "per_user_limit_reached"
    # Cancelling the first order gives the use back: the buyer may use it once again.
    order_id = ok_object(first, 201)["order"]["id"]
    cancelled = await client.post(f"{API}/orders/{order_id}/cancel", headers=buyer.headers)
    assert cancelled.status_code == 200, cancelled.text
    assert (await validate(client, buyer, "WELCOME")).status_code == 200


# --------------------------------------------------------------------------- management


async def test_admins_manage_every_coupon(client: AsyncClient, commerce: CommerceFactory) -> None:
    admin = await commerce.admin()
    created = ok_object(
        await client.post(
            f"{API}/coupons",
            json={
                "code": "spring-25",
                "kind": "fixed",
                "amountOff": {"amount": "5.00", "currency": "EUR"},
                "minOrder": {"amount": "20.00", "currency": "EUR"},
                "usageLimit": 100,
            },
            headers=admin.headers,
        ),
        201,
    )
    assert created["code"] == "SPRING-25"
    assert created["amountOff"] == {"amount": "5.00", "currency": "EUR"}
    assert created["ownerId"] is None
    assert created["perUserLimit"] == 1
    taken = await client.post(
        f"{API}/coupons",
        json={"code": "SPRING-25", "kind": "percent", "percentBp": 100},
        headers=admin.headers,
    )
    assert ok_object(taken, 409)["error"]["code"] == "coupon_code_taken"
    url = f"{API}/coupons/{created['id']}"
    changed = ok_object(await client.patch(url, json={"usageLimit": 10}, headers=admin.headers))
    assert changed["usageLimit"] == 10
    other = ok_object(
        await client.post(
            f"{API}/coupons",
            json={"code": "OTHER", "kind": "percent", "percentBp": 100},
            headers=admin.headers,
        ),
        201,
    )
    renamed = await client.patch(
        f"{API}/coupons/{other['id']}", json={"code": "spring-25"}, headers=admin.headers
    )
    assert ok_object(renamed, 409)["error"]["code"] == "coupon_code_taken"
    assert (await client.delete(url, headers=admin.headers)).status_code == 204
    assert ok_object(await client.get(url, headers=admin.headers))["active"] is False
    floats = await client.post(
        f"{API}/coupons",
        json={"code": "FLOATY", "kind": "fixed", "amountOff": {"amount": 5.5, "currency": "EUR"}},
        headers=admin.headers,
    )
    assert floats.status_code == 422


async def test_instructors_manage_only_their_own_coupons_for_their_courses(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    teacher = await commerce.instructor("Tia")
    rival = await commerce.instructor("Rex")
    mine = await commerce.paid_course("USD", owner=teacher)
    theirs = await commerce.paid_course("USD", owner=rival)
    body = {"code": "TIA10", "kind": "percent", "percentBp": 1000, "courseIds": [mine.key]}
    created = ok_object(
        await client.post(f"{API}/coupons", json=body, headers=teacher.headers), 201
    )
    assert created["ownerId"] == str(teacher.id)
    foreign = {**body, "code": "TIA11", "courseIds": [theirs.key]}
    refused = await client.post(f"{API}/coupons", json=foreign, headers=teacher.headers)
    assert ok_object(refused, 403)["error"]["code"] == "not_course_instructor"
    # The rival neither sees nor changes it.
    url = f"{API}/coupons/{created['id']}"
    assert (await client.get(url, headers=rival.headers)).status_code == 404
    assert (
        await client.patch(url, json={"active": False}, headers=rival.headers)
    ).status_code == 404
    assert ok_object(await client.get(f"{API}/coupons", headers=rival.headers))["total"] == 0
    assert ok_object(await client.get(f"{API}/coupons", headers=teacher.headers))["total"] == 1
    # Students manage no coupons.
    student = await commerce.buyer()
    assert (await client.get(f"{API}/coupons", headers=student.headers)).status_code == 403
    assert (
        await client.post(f"{API}/coupons", json=body, headers=student.headers)
    ).status_code == 403
    # An instructor's coupon only discounts the instructor's courses.
    await cart_of(client, student, mine, await commerce.paid_course("USD", owner=rival))
    quote = ok_object(await validate(client, student, "TIA10"))
    assert [line["discount"]["amount"] != "0.00" for line in quote["lines"]] == [True, False]


async def test_an_admin_may_change_the_courses_of_an_instructor_s_coupon_within_theirs(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    admin = await commerce.admin()
    teacher = await commerce.instructor("Tia")
    rival = await commerce.instructor("Rex")
    first = await commerce.paid_course("USD", owner=teacher)
    second = await commerce.paid_course("USD", owner=teacher)
    theirs = await commerce.paid_course("USD", owner=rival)
    body = {"code": "TIA20", "kind": "percent", "percentBp": 2000, "courseIds": [first.key]}
    created = ok_object(
        await client.post(f"{API}/coupons", json=body, headers=teacher.headers), 201
    )
    url = f"{API}/coupons/{created['id']}"
    moved = await client.patch(url, json={"courseIds": [second.key]}, headers=admin.headers)
    assert ok_object(moved)["courseIds"] == [second.key]
    # Still the instructor's coupon: it cannot name a course its owner does not teach.
    foreign = await client.patch(url, json={"courseIds": [theirs.key]}, headers=admin.headers)
    assert ok_object(foreign, 403)["error"]["code"] == "not_course_instructor"


async def test_a_usage_limit_below_the_uses_taken_by_the_time_it_is_written_is_refused(
    client: AsyncClient, commerce: CommerceFactory, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = await commerce.admin()
    coupon = await commerce.coupon("BUSY", usage_limit=10, used_count=5)
    read = coupons_service.get

    async def read_before_the_checkouts(*args: Any) -> coupons_service.CouponRecord:
        # The coupon as it was read before five checkouts took a use each.
        return dataclasses.replace(await read(*args), used_count=0)

    monkeypatch.setattr(coupons_service, "get", read_before_the_checkouts)
    refused = await client.patch(
        f"{API}/coupons/{coupon.id}", json={"usageLimit": 3}, headers=admin.headers
    )
    assert refused.status_code == 422, refused.text
    assert "below_used" in refused.text
    async with db.session() as session:
        stored = await session.get(Coupon, coupon.id)
        assert stored is not None
        assert stored.usage_limit == 10


async def test_a_coupon_without_a_limit_counts_its_live_uses_and_a_limit_given_later_starts_there(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    admin = await commerce.admin()
    coupon = await commerce.coupon("OPEN")
    buyers = [await commerce.buyer(f"Buyer {chr(65 + n)}") for n in range(3)]
    for n, buyer in enumerate(buyers):
        await cart_of(client, buyer, await commerce.paid_course("USD"))
        placed = await client.post(
            f"{API}/checkout",
            json={"billingName": "B", "billingCountry": "US", "couponCode": "OPEN"},
            headers={**buyer.headers, "Idempotency-Key": f"open-{n}"},
        )
        assert placed.status_code == 201, placed.text
    # Checkouts of a coupon without a limit never write its row (they do not queue on it)...
    async with db.session() as session:
        stored = await session.get(Coupon, coupon.id)
        assert stored is not None
        assert stored.used_count == 0
    url = f"{API}/coupons/{coupon.id}"
    # ...yet the coupon says how many uses its orders hold.
    assert ok_object(await client.get(url, headers=admin.headers))["usedCount"] == 3
    # A limit below them is refused; one above starts from them.
    below = await client.patch(url, json={"usageLimit": 2}, headers=admin.headers)
    assert below.status_code == 422
    assert "below_used" in below.text
    limited = ok_object(await client.patch(url, json={"usageLimit": 4}, headers=admin.headers))
    assert (limited["usageLimit"], limited["usedCount"]) == (4, 3)
    late = await commerce.buyer("Late")
    await cart_of(client, late, await commerce.paid_course("USD"))
    assert (await validate(client, late, "OPEN")).status_code == 200
    placed = await client.post(
        f"{API}/checkout",
        json={"billingName": "B", "billingCountry": "US", "couponCode": "OPEN"},
        headers={**late.headers, "Idempotency-Key": "late"},
    )
    assert placed.status_code == 201, placed.text
    last = await commerce.buyer("Last")
    await cart_of(client, last, await commerce.paid_course("USD"))
    refused = await validate(client, last, "OPEN")
    assert ok_object(refused, 409)["error"]["code"] == "coupon_exhausted"
