"""Invoice and credit note wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from campus.commerce.service.invoices import InvoiceRecord
from campus.kernel.money import MoneyOut
from campus.kernel.schemas import ApiModel


class InvoiceLineOut(ApiModel):
    course_id: uuid.UUID
    title: str
    unit_price: MoneyOut
    discount: MoneyOut
    net: MoneyOut
    tax_rate_bp: int
    tax: MoneyOut
    total: MoneyOut


class InvoiceTaxLineOut(ApiModel):
    rate_bp: int
    taxable: MoneyOut
    tax: MoneyOut


class InvoiceOut(ApiModel):
    """An invoice (``kind: invoice``) or a credit note (``kind: credit_note``, naming the
    invoice it credits and the refund). Amounts are positive on both."""

    id: uuid.UUID
    number: str
    kind: Literal["invoice", "credit_note"]
    order_id: uuid.UUID
    order_number: str
    refund_id: uuid.UUID | None
    credited_invoice_id: uuid.UUID | None
    issued_at: datetime
    seller_name: str
    seller_address: str
    seller_tax_id: str
    buyer_name: str
    buyer_country: str
    buyer_state: str | None
    buyer_address: dict[str, Any]
    currency: str
    tax_inclusive: bool
    subtotal: MoneyOut
    discount: MoneyOut
    net: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    lines: list[InvoiceLineOut]
    tax_lines: list[InvoiceTaxLineOut]

    @classmethod
    def of(cls, invoice: InvoiceRecord) -> InvoiceOut:
        c = invoice.currency

        def m(minor: int) -> MoneyOut:
            return MoneyOut.from_parts(minor, c)

        return cls(
            id=invoice.id,
            number=invoice.number,
            kind="credit_note" if invoice.kind == "credit_note" else "invoice",
            order_id=invoice.order_id,
            order_number=invoice.order_number,
            refund_id=invoice.refund_id,
            credited_invoice_id=invoice.credited_invoice_id,
            issued_at=invoice.issued_at,
            seller_name=invoice.seller_name,
            seller_address=invoice.seller_address,
            seller_tax_id=invoice.seller_tax_id,
            buyer_name=invoice.buyer_name,
            buyer_country=invoice.buyer_country,
            buyer_state=invoice.buyer_state,
            buyer_address=invoice.buyer_address,
            currency=c,
            tax_inclusive=invoice.tax_inclusive,
            subtotal=m(invoice.subtotal_minor),
            discount=m(invoice.discount_minor),
            net=m(invoice.net_minor),
            tax=m(invoice.tax_minor),
            total=m(invoice.total_minor),
            lines=[
                InvoiceLineOut(
                    course_id=line.course_id,
                    title=line.title,
                    unit_price=m(line.unit_price_minor),
                    discount=m(line.discount_minor),
                    net=m(line.net_minor),
                    tax_rate_bp=line.tax_rate_bp,
                    tax=m(line.tax_minor),
                    total=m(line.total_minor),
                )
                for line in invoice.lines
            ],
            tax_lines=[
                InvoiceTaxLineOut(rate_bp=t.rate_bp, taxable=m(t.taxable_minor), tax=m(t.tax_minor))
                for t in invoice.tax_lines
            ],
        )
