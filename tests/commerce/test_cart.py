"""The cart: anonymous carts by token and their merge, one open cart per user, prices from the
catalog, and the refusals with their codes."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.commerce.models import Cart
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.learning import api as learning_api
from tests.commerce.conftest import API, CommerceFactory
from tests.fixtures.catalog import ok, ok_object


async def add(
    client: AsyncClient, course_id: uuid.UUID, headers: dict[str, str], status: int = 201
) -> dict[str, Any]:
    response = await client.post(
        f"{API}/cart/items", json={"courseId": str(course_id)}, headers=headers
    )
    return ok_object(response, status)


async def test_a_buyer_adds_courses_and_sees_catalog_prices(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    first = await commerce.paid_course("USD")
    second = await commerce.paid_course("USD", amount="10.01")
    await add(client, first.id, buyer.headers)
    cart = await add(client, second.id, buyer.headers)
    assert cart["currency"] == "USD"
    assert cart["subtotal"] == {"amount": "60.00", "currency": "USD"}
    assert [i["courseId"] for i in cart["items"]] == [first.key, second.key]
    assert cart["cartToken"] is None
    assert ok_object(await client.get(f"{API}/cart", headers=buyer.headers))["id"] == cart["id"]


async def test_refusals_carry_their_codes(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    usd = await commerce.paid_course("USD")
    eur = await commerce.paid_course("EUR")
    owned = await commerce.paid_course("USD")
    draft = await commerce.paid_course("USD", published=False)
    free = await commerce.free_course()
    async with db.session() as session:
        await learning_api.grant_entitlement(
            session, user_id=buyer.id, course_id=owned.id, source="grant"
        )
        await learning_api.enroll_user(session, buyer.id, owned.id)

    await add(client, usd.id, buyer.headers)

    async def code(course_id: uuid.UUID, status: int = 409) -> str:
        body = await add(client, course_id, buyer.headers, status)
        return str(body["error"]["code"])

    assert await code(usd.id) == "course_already_in_cart"
    assert await code(eur.id) == "currency_mismatch"
    assert await code(owned.id) == "course_already_owned"
    assert await code(draft.id) == "course_not_purchasable"
    assert await code(free) == "course_not_purchasable"
    assert await code(uuid.uuid4(), 404) == "course_not_found"
    # The refusals changed nothing.
    cart = ok_object(await client.get(f"{API}/cart", headers=buyer.headers))
    assert [i["courseId"] for i in cart["items"]] == [usd.key]


async def test_an_emptied_cart_takes_another_currency(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    usd = await commerce.paid_course("USD")
    jpy = await commerce.paid_course("JPY")
    await add(client, usd.id, buyer.headers)
    emptied = ok_object(await client.delete(f"{API}/cart/items/{usd.id}", headers=buyer.headers))
    assert (emptied["items"], emptied["currency"]) == ([], None)
    cart = await add(client, jpy.id, buyer.headers)
    assert cart["subtotal"] == {"amount": "5000", "currency": "JPY"}
    missing = await client.delete(f"{API}/cart/items/{usd.id}", headers=buyer.headers)
    assert ok_object(missing, 404)["error"]["code"] == "cart_item_not_found"


async def test_the_client_cannot_send_a_price(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("USD")
    response = await client.post(
        f"{API}/cart/items",
        json={"courseId": course.key, "price": {"amount": "0.01", "currency": "USD"}},
        headers=buyer.headers,
    )
    assert response.status_code == 422


async def test_an_anonymous_cart_lives_by_its_token_and_merges_on_login(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    first = await commerce.paid_course("USD")
    second = await commerce.paid_course("USD")
    eur = await commerce.paid_course("EUR")
    anonymous = await add(client, first.id, {})
    token = str(anonymous["cartToken"])
    assert len(token) >= 40
    again = await add(client, second.id, {"X-Cart-Token": token})
    assert again["id"] == anonymous["id"]
    assert again["cartToken"] is None
    # Another anonymous caller without the token sees no cart.
    assert ok_object(await client.get(f"{API}/cart"))["id"] is None

    buyer = await commerce.buyer()
    await add(client, eur.id, buyer.headers)
    await add(client, second.id, {**buyer.headers, "X-Cart-Token": "x" * 43}, 409)  # EUR cart
    merged = ok_object(
        await client.post(f"{API}/cart/merge", json={"cartToken": token}, headers=buyer.headers)
    )
    # The buyer's cart is in EUR: both USD courses are left out, with the reason.
    assert merged["currency"] == "EUR"
    assert sorted(s["courseId"] for s in merged["skipped"]) == sorted([first.key, second.key])
    assert {s["reason"] for s in merged["skipped"]} == {"currency_mismatch"}
    # The token is spent.
    again_merge = await client.post(
        f"{API}/cart/merge", json={"cartToken": token}, headers=buyer.headers
    )
    assert ok_object(again_merge, 404)["error"]["code"] == "cart_not_found"
    async with db.session() as session:
        statuses = await session.scalar(
            sa.select(Cart.status).where(Cart.id == uuid.UUID(str(anonymous["id"])))
        )
    assert statuses == "merged"


async def test_the_first_authenticated_call_with_a_cart_token_merges_it(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    course = await commerce.paid_course("USD")
    token = str((await add(client, course.id, {}))["cartToken"])
    buyer = await commerce.buyer()
    cart = ok_object(
        await client.get(f"{API}/cart", headers={**buyer.headers, "X-Cart-Token": token})
    )
    assert [i["courseId"] for i in cart["items"]] == [course.key]
    assert cart["skipped"] == []
    # The anonymous cart is gone; the buyer's cart stays theirs.
    assert ok_object(await client.get(f"{API}/cart", headers={"X-Cart-Token": token}))["id"] is None
    assert ok_object(await client.get(f"{API}/cart", headers=buyer.headers))["id"] == cart["id"]


async def test_a_buyer_has_one_open_cart_even_when_first_calls_race(
    client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    answers = await asyncio.gather(
        *(client.post(f"{API}/cart", headers=buyer.headers) for _ in range(5))
    )
    assert {ok(r, 201)["id"] for r in answers} == {ok(answers[0], 201)["id"]}
    async with db.session() as session:
        count = await session.scalar(
            sa.select(sa.func.count()).select_from(Cart).where(Cart.user_id == buyer.id)
        )
    assert count == 1


async def test_clearing_the_cart_empties_it(client: AsyncClient, commerce: CommerceFactory) -> None:
    buyer = await commerce.buyer()
    await add(client, (await commerce.paid_course("EUR")).id, buyer.headers)
    assert (await client.delete(f"{API}/cart", headers=buyer.headers)).status_code == 204
    cart = ok_object(await client.get(f"{API}/cart", headers=buyer.headers))
    assert (cart["items"], cart["currency"], cart["subtotal"]) == ([], None, None)


async def test_a_tier_is_priced_at_the_tier_price_and_an_unknown_tier_is_refused(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    from campus.catalog.schemas.courses import PricingTierIn
    from campus.catalog.schemas.fields import PriceIn

    buyer = await commerce.buyer()
    course = await commerce.paid_course(
        "USD",
        amount="20.00",
        pricing_tiers=[
            PricingTierIn(tier="basic", price=PriceIn(amount="20.00", currency="USD")),
            PricingTierIn(tier="pro", price=PriceIn(amount="45.00", currency="USD")),
        ],
    )
    missing = await client.post(
        f"{API}/cart/items",
        json={"courseId": course.key, "tier": "premium"},
        headers=buyer.headers,
    )
    assert ok_object(missing, 422)["error"]["code"] == "tier_not_available"
    cart = ok_object(
        await client.post(
            f"{API}/cart/items", json={"courseId": course.key, "tier": "pro"}, headers=buyer.headers
        ),
        201,
    )
    assert cart["items"][0]["tier"] == "pro"
    assert cart["items"][0]["price"] == {"amount": "45.00", "currency": "USD"}


async def test_anonymous_carts_untouched_for_thirty_days_are_swept(
    client: AsyncClient, commerce: CommerceFactory, db: Database, frozen_clock: Clock
) -> None:
    from campus.commerce.service import cart as cart_service

    course = await commerce.paid_course("USD")
    token = str((await add(client, course.id, {}))["cartToken"])
    buyer = await commerce.buyer()
    await add(client, course.id, buyer.headers)
    frozen_clock.advance(days=29)
    async with db.session() as session:
        assert await cart_service.sweep_anonymous(session) == 0
    frozen_clock.advance(days=2)
    async with db.session() as session:
        assert await cart_service.sweep_anonymous(session) == 1
    assert ok_object(await client.get(f"{API}/cart", headers={"X-Cart-Token": token}))["id"] is None
    async with db.session() as session:
        left = await session.scalar(sa.select(sa.func.count()).select_from(Cart))
    assert left == 1  # the buyer's own cart stays
