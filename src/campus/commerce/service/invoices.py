"""Invoices and credit notes.

Every paid order gets one invoice (``INV-<year>-<6 digits>``) and every succeeded refund one
credit note (``CN-<year>-<6 digits>``), numbered per year without gaps: the number is taken
under the year's sequence row lock inside the issuing transaction, so concurrent issuers queue
and a rolled-back issue gives its number back. The same transaction posts the ledger (the
sale, or the refund's reversal), so an invoice and its postings exist together or not at all.
Both handlers tolerate running twice (the invoice of an order, the credit note of a refund,
is looked up under the lock before anything is written)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import ORDER_VIEW_ANY, OrderRecord
from campus.commerce.events import OrderPaid, OrderRefunded
from campus.commerce.exceptions import InvoiceNotFound
from campus.commerce.models import Invoice, InvoiceLine, InvoiceTaxLine
from campus.commerce.repository import invoices as repo
from campus.commerce.service import ledger, orders
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger

log = get_logger("campus.commerce.invoices")

INVOICE = "invoice"
CREDIT_NOTE = "credit_note"
PREFIXES = {INVOICE: "INV", CREDIT_NOTE: "CN"}


# --------------------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class InvoiceLineRecord:
    course_id: uuid.UUID
    title: str
    unit_price_minor: int
    discount_minor: int
    net_minor: int
    tax_rate_bp: int
    tax_minor: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class TaxLineRecord:
    rate_bp: int
    taxable_minor: int
    tax_minor: int


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    """An invoice or credit note as issued (amounts in minor units of ``currency``)."""

    id: uuid.UUID
    number: str
    kind: str
    order_id: uuid.UUID
    order_number: str
    refund_id: uuid.UUID | None
    credited_invoice_id: uuid.UUID | None
    user_id: uuid.UUID
    seller_name: str
    seller_address: str
    seller_tax_id: str
    buyer_name: str
    buyer_country: str
    buyer_state: str | None
    buyer_address: dict[str, Any]
    currency: str
    tax_inclusive: bool
    subtotal_minor: int
    discount_minor: int
    net_minor: int
    tax_minor: int
    total_minor: int
    issued_at: datetime
    lines: tuple[InvoiceLineRecord, ...]
    tax_lines: tuple[TaxLineRecord, ...]


def format_number(kind: str, year: int, sequence: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{sequence:06d}"


def record_of(
    row: Invoice, lines: Sequence[InvoiceLine], tax_lines: Sequence[InvoiceTaxLine]
) -> InvoiceRecord:
    return InvoiceRecord(
        id=row.id,
        number=row.number,
        kind=row.kind,
        order_id=row.order_id,
        order_number=row.order_number,
        refund_id=row.refund_id,
        credited_invoice_id=row.credited_invoice_id,
        user_id=row.user_id,
        seller_name=row.seller_name,
        seller_address=row.seller_address,
        seller_tax_id=row.seller_tax_id,
        buyer_name=row.buyer_name,
        buyer_country=row.buyer_country,
        buyer_state=row.buyer_state,
        buyer_address=dict(row.buyer_address or {}),
        currency=row.currency,
        tax_inclusive=row.tax_inclusive,
        subtotal_minor=row.subtotal_minor,
        discount_minor=row.discount_minor,
        net_minor=row.net_minor,
        tax_minor=row.tax_minor,
        total_minor=row.total_minor,
        issued_at=row.issued_at,
        lines=tuple(
            InvoiceLineRecord(
                course_id=line.course_id,
                title=line.title,
                unit_price_minor=line.unit_price_minor,
                discount_minor=line.discount_minor,
                net_minor=line.net_minor,
                tax_rate_bp=line.tax_rate_bp,
                tax_minor=line.tax_minor,
                total_minor=line.total_minor,
            )
            for line in lines
        ),
        tax_lines=tuple(
            TaxLineRecord(rate_bp=t.rate_bp, taxable_minor=t.taxable_minor, tax_minor=t.tax_minor)
            for t in tax_lines
        ),
    )


async def records(session: AsyncSession, rows: Sequence[Invoice]) -> list[InvoiceRecord]:
    ids = [row.id for row in rows]
    lines = await repo.lines_of(session, ids)
    taxes = await repo.tax_lines_of(session, ids)
    return [record_of(row, lines[row.id], taxes[row.id]) for row in rows]


# --------------------------------------------------------------------------- issuing


def _tax_lines(invoice_id: uuid.UUID, lines: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    by_rate: dict[int, list[int]] = {}
    for line in lines:
        if line["tax_rate_bp"] == 0 and line["tax_minor"] == 0:
            continue
        sums = by_rate.setdefault(line["tax_rate_bp"], [0, 0])
        sums[0] += line["net_minor"]
        sums[1] += line["tax_minor"]
    return [
        {
            "id": new_id(),
            "invoice_id": invoice_id,
            "rate_bp": rate,
            "taxable_minor": taxable,
            "tax_minor": tax,
        }
        for rate, (taxable, tax) in sorted(by_rate.items())
    ]


def _header(
    settings: Settings, order: OrderRecord, *, kind: str, year: int, sequence: int, now: datetime
) -> dict[str, Any]:
    seller = CommerceSettings.of(settings)
    return {
        "id": new_id(),
        "number": format_number(kind, year, sequence),
        "kind": kind,
        "year": year,
        "sequence": sequence,
        "order_id": order.id,
        "order_number": order.number,
        "user_id": order.user_id,
        "seller_name": seller.seller_name,
        "seller_address": seller.seller_address,
        "seller_tax_id": seller.seller_tax_id,
        "buyer_name": order.billing_name,
        "buyer_country": order.billing_country,
        "buyer_state": order.billing_state,
        "buyer_address": dict(order.billing_address),
        "currency": order.currency,
        "tax_inclusive": order.tax_inclusive,
        "issued_at": now,
    }


async def _invoice_locked(
    session: AsyncSession, settings: Settings, order: OrderRecord, now: datetime
) -> Invoice:
    """The order's invoice, issued now (with its sale posting) unless it exists. The caller
    holds the year's invoice sequence lock."""
    existing = await repo.invoice_of_order(session, order.id)
    if existing is not None:
        return existing
    year = now.year
    sequence = await repo.lock_sequence(session, year, INVOICE)
    existing = await repo.invoice_of_order(session, order.id)
    if existing is not None:  # issued by a racing handler while we queued for the lock
        return existing
    header = _header(settings, order, kind=INVOICE, year=year, sequence=sequence, now=now)
    lines = [
        {
            "id": new_id(),
            "invoice_id": header["id"],
            "position": index,
            "order_line_id": line.id,
            "course_id": line.course_id,
            "instructor_id": line.instructor_id,
            "title": line.title,
            "unit_price_minor": line.unit_price_minor,
            "discount_minor": line.discount_minor,
            "net_minor": line.total_minor - line.tax_minor,
            "tax_rate_bp": line.tax_rate_bp,
            "tax_minor": line.tax_minor,
            "total_minor": line.total_minor,
        }
        for index, line in enumerate(order.lines)
    ]
    header |= {
        "subtotal_minor": order.subtotal_minor,
        "discount_minor": order.discount_minor,
        "net_minor": order.total_minor - order.tax_minor,
        "tax_minor": order.tax_minor,
        "total_minor": order.total_minor,
    }
    await repo.insert(session, header, lines, _tax_lines(header["id"], lines))
    await repo.advance_sequence(session, year, INVOICE)
    await ledger.post_sale(session, settings, order, now=now)
    log.info("invoice_issued", order_id=str(order.id), number=header["number"])
    row = await repo.get(session, header["id"])
    assert row is not None
    return row


async def issue_invoice(
    session: AsyncSession, settings: Settings, order_id: uuid.UUID
) -> InvoiceRecord | None:
    """The invoice of a paid order, issued once (the ``OrderPaid`` handler); None when the
    order does not exist."""
    order = await orders.load(session, order_id)
    if order is None or order.paid_at is None:
        log.warning("invoice_skipped", order_id=str(order_id), reason="not paid")
        return None
    row = await _invoice_locked(session, settings, order, utcnow())
    return (await records(session, [row]))[0]


async def issue_credit_note(
    session: AsyncSession,
    settings: Settings,
    *,
    order_id: uuid.UUID,
    refund_id: uuid.UUID,
    amount_minor: int,
) -> InvoiceRecord | None:
    """The credit note of one succeeded refund, issued once (the ``OrderRefunded`` handler),
    with the ledger's reversal. Its lines are the refund allocated over the invoice's lines
    (see ``ledger``): the credit notes of an order never exceed its invoice, and those of a
    full refund add up to it exactly."""
    order = await orders.load(session, order_id)
    if order is None:
        return None
    now = utcnow()
    existing = await repo.credit_note_of_refund(session, refund_id)
    if existing is not None:
        return (await records(session, [existing]))[0]
    invoice = await _invoice_locked(session, settings, order, now)
    year = now.year
    sequence = await repo.lock_sequence(session, year, CREDIT_NOTE)
    existing = await repo.credit_note_of_refund(session, refund_id)
    if existing is not None:
        return (await records(session, [existing]))[0]
    before = await repo.credited_total(session, invoice.id)
    after = min(before + amount_minor, invoice.total_minor)
    if after <= before:
        log.warning("credit_note_skipped", order_id=str(order_id), reason="nothing left")
        return None
    delta = await ledger.post_refund(
        session,
        order,
        refund_id=refund_id,
        refunded_before=before,
        refunded_after=after,
        now=now,
    )
    header = _header(settings, order, kind=CREDIT_NOTE, year=year, sequence=sequence, now=now)
    by_id = {line.id: line for line in order.lines}
    lines = []
    for index, part in enumerate(delta):
        line = by_id[part.line_id]
        net = part.gross - part.tax
        lines.append(
            {
                "id": new_id(),
                "invoice_id": header["id"],
                "position": index,
                "order_line_id": line.id,
                "course_id": line.course_id,
                "instructor_id": line.instructor_id,
                "title": line.title,
                "unit_price_minor": part.gross if order.tax_inclusive else net,
                "discount_minor": 0,
                "net_minor": net,
                "tax_rate_bp": line.tax_rate_bp,
                "tax_minor": part.tax,
                "total_minor": part.gross,
            }
        )
    lines = [line for line in lines if line["total_minor"] != 0]
    header |= {
        "refund_id": refund_id,
        "credited_invoice_id": invoice.id,
        "subtotal_minor": sum(line["unit_price_minor"] for line in lines),
        "discount_minor": 0,
        "net_minor": sum(line["net_minor"] for line in lines),
        "tax_minor": sum(line["tax_minor"] for line in lines),
        "total_minor": after - before,
    }
    await repo.insert(session, header, lines, _tax_lines(header["id"], lines))
    await repo.advance_sequence(session, year, CREDIT_NOTE)
    log.info("credit_note_issued", order_id=str(order.id), number=header["number"])
    row = await repo.get(session, header["id"])
    assert row is not None
    return (await records(session, [row]))[0]


async def on_order_paid(session: AsyncSession, settings: Settings, event: OrderPaid) -> None:
    await issue_invoice(session, settings, event.order_id)


async def on_order_refunded(
    session: AsyncSession, settings: Settings, event: OrderRefunded
) -> None:
    await issue_credit_note(
        session,
        settings,
        order_id=event.order_id,
        refund_id=event.refund_id,
        amount_minor=event.amount_minor,
    )


# --------------------------------------------------------------------------- reading


async def for_order(
    session: AsyncSession, principal: Principal, order_id: uuid.UUID
) -> InvoiceRecord:
    """The invoice of one of the caller's orders (any order for ``order:view_any``); a 404
    for another buyer's order, or before the order is paid and invoiced."""
    row = await repo.invoice_of_order(session, order_id)
    if row is None or not _may_see(principal, row):
        raise InvoiceNotFound()
    return (await records(session, [row]))[0]


async def get_for(
    session: AsyncSession, principal: Principal, invoice_id: uuid.UUID
) -> InvoiceRecord:
    row = await repo.get(session, invoice_id)
    if row is None or not _may_see(principal, row):
        raise InvoiceNotFound()
    return (await records(session, [row]))[0]


def _may_see(principal: Principal, row: Invoice) -> bool:
    return row.user_id == principal.user_id or principal.has(ORDER_VIEW_ANY)


async def list_mine(
    session: AsyncSession, principal: Principal, *, kind: str | None, limit: int, offset: int
) -> tuple[list[InvoiceRecord], int]:
    rows, total = await repo.list_invoices(
        session, limit=limit, offset=offset, user_id=principal.user_id, kind=kind
    )
    return await records(session, rows), total


async def list_all(
    session: AsyncSession,
    principal: Principal,
    *,
    kind: str | None,
    user_id: uuid.UUID | None,
    issued_from: datetime | None,
    issued_to: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[InvoiceRecord], int]:
    principal.require(ORDER_VIEW_ANY)
    rows, total = await repo.list_invoices(
        session,
        limit=limit,
        offset=offset,
        user_id=user_id,
        kind=kind,
        issued_from=issued_from,
        issued_to=issued_to,
    )
    return await records(session, rows), total
