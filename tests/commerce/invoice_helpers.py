"""Helpers of the invoice, ledger, payout and report tests: a paid order written as checkout
and payment leave it (tax and discount per line, the course's instructor on each line), and a
succeeded refund recorded on it; the events they publish are then drained by the test."""

from __future__ import annotations

import base64
import re
import uuid
import zlib
from datetime import timedelta

import sqlalchemy as sa

from campus.commerce.data import OrderRecord
from campus.commerce.models import LedgerEntry
from campus.commerce.repository import orders as orders_repo
from campus.commerce.service import orders
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from tests.commerce.conftest import PaidCourse
from tests.fixtures.identity import AppUser


def line_amounts(unit: int, *, discount: int, rate_bp: int, inclusive: bool) -> tuple[int, int]:
    """(tax, total) of one line, as checkout computes them (half-up rounding)."""
    taxable = unit - discount
    if inclusive:
        tax = (taxable * rate_bp * 2 + (10000 + rate_bp)) // (2 * (10000 + rate_bp))
        return tax, taxable
    tax = (taxable * rate_bp + 5000) // 10000
    return tax, taxable + tax


async def paid_order(
    db: Database,
    buyer: AppUser,
    courses: list[PaidCourse],
    *,
    rate_bp: int = 0,
    discounts: list[int] | None = None,
    country: str = "FR",
    inclusive: bool = False,
    instructor: bool = True,
) -> OrderRecord:
    """A paid order of ``courses`` (one currency): ``OrderPaid`` is in the outbox."""
    order_id = new_id()
    now = utcnow()
    discounts = discounts or [0] * len(courses)
    lines = []
    for index, (course, discount) in enumerate(zip(courses, discounts, strict=True)):
        tax, total = line_amounts(
            course.price_minor, discount=discount, rate_bp=rate_bp, inclusive=inclusive
        )
        lines.append(
            {
                "id": new_id(),
                "order_id": order_id,
                "position": index,
                "course_id": course.id,
                "title": course.title,
                "instructor_id": course.owner.id if instructor else None,
                "unit_price_minor": course.price_minor,
                "discount_minor": discount,
                "tax_minor": tax,
                "tax_rate_bp": rate_bp,
                "total_minor": total,
                "refunded_minor": 0,
            }
        )
    async with db.session() as session:
        await orders_repo.insert_order(
            session,
            {
                "id": order_id,
                "number": f"ORD-TEST-{order_id.hex[-10:].upper()}",
                "user_id": buyer.id,
                "status": "pending",
                "currency": courses[0].currency,
                "subtotal_minor": sum(c.price_minor for c in courses),
                "discount_minor": sum(discounts),
                "tax_minor": sum(line["tax_minor"] for line in lines),
                "total_minor": sum(line["total_minor"] for line in lines),
                "refunded_minor": 0,
                "tax_inclusive": inclusive,
                "billing_name": "Bea Buyer",
                "billing_country": country,
                "billing_address": {"line1": "1 Rue de la Paix", "city": "Paris"},
                "idempotency_key": uuid.uuid4().hex,
                "expires_at": now + timedelta(hours=1),
                "created_at": now,
                "updated_at": now,
            },
        )
        await orders_repo.insert_lines(session, lines)
        paid = await orders.mark_paid(session, order_id)
    assert paid is not None
    return paid


async def refund(db: Database, order_id: uuid.UUID, amount_minor: int) -> uuid.UUID:
    """A succeeded refund of ``amount_minor`` recorded on the order (``OrderRefunded``)."""
    refund_id = new_id()
    async with db.session() as session:
        assert await orders.record_refund(
            session, order_id, refund_id=refund_id, amount_minor=amount_minor
        )
    return refund_id


async def balances(db: Database, currency: str | None = None) -> dict[str, int]:
    """Every account's balance (credits minus debits)."""
    async with db.read_session() as session:
        query = sa.select(
            LedgerEntry.account,
            sa.func.sum(LedgerEntry.credit_minor - LedgerEntry.debit_minor),
        ).group_by(LedgerEntry.account)
        if currency is not None:
            query = query.where(LedgerEntry.currency == currency)
        rows = await session.execute(query)
        return {account: int(total) for account, total in rows}


def pdf_text(pdf: bytes) -> str:
    """The text drawn on a PDF's pages: its content streams, inflated when compressed."""
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\n?endstream", pdf, re.S):
        data = match.group(1)
        if data.rstrip().endswith(b"~>"):  # reportlab's /ASCII85Decode /FlateDecode
            data = zlib.decompress(base64.a85decode(data.strip(), adobe=True))
        chunks.append(data.decode("latin-1"))
    return "\n".join(chunks)
