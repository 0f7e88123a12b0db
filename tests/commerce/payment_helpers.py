"""Helpers of the payments tests: an order placed for a buyer (straight into its tables, as
checkout leaves it), its payment started through ``start_payment``, and the hosted pages driven
like a browser (form token read from the page, form posted, redirects followed by hand)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response

from campus.commerce.data import OrderRecord, PaymentRecord
from campus.commerce.gateways import build_gateway
from campus.commerce.models import Order, OrderLine, Payment, WebhookEventRecord
from campus.commerce.repository import orders as orders_repo
from campus.commerce.service import orders, payments
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from campus.learning.models import Entitlement
from tests.commerce.conftest import PaidCourse
from tests.fixtures.identity import AppUser

SUCCESS = "4242424242424242"
DECLINE = "4000000000000002"
NO_FUNDS = "4000000000009995"
THREE_DS = "4000002500003155"
ASYNC = "4000000000000077"


async def place_order(db: Database, buyer: AppUser, courses: list[PaidCourse]) -> OrderRecord:
    """A pending order of ``courses`` (one currency), as checkout writes it."""
    order_id = new_id()
    now = utcnow()
    currency = courses[0].currency
    total = sum(c.price_minor for c in courses)
    async with db.session() as session:
        await orders_repo.insert_order(
            session,
            {
                "id": order_id,
                "number": f"ORD-TEST-{order_id.hex[-10:].upper()}",
                "user_id": buyer.id,
                "status": "pending",
                "currency": currency,
                "subtotal_minor": total,
                "discount_minor": 0,
                "tax_minor": 0,
                "total_minor": total,
                "refunded_minor": 0,
                "tax_inclusive": False,
                "billing_name": "Bea Buyer",
                "billing_country": "FR",
                "billing_address": {},
                "idempotency_key": uuid.uuid4().hex,
                "expires_at": now + timedelta(hours=1),
                "created_at": now,
                "updated_at": now,
            },
        )
        await orders_repo.insert_lines(
            session,
            [
                {
                    "id": new_id(),
                    "order_id": order_id,
                    "position": index,
                    "course_id": course.id,
                    "title": course.title,
                    "unit_price_minor": course.price_minor,
                    "discount_minor": 0,
                    "tax_minor": 0,
                    "tax_rate_bp": 0,
                    "total_minor": course.price_minor,
                    "refunded_minor": 0,
                }
                for index, course in enumerate(courses)
            ],
        )
        found = await orders.load(session, order_id)
    assert found is not None
    return found


async def start(
    app: FastAPI,
    order: OrderRecord,
    *,
    save: bool = False,
    payment_method_id: uuid.UUID | None = None,
) -> PaymentRecord:
    settings = app.state.settings
    async with app.state.db.session() as session:
        return await payments.start_payment(
            session,
            settings,
            build_gateway(settings, app.state.db),
            order=order,
            buyer_email="bea@example.com",
            payment_method_id=payment_method_id,
            save_payment_method=save,
            return_url=payments.return_url_for(settings, order.id),
            cancel_url=f"{settings.base_url}/cart",
        )


def path_of(url: str) -> str:
    """The path and query of an absolute URL (the test client talks to the app directly)."""
    return re.sub(r"^https?://[^/]+", "", url)


_TOKEN = re.compile(r'name="formToken" value="([0-9a-f]+)"')


def form_token_in(page: Response) -> str:
    found = _TOKEN.search(page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


@dataclass
class Browser:
    """The buyer's browser on the sandbox's pages."""

    client: AsyncClient

    async def pay(
        self, payment: PaymentRecord, card: str, *, exp: tuple[str, str] = ("12", "2030")
    ) -> Response:
        assert payment.next_action_url is not None
        page = await self.client.get(path_of(payment.next_action_url))
        assert page.status_code == 200, page.text[:300]
        return await self.client.post(
            path_of(payment.next_action_url),
            data={
                "formToken": form_token_in(page),
                "cardNumber": card,
                "expMonth": exp[0],
                "expYear": exp[1],
                "cvc": "123",
            },
        )

    async def pay_saved(self, payment: PaymentRecord) -> Response:
        assert payment.next_action_url is not None
        page = await self.client.get(path_of(payment.next_action_url))
        return await self.client.post(
            path_of(payment.next_action_url),
            data={"formToken": form_token_in(page), "useSaved": "1"},
        )

    async def authenticate(self, challenge_url: str, outcome: str = "complete") -> Response:
        page = await self.client.get(challenge_url)
        assert page.status_code == 200, page.text[:300]
        return await self.client.post(
            challenge_url, data={"formToken": form_token_in(page), "outcome": outcome}
        )


async def snapshot(db: Database, order_id: uuid.UUID) -> dict[str, Any]:
    """What a payment left behind: the order, its payments, entitlements, events and webhook
    records (for "nothing changed" comparisons)."""
    async with db.read_session() as session:
        order = await session.get(Order, order_id, populate_existing=True)
        assert order is not None
        rows = (await session.scalars(sa.select(Payment).where(Payment.order_id == order_id))).all()
        lines = (
            await session.scalars(
                sa.select(OrderLine.course_id).where(OrderLine.order_id == order_id)
            )
        ).all()
        entitlements = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Entitlement)
            .where(Entitlement.reference == str(order_id))
        )
        events = (
            await session.execute(
                sa.select(OutboxMessage.name, sa.func.count())
                .where(OutboxMessage.kind == "event")
                .group_by(OutboxMessage.name)
            )
        ).all()
        webhooks = await session.scalar(sa.select(sa.func.count()).select_from(WebhookEventRecord))
        return {
            "status": order.status,
            "paid_at": order.paid_at,
            "fulfilled_at": order.fulfilled_at,
            "refunded_minor": order.refunded_minor,
            "payments": sorted((p.status, p.captured_minor, p.refunded_minor) for p in rows),
            "courses": len(lines),
            "entitlements": int(entitlements or 0),
            "events": {name: int(n) for name, n in events},
            "webhooks": int(webhooks or 0),
        }


async def paid_order(
    app: FastAPI,
    client: AsyncClient,
    relay: Relay,
    buyer: AppUser,
    courses: list[PaidCourse],
) -> OrderRecord:
    """An order paid with the success card on the hosted page, its webhook applied and the
    order fulfilled (needs the app served over HTTP: ``served_app``)."""
    db: Database = app.state.db
    order = await place_order(db, buyer, courses)
    paid = await Browser(client).pay(await start(app, order), SUCCESS)
    assert paid.status_code == 303, paid.text[:300]
    await relay.drain()
    async with db.read_session() as session:
        found = await orders.load(session, order.id)
    assert found is not None
    assert found.status == "paid"
    assert found.fulfilled_at is not None
    return found
