"""A surplus payment (an order paid twice) is given back without touching the order: also
when the provider settles that refund later, by its webhook."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from campus.commerce.data import WebhookOutcome
from campus.commerce.gateways.port import GatewayRefund, GatewayRefundStatus
from campus.commerce.models import Order, Payment, Refund
from campus.commerce.repository import payments as payments_repo
from campus.commerce.service import orders, refunds
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.kernel.outbox import OutboxMessage
from tests.commerce.conftest import CommerceFactory
from tests.commerce.payment_helpers import place_order


class PendingRefunds:
    """A provider that takes refunds as pending (settled later by its webhook)."""

    name = "sandbox"

    async def refund(
        self, gateway_payment_id: str, *, amount_minor: int, currency: str, **_: Any
    ) -> GatewayRefund:
        return GatewayRefund(
            gateway=self.name,
            gateway_refund_id=f"re_{uuid.uuid4().hex[:12]}",
            gateway_payment_id=gateway_payment_id,
            status=GatewayRefundStatus.PENDING,
            amount_minor=amount_minor,
            currency=currency,
        )


async def succeeded_payment(db: Database, order_id: uuid.UUID, amount: int, currency: str) -> Any:
    now = utcnow()
    values = {
        "id": new_id(),
        "order_id": order_id,
        "gateway": "sandbox",
        "gateway_payment_id": f"pi_{uuid.uuid4().hex[:12]}",
        "status": "succeeded",
        "amount_minor": amount,
        "currency": currency,
        "captured_minor": amount,
        "refunded_minor": 0,
        "created_at": now,
        "updated_at": now,
    }
    async with db.session() as session:
        await payments_repo.insert(session, values)
    return values["id"]


async def test_a_surplus_refund_settled_by_webhook_leaves_the_paid_order_alone(
    commerce: CommerceFactory, db: Database, settings: Settings
) -> None:
    buyer = await commerce.buyer()
    order = await place_order(db, buyer, [await commerce.paid_course("EUR")])
    await succeeded_payment(db, order.id, order.total_minor, order.currency)
    async with db.session() as session:
        assert await orders.mark_paid(session, order.id) is not None
    # The buyer paid the same order a second time: that payment goes back.
    surplus = await succeeded_payment(db, order.id, order.total_minor, order.currency)
    gateway: Any = PendingRefunds()
    async with db.session() as session:
        pending = await refunds.refund_surplus_payment(session, gateway, settings, surplus)
    assert pending is not None
    assert pending.gateway_refund_id is not None
    async with db.session() as session:
        outcome = await refunds.settle_from_gateway(
            session,
            gateway_name="sandbox",
            gateway_refund_id=pending.gateway_refund_id,
            succeeded=True,
            amount_minor=order.total_minor,
            currency=order.currency,
            settings=settings,
        )
    assert outcome == WebhookOutcome.APPLIED
    async with db.read_session() as session:
        stored = await session.get(Order, order.id, populate_existing=True)
        refund = await session.get(Refund, pending.id, populate_existing=True)
        payment = await session.get(Payment, surplus, populate_existing=True)
        assert stored is not None
        assert refund is not None
        assert payment is not None
        # The order keeps its one payment: not refunded, no OrderRefunded, access kept.
        assert (stored.status, stored.refunded_minor) == ("paid", 0)
        assert refund.status == "succeeded"
        assert payment.refunded_minor == order.total_minor
        refunded_events = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.name == "commerce.order_refunded")
        )
    assert refunded_events == 0
