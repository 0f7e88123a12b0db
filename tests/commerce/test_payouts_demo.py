"""The demo data of invoices and payouts: last month's payout period computed once, an
instructor's revenue share override, and an invoice for each paid demo order."""

from __future__ import annotations

import sqlalchemy as sa

from campus.commerce.models import Invoice, Order, PayoutPeriod, RevenueShare
from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.seed import seed_demo


async def test_the_demo_has_last_month_s_payout_period_and_invoices_for_paid_orders(
    settings: Settings, db: Database, relay: Relay
) -> None:
    await seed_demo(settings)
    await seed_demo(settings)  # idempotent
    await relay.drain()
    async with db.read_session() as session:
        periods = list(await session.scalars(sa.select(PayoutPeriod)))
        shares = list(await session.scalars(sa.select(RevenueShare)))
        paid = set(await session.scalars(sa.select(Order.id).where(Order.status == "paid")))
        invoiced = set(await session.scalars(sa.select(Invoice.order_id)))
        assert len(periods) == 1
        assert periods[0].computed_at is not None
        assert [(s.scope, s.platform_share_bp) for s in shares] == [("instructor", 2500)]
    assert paid
    assert invoiced == paid
