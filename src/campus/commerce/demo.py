"""Commerce demo data (development only): tax rates for a few countries, three coupons (a
percent one, a fixed one in EUR, an expired one) and a few orders placed through checkout by
the demo students: free orders paid with the 100 % gift coupon (no gateway needed) and one
order waiting for its payment on the sandbox's hosted page. Idempotent: nothing happens
when the coupons exist already."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.commerce.data import OrderRecord, PaymentRecord
from campus.commerce.gateways import build_gateway
from campus.commerce.models import Coupon, TaxRate
from campus.commerce.repository import coupons as coupons_repo
from campus.commerce.service import cart, checkout, payments, payouts
from campus.config import Settings
from campus.identity.data import INSTRUCTOR, STUDENT
from campus.kernel.auth import Principal
from campus.kernel.ids import new_id
from campus.kernel.module import SeedState

SINCE = datetime(2020, 1, 1, tzinfo=UTC)

#: (country, state, name, type, rate in basis points)
TAX_RATES = (
    ("DE", None, "Umsatzsteuer", "vat", 1900),
    ("FR", None, "TVA", "vat", 2000),
    ("GB", None, "VAT", "vat", 2000),
    ("US", "CA", "California sales tax", "sales_tax", 725),
    ("AU", None, "GST", "gst", 1000),
    ("JP", None, "Consumption tax", "vat", 1000),
)

GIFT_CODE = "CAMPUSGIFT"

#: (student, course slug, coupon code or None, billing country, billing state)
ORDERS = (
    ("lucas@campus.example", "modern-javascript", GIFT_CODE, "GB", None),
    ("amara@campus.example", "algorithms-and-complexity", GIFT_CODE, "JP", None),
    ("priya@campus.example", "typografie-fur-einsteiger", "SAVE5EUR", "DE", None),
)


def _coupons(admin_id: uuid.UUID) -> list[Coupon]:
    common = {"created_by": admin_id, "used_count": 0, "active": True}
    empty: dict[str, list[str]] = {"course_ids": [], "category_ids": [], "instructor_ids": []}
    return [
        Coupon(
            id=new_id(),
            code="WELCOME10",
            description="10 % off a first purchase",
            kind="percent",
            percent_bp=1000,
            starts_at=SINCE,
            usage_limit=1000,
            per_user_limit=1,
            first_purchase_only=True,
            **common,
            **empty,
        ),
        Coupon(
            id=new_id(),
            code="SAVE5EUR",
            description="5 € off orders of 10 € or more",
            kind="fixed",
            amount_off_minor=500,
            currency="EUR",
            min_order_minor=1000,
            starts_at=SINCE,
            per_user_limit=1,
            **common,
            **empty,
        ),
        Coupon(
            id=new_id(),
            code="SUMMER2025",
            description="Summer sale (over)",
            kind="percent",
            percent_bp=2500,
            starts_at=datetime(2025, 6, 1, tzinfo=UTC),
            ends_at=datetime(2025, 9, 1, tzinfo=UTC),
            per_user_limit=1,
            **common,
            **empty,
        ),
        Coupon(
            id=new_id(),
            code=GIFT_CODE,
            description="A course offered by Campus (100 % off)",
            kind="percent",
            percent_bp=10_000,
            starts_at=SINCE,
            usage_limit=50,
            per_user_limit=1,
            **common,
            **empty,
        ),
    ]


def _payment_starter(settings: Settings) -> checkout.StartPayment:
    """Starts a pending demo order's payment on the deployment's gateway (the sandbox by
    default): its buyer pays it on the hosted page, with a test card."""
    gateway = build_gateway(settings)

    async def start(session: AsyncSession, order: OrderRecord, email: str) -> PaymentRecord:
        back = payments.return_url_for(settings, order.id)
        return await payments.start_payment(
            session,
            settings,
            gateway,
            order=order,
            buyer_email=email,
            payment_method_id=None,
            save_payment_method=False,
            return_url=back,
            cancel_url=back + "?cancelled=1",
            attempt=1,  # the order was created in this transaction: its first payment
        )

    return start


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """Tax rates, coupons and the demo students' orders (once); the last month's payouts."""
    instructors = [state.user_ids.get(a.email) for a in state.accounts if a.role == INSTRUCTOR]
    await payouts.seed_demo(session, settings, [i for i in instructors if i is not None])
    admin_id = state.user_ids.get("admin@campus.example")
    if admin_id is None or await coupons_repo.get_by_code(session, GIFT_CODE) is not None:
        return
    for country, region, name, kind, rate_bp in TAX_RATES:
        session.add(
            TaxRate(
                id=new_id(),
                country=country,
                state=region,
                name=name,
                type=kind,
                rate_bp=rate_bp,
                valid_from=SINCE,
            )
        )
    session.add_all(_coupons(admin_id))
    await session.flush()
    start = _payment_starter(settings)
    slugs = await catalog.find_course_ids_by_slugs(session, {slug for _, slug, *_ in ORDERS})
    for email, slug, code, country, region in ORDERS:
        user_id, course_id = state.user_ids.get(email), slugs.get(slug)
        if user_id is None or course_id is None:
            continue
        buyer = Principal(user_id, frozenset({STUDENT}))
        await cart.add_item(session, buyer, None, course_id, None)
        await checkout.checkout(
            session,
            buyer,
            settings,
            idempotency_key=f"demo-{slug}",
            billing=checkout.Billing(
                name=email.split("@")[0].title(), country=country, state=region, address={}
            ),
            coupon_code=code,
            start_payment=start,
        )
