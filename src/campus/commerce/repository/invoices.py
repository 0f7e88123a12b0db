"""Invoice queries: the numbering sequences, invoices and credit notes with their lines."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from campus.commerce.models import Invoice, InvoiceLine, InvoiceSequence, InvoiceTaxLine
from campus.kernel.db import dialect_insert


async def lock_sequence(session: AsyncSession, year: int, kind: str) -> int:
    """Lock the year's sequence row of ``kind`` for the rest of the transaction and return the
    next number. The row is created on first use (insert-or-ignore); the lock is taken by a
    no-op ``UPDATE`` (a row lock on PostgreSQL, the write lock on SQLite), so concurrent
    issuers queue here and each sees the number its predecessor left."""
    await session.execute(
        dialect_insert(session, InvoiceSequence)
        .values(year=year, kind=kind, next_number=1)
        .on_conflict_do_nothing(index_elements=["year", "kind"])
    )
    number = await session.scalar(
        sa.update(InvoiceSequence)
        .where(InvoiceSequence.year == year, InvoiceSequence.kind == kind)
        .values(next_number=InvoiceSequence.next_number)
        .returning(InvoiceSequence.next_number)
    )
    assert number is not None
    return int(number)


async def advance_sequence(session: AsyncSession, year: int, kind: str) -> None:
    """Consume the number ``lock_sequence`` returned (under the same lock)."""
    await session.execute(
        sa.update(InvoiceSequence)
        .where(InvoiceSequence.year == year, InvoiceSequence.kind == kind)
        .values(next_number=InvoiceSequence.next_number + 1)
    )


async def invoice_of_order(session: AsyncSession, order_id: uuid.UUID) -> Invoice | None:
    return await session.scalar(
        sa.select(Invoice).where(Invoice.order_id == order_id, Invoice.kind == "invoice")
    )


async def credit_note_of_refund(session: AsyncSession, refund_id: uuid.UUID) -> Invoice | None:
    return await session.scalar(sa.select(Invoice).where(Invoice.refund_id == refund_id))


async def get(session: AsyncSession, invoice_id: uuid.UUID) -> Invoice | None:
    return await session.scalar(sa.select(Invoice).where(Invoice.id == invoice_id))


async def credited_total(session: AsyncSession, invoice_id: uuid.UUID) -> int:
    """The sum of the credit notes already issued against an invoice."""
    total = await session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Invoice.total_minor), 0)).where(
            Invoice.credited_invoice_id == invoice_id
        )
    )
    return int(total or 0)


async def insert(
    session: AsyncSession,
    invoice: dict[str, Any],
    lines: Sequence[dict[str, Any]],
    tax_lines: Sequence[dict[str, Any]],
) -> None:
    await session.execute(sa.insert(Invoice).values(**invoice))
    if lines:
        await session.execute(sa.insert(InvoiceLine), list(lines))
    if tax_lines:
        await session.execute(sa.insert(InvoiceTaxLine), list(tax_lines))


_Child = TypeVar("_Child", InvoiceLine, InvoiceTaxLine)


async def _children_of(
    session: AsyncSession,
    model: type[_Child],
    invoice_ids: Collection[uuid.UUID],
    order: sa.ColumnElement[Any] | InstrumentedAttribute[Any],
) -> dict[uuid.UUID, list[_Child]]:
    """The rows of ``model`` of each invoice (one query), in ``order``; every id a key."""
    out: dict[uuid.UUID, list[_Child]] = {i: [] for i in invoice_ids}
    if not invoice_ids:
        return out
    rows = await session.scalars(
        sa.select(model)
        .where(model.invoice_id.in_(list(invoice_ids)))
        .order_by(model.invoice_id, order)
    )
    for row in rows:
        out[row.invoice_id].append(row)
    return out


async def lines_of(
    session: AsyncSession, invoice_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[InvoiceLine]]:
    return await _children_of(session, InvoiceLine, invoice_ids, InvoiceLine.position)


async def tax_lines_of(
    session: AsyncSession, invoice_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[InvoiceTaxLine]]:
    return await _children_of(session, InvoiceTaxLine, invoice_ids, InvoiceTaxLine.rate_bp)


async def list_invoices(
    session: AsyncSession,
    *,
    limit: int,
    offset: int,
    user_id: uuid.UUID | None = None,
    kind: str | None = None,
    issued_from: datetime | None = None,
    issued_to: datetime | None = None,
) -> tuple[list[Invoice], int]:
    """Invoices and credit notes, newest first, and their count."""
    where: list[sa.ColumnElement[bool]] = []
    if user_id is not None:
        where.append(Invoice.user_id == user_id)
    if kind is not None:
        where.append(Invoice.kind == kind)
    if issued_from is not None:
        where.append(Invoice.issued_at >= issued_from)
    if issued_to is not None:
        where.append(Invoice.issued_at < issued_to)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Invoice).where(*where))
    rows = await session.scalars(
        sa.select(Invoice)
        .where(*where)
        .order_by(Invoice.issued_at.desc(), Invoice.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def tax_lines_in(
    session: AsyncSession, *, issued_from: datetime, issued_to: datetime
) -> list[tuple[str, str, str, int, datetime, int, int]]:
    """(kind, country, currency, rate_bp, issued_at, taxable, tax) of every tax line of the
    invoices and credit notes issued in the range."""
    rows = await session.execute(
        sa.select(
            Invoice.kind,
            Invoice.buyer_country,
            Invoice.currency,
            InvoiceTaxLine.rate_bp,
            Invoice.issued_at,
            InvoiceTaxLine.taxable_minor,
            InvoiceTaxLine.tax_minor,
        )
        .join(InvoiceTaxLine, InvoiceTaxLine.invoice_id == Invoice.id)
        .where(Invoice.issued_at >= issued_from, Invoice.issued_at < issued_to)
    )
    return [(k, c, cur, int(r), at, int(t), int(x)) for k, c, cur, r, at, t, x in rows]


async def revenue_lines(
    session: AsyncSession,
    *,
    issued_from: datetime,
    issued_to: datetime,
    currency: str | None,
) -> list[tuple[str, str, datetime, uuid.UUID, str, int, int, int, int]]:
    """(kind, currency, issued_at, course_id, title, unit_price, discount, net, tax) of every
    line of the invoices and credit notes issued in the range."""
    where: list[sa.ColumnElement[bool]] = [
        Invoice.issued_at >= issued_from,
        Invoice.issued_at < issued_to,
    ]
    if currency is not None:
        where.append(Invoice.currency == currency)
    rows = await session.execute(
        sa.select(
            Invoice.kind,
            Invoice.currency,
            Invoice.issued_at,
            InvoiceLine.course_id,
            InvoiceLine.title,
            InvoiceLine.unit_price_minor,
            InvoiceLine.discount_minor,
            InvoiceLine.net_minor,
            InvoiceLine.tax_minor,
        )
        .join(InvoiceLine, InvoiceLine.invoice_id == Invoice.id)
        .where(*where)
        .order_by(Invoice.issued_at, InvoiceLine.position)
    )
    return [
        (k, cur, at, course, title, int(u), int(d), int(n), int(t))
        for k, cur, at, course, title, u, d, n, t in rows
    ]
