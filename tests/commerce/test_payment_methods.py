"""Saved payment methods: a buyer sees only theirs (another's is a 404), chooses the default
(one at a time), removes one (the gateway forgets it: it can no longer pay); only tokens and
display data are stored."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.gateways import build_gateway
from campus.commerce.gateways.port import GatewayError, PaymentRequest
from campus.commerce.models import PaymentMethod
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import SUCCESS, Browser, place_order, start
from tests.fixtures.catalog import ok
from tests.fixtures.identity import AppUser

URL = f"{API}/payment-methods"


@pytest.fixture
def app(served_app: FastAPI) -> FastAPI:
    return served_app


async def add_method(db: Database, user: AppUser, last4: str, *, default: bool) -> uuid.UUID:
    method_id = uuid.uuid4()
    async with db.session() as session:
        session.add(
            PaymentMethod(
                id=method_id,
                user_id=user.id,
                gateway="sandbox",
                token=f"pm_{uuid.uuid4().hex[:24]}",
                brand="visa",
                last4=last4,
                exp_month=12,
                exp_year=2030,
                is_default=default,
                created_at=utcnow() + timedelta(seconds=int(last4)),
            )
        )
    return method_id


async def test_buyers_list_only_their_own_methods_and_choose_one_default(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer, other = await commerce.buyer(), await commerce.buyer("Oz")
    first = await add_method(db, buyer, "1111", default=True)
    second = await add_method(db, buyer, "2222", default=False)
    foreign = await add_method(db, other, "3333", default=True)

    listed = ok(await client.get(URL, headers=buyer.headers))
    assert [(m["last4"], m["isDefault"]) for m in listed["items"]] == [
        ("1111", True),
        ("2222", False),
    ]
    assert listed["total"] == 2
    assert "token" not in str(listed)

    chosen = ok(await client.post(f"{URL}/{second}/default", headers=buyer.headers))
    assert chosen["isDefault"] is True
    listed = ok(await client.get(URL, headers=buyer.headers))
    assert [(m["id"], m["isDefault"]) for m in listed["items"]] == [
        (str(second), True),
        (str(first), False),
    ]
    for response in (
        await client.post(f"{URL}/{foreign}/default", headers=buyer.headers),
        await client.delete(f"{URL}/{foreign}", headers=buyer.headers),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "payment_method_not_found"
    assert (await client.get(URL)).status_code == 401


async def test_removing_the_default_promotes_the_newest_remaining(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, db: Database
) -> None:
    buyer = await commerce.buyer()
    old = await add_method(db, buyer, "1111", default=False)
    newer = await add_method(db, buyer, "2222", default=False)
    default = await add_method(db, buyer, "3333", default=True)
    assert (await client.delete(f"{URL}/{default}", headers=buyer.headers)).status_code == 204
    listed = ok(await client.get(URL, headers=buyer.headers))
    assert [(m["id"], m["isDefault"]) for m in listed["items"]] == [
        (str(newer), True),
        (str(old), False),
    ]


async def test_a_removed_card_is_forgotten_by_the_gateway_and_cannot_pay(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer = await commerce.buyer()
    first = await place_order(db, buyer, [await commerce.paid_course()])
    await Browser(client).pay(await start(app, first, save=True), SUCCESS)
    await relay.drain()
    (method,) = ok(await client.get(URL, headers=buyer.headers))["items"]
    async with db.read_session() as session:
        token = await session.scalar(sa.select(PaymentMethod.token))
    assert token is not None
    assert (await client.delete(f"{URL}/{method['id']}", headers=buyer.headers)).status_code == 204
    async with db.read_session() as session:
        left = await session.scalar(sa.select(sa.func.count()).select_from(PaymentMethod))
    assert left == 0
    gateway = build_gateway(app.state.settings, db)
    with pytest.raises(GatewayError):
        await gateway.create_payment(
            PaymentRequest(
                order_id=str(uuid.uuid4()),
                amount_minor=100,
                currency="USD",
                description="after removal",
                idempotency_key=uuid.uuid4().hex,
                return_url="http://127.0.0.1/return",
                cancel_url="http://127.0.0.1/cancel",
                buyer_email="bea@example.com",
                payment_method_token=token,
            )
        )
    second = await place_order(db, buyer, [await commerce.paid_course()])
    payment = await start(app, second)  # a new card still pays
    assert payment.status == "requires_payment_method"
