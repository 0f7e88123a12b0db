"""Money in commerce: no floats in any model or schema, rounding in minor units per currency,
tax inclusive and exclusive, rates chosen by billing country, state and date, and totals that
are always the sum of their lines."""

from __future__ import annotations

import ast
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from httpx import AsyncClient
from pydantic import BaseModel

from campus.catalog.data import PricingTier
from campus.commerce import models
from campus.commerce.data import CouponKind
from campus.commerce.service import checkout
from campus.commerce.service.cart import CartLine
from campus.commerce.service.coupons import CouponRecord
from campus.commerce.service.tax import allocate, divide_half_up, line_tax, rate_for
from campus.kernel.clock import utcnow
from campus.kernel.db import Base, Database
from campus.kernel.money import Money
from tests.commerce.conftest import API, CommerceFactory
from tests.fixtures.catalog import ok_object

COMMERCE = Path(models.__file__).parent
#: Modules that draw documents: their floats are page coordinates in points, not amounts.
LAYOUT = {"invoice_pdf.py", "pdf.py"}


def test_no_commerce_model_column_is_a_float() -> None:
    floats = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        if table.name.startswith("commerce_")
        for column in table.columns
        if isinstance(column.type, sa.Float | sa.Numeric)
    ]
    assert floats == []
    money = [
        f"{table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        if table.name.startswith("commerce_")
        for column in table.columns
        if column.name.endswith("_minor")
    ]
    assert money  # every amount is a whole number of minor units
    assert all(
        isinstance(
            Base.metadata.tables[name.split(".")[0]].c[name.split(".")[1]].type, sa.BigInteger
        )
        for name in money
    )


def test_no_commerce_source_mentions_float() -> None:
    """Models, schemas, services, repositories, DTOs and events: no ``float`` annotation, call
    or ``sa.Float``/``Numeric`` column type (the gateways' network timeouts and the invoice
    PDF's page coordinates are not money)."""
    found = []
    paths = [COMMERCE / "models.py", COMMERCE / "data.py", COMMERCE / "events.py"]
    for folder in ("schemas", "service", "repository"):
        paths.extend(p for p in (COMMERCE / folder).glob("*.py") if p.name not in LAYOUT)
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            name = (
                node.id
                if isinstance(node, ast.Name)
                else node.attr
                if isinstance(node, ast.Attribute)
                else None
            )
            if name in {"float", "Float", "Numeric", "DOUBLE", "REAL"}:
                found.append(f"{path.relative_to(COMMERCE)}:{getattr(node, 'lineno', 0)}")
    assert found == []


def test_no_wire_model_field_is_a_float() -> None:
    import campus.commerce.schemas as schemas_package

    floats = []
    for path in Path(schemas_package.__file__).parent.glob("*.py"):
        module = __import__(f"campus.commerce.schemas.{path.stem}", fromlist=["_"])
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseModel):
                for name, field in value.model_fields.items():
                    if "float" in str(field.annotation):
                        floats.append(f"{value.__name__}.{name}")
    assert floats == []


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(5, 10, 1), (4, 10, 0), (15, 10, 2), (25, 10, 3), (0, 7, 0), (6669, 1000, 7)],
)
def test_division_rounds_half_up_in_whole_minor_units(
    numerator: int, denominator: int, expected: int
) -> None:
    assert divide_half_up(numerator, denominator) == expected


def test_tax_is_added_or_extracted_per_line() -> None:
    # 19 % on 35.10 EUR: 6.669 -> 6.67 added.
    exclusive = line_tax(3510, 1900, inclusive=False)
    assert (exclusive.tax_minor, exclusive.total_minor) == (667, 4177)
    # 10 % included in 5,000 JPY: 454.5 -> 455 yen of tax, the price does not move.
    inclusive = line_tax(5000, 1000, inclusive=True)
    assert (inclusive.tax_minor, inclusive.total_minor) == (455, 5000)
    # 10 % on 5,001 JPY: 500.1 -> 500 yen (JPY has no minor digits: whole yen).
    assert line_tax(5001, 1000, inclusive=False).tax_minor == 500


@pytest.mark.parametrize(
    ("amount", "weights"),
    [(3, [1, 1, 1]), (1, [3, 3, 3]), (1000, [4999, 1, 3900]), (7, [0, 5, 5]), (0, [10, 20])],
)
def test_allocation_always_sums_and_stays_within_each_line(amount: int, weights: list[int]) -> None:
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    assert all(0 <= p <= w for p, w in zip(parts, weights, strict=True))
    assert allocate(amount, weights) == parts  # deterministic


def test_remainders_go_to_the_earlier_lines_first() -> None:
    assert allocate(10, [10, 10, 10]) == [4, 3, 3]
    assert allocate(2, [1, 1, 1]) == [1, 1, 0]


def _line(price: int, currency: str) -> CartLine:
    return CartLine(
        course_id=uuid.uuid4(),
        tier=PricingTier.BASIC,
        title="Course",
        price=Money(price, currency),
        instructor_id=None,
        category_id=None,
        instructor_ids=(),
    )


def _coupon(**fields: object) -> CouponRecord:
    now = utcnow()
    base: dict[str, object] = {
        "id": uuid.uuid4(),
        "code": "X",
        "description": None,
        "kind": CouponKind.PERCENT,
        "percent_bp": 1000,
        "amount_off_minor": None,
        "currency": None,
        "min_order_minor": None,
        "starts_at": now,
        "ends_at": None,
        "usage_limit": None,
        "used_count": 0,
        "per_user_limit": 1,
        "course_ids": (),
        "category_ids": (),
        "instructor_ids": (),
        "first_purchase_only": False,
        "stackable": False,
        "owner_id": None,
        "active": True,
        "created_by": uuid.uuid4(),
        "created_at": now,
        "updated_at": now,
    }
    return CouponRecord(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize("inclusive", [False, True])
@pytest.mark.parametrize(
    ("currency", "prices", "coupon"),
    [
        ("JPY", [5000, 3333, 1], _coupon(percent_bp=1500)),
        (
            "USD",
            [4999, 1, 1999],
            _coupon(kind=CouponKind.FIXED, percent_bp=None, amount_off_minor=1001, currency="USD"),
        ),
        ("KWD", [12345, 10], _coupon(percent_bp=3333)),
        ("EUR", [3900], None),
    ],
)
def test_order_totals_are_the_sum_of_their_lines(
    currency: str, prices: list[int], coupon: CouponRecord | None, inclusive: bool
) -> None:
    from campus.commerce.data import TaxType
    from campus.commerce.service.tax import TaxRateRecord

    rate = TaxRateRecord(
        uuid.uuid4(), "DE", None, "VAT", TaxType.VAT, 1900, utcnow(), None, utcnow()
    )
    lines = checkout.price_lines(
        [_line(p, currency) for p in prices], currency, coupon, rate, inclusive=inclusive
    )
    for line in lines:
        net = line.unit_price_minor - line.discount_minor
        assert net >= 0
        expected = net if inclusive else net + line.tax_minor
        assert line.total_minor == expected
    assert sum(line.unit_price_minor for line in lines) == sum(prices)
    if coupon is not None and coupon.kind is CouponKind.FIXED:
        assert sum(line.discount_minor for line in lines) == 1001


async def test_the_rate_follows_country_state_and_date(
    commerce: CommerceFactory, db: Database
) -> None:
    now = utcnow()
    await commerce.tax_rate(
        "DE", 1600, valid_from=now - timedelta(days=400), valid_to=now - timedelta(days=30)
    )
    await commerce.tax_rate("DE", 1900, valid_from=now - timedelta(days=30))
    await commerce.tax_rate("US", 725, state="CA", type="sales_tax")
    async with db.session() as session:
        de = await rate_for(session, "de", None, now)
        de_before = await rate_for(session, "DE", None, now - timedelta(days=60))
        ca = await rate_for(session, "US", "ca", now)
        ny = await rate_for(session, "US", "NY", now)
        fr = await rate_for(session, "FR", None, now)
    assert de is not None
    assert de.rate_bp == 1900
    assert de_before is not None
    assert de_before.rate_bp == 1600
    assert ca is not None
    assert ca.rate_bp == 725
    assert (ny, fr) == (None, None)


async def test_a_jpy_cart_is_taxed_in_whole_yen(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    buyer = await commerce.buyer()
    await commerce.tax_rate("JP", 1000, type="vat")
    course = await commerce.paid_course("JPY", amount="3333")
    await client.post(f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers)
    quote = ok_object(
        await client.post(
            f"{API}/checkout/quote",
            json={"billingName": "Ken", "billingCountry": "JP"},
            headers=buyer.headers,
        )
    )
    assert quote["tax"] == {"amount": "333", "currency": "JPY"}
    assert quote["total"] == {"amount": "3666", "currency": "JPY"}
    assert quote["taxRateBp"] == 1000
