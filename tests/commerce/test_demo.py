"""The commerce demo data: tax rates, the three kinds of coupon, and orders the demo students
placed through checkout (free ones paid at once, one waiting for its payment)."""

from __future__ import annotations

import sqlalchemy as sa

from campus.commerce.models import Coupon, Order, TaxRate
from campus.config import Settings
from campus.kernel.db import Database
from campus.seed import seed_demo


async def test_the_demo_has_tax_rates_coupons_and_orders(settings: Settings, db: Database) -> None:
    await seed_demo(settings)
    await seed_demo(settings)  # idempotent
    async with db.read_session() as session:
        rates = {(r.country, r.state): r.rate_bp for r in await session.scalars(sa.select(TaxRate))}
        coupons = {
            c.code: (c.kind, c.ends_at is not None, c.used_count)
            for c in await session.scalars(sa.select(Coupon))
        }
        statuses = sorted(
            (o.currency, o.status, o.total_minor) for o in await session.scalars(sa.select(Order))
        )
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
