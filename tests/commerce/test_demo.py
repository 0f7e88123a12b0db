"""The commerce demo data, seeded once for every assertion about it (the whole demo is slow to
seed): tax rates, the three kinds of coupon, orders the demo students placed through checkout
(free ones paid at once, one waiting for its payment), an invoice for each paid order, last
month's payout period computed once and an instructor's revenue share override."""

from __future__ import annotations

import sqlalchemy as sa

from campus.commerce.models import Coupon, Invoice, Order, PayoutPeriod, RevenueShare, TaxRate
from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.seed import seed_demo


async def test_the_demo_has_tax_rates_coupons_orders_invoices_and_a_payout_period(
    settings: Settings, db: Database, relay: Relay
) -> None:
    await seed_demo(settings)
    await seed_demo(settings)  # idempotent
    await relay.drain()
    async with db.read_session() as session:
        rates = {(r.country, r.state): r.rate_bp for r in await session.scalars(sa.select(TaxRate))}
        coupons = {
            c.code: (c.kind, c.ends_at is not None, c.used_count)
            for c in await session.scalars(sa.select(Coupon))
        }
        statuses = sorted(
            (o.currency, o.status, o.total_minor) for o in await session.scalars(sa.select(Order))
        )
        computed = [p.computed_at for p in await session.scalars(sa.select(PayoutPeriod))]
        shares = [
            (s.scope, s.platform_share_bp) for s in await session.scalars(sa.select(RevenueShare))
        ]
        paid = set(await session.scalars(sa.select(Order.id).where(Order.status == "paid")))
        invoiced = set(await session.scalars(sa.select(Invoice.order_id)))
    assert rates[("DE", None)] == 1900
    assert rates[("US", "CA")] == 725
    assert rates[("JP", None)] == 1000
    assert len(rates) == 6
    assert coupons["WELCOME10"][0] == "percent"
    assert coupons["SAVE5EUR"][0] == "fixed"
    assert coupons["SUMMER2025"][1] is True  # expired
    # Two gift orders paid at once; 14.00 EUR - 5.00 + 19 % VAT waits for its payment.
    assert statuses == [("EUR", "pending", 1071), ("JPY", "paid", 0), ("USD", "paid", 0)]
    assert coupons["CAMPUSGIFT"][2] == 2
    # Every paid order has its invoice; last month's payout period is computed once.
    assert paid
    assert invoiced == paid
    assert len(computed) == 1
    assert computed[0] is not None
    assert shares == [("instructor", 2500)]
