"""An invoice or credit note as a PDF (reportlab): seller and buyer, lines, tax per rate and
totals, every amount in its currency's minor digits (JPY without decimals)."""

from __future__ import annotations

import io

# reportlab ships without type hints.
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from campus.commerce.service.invoices import CREDIT_NOTE, InvoiceRecord
from campus.kernel.money import Money

LEFT = 20 * mm
RIGHT = A4[0] - 20 * mm
BOTTOM = 25 * mm


def money(minor: int, currency: str) -> str:
    """``1234`` USD → ``12.34 USD``; ``5000`` JPY → ``5000 JPY``."""
    return f"{Money(minor, currency).amount} {currency}"


def percent(rate_bp: int) -> str:
    whole, part = divmod(rate_bp, 100)
    return f"{whole}.{part:02d} %" if part else f"{whole} %"


def render(invoice: InvoiceRecord, *, compress: bool = True) -> bytes:
    """The PDF bytes. ``compress=False`` leaves the page streams readable (tests search them)."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1 if compress else 0)
    title = "Credit note" if invoice.kind == CREDIT_NOTE else "Invoice"
    canvas.setTitle(f"{title} {invoice.number}")
    canvas.setAuthor(invoice.seller_name)
    c = invoice.currency
    y = A4[1] - 25 * mm

    def line(text: str, *, x: float = LEFT, size: int = 10, bold: bool = False) -> None:
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", size)
        canvas.drawString(x, y, text)

    def right(text: str, x: float, *, bold: bool = False) -> None:
        canvas.setFont("Helvetica-Bold" if bold else "Helvetica", 10)
        canvas.drawRightString(x, y, text)

    def down(step: float = 5 * mm) -> None:
        nonlocal y
        y -= step
        if y < BOTTOM:
            canvas.showPage()
            y = A4[1] - 25 * mm

    line(f"{title} {invoice.number}", size=16, bold=True)
    down(8 * mm)
    line(f"Issued: {invoice.issued_at:%Y-%m-%d}    Order: {invoice.order_number}")
    down()
    line(f"Currency: {c}    Prices {'include' if invoice.tax_inclusive else 'exclude'} tax")
    down(10 * mm)

    line("Seller", bold=True)
    line("Bill to", x=LEFT + 90 * mm, bold=True)
    down()
    seller = [invoice.seller_name, *invoice.seller_address.splitlines()]
    if invoice.seller_tax_id:
        seller.append(f"Tax id: {invoice.seller_tax_id}")
    address = invoice.buyer_address
    buyer = [
        invoice.buyer_name,
        *(str(address[k]) for k in ("line1", "line2", "city", "postalCode") if address.get(k)),
        " ".join(p for p in (invoice.buyer_state, invoice.buyer_country) if p),
    ]
    for index in range(max(len(seller), len(buyer))):
        if index < len(seller):
            line(seller[index])
        if index < len(buyer):
            line(buyer[index], x=LEFT + 90 * mm)
        down()
    down(5 * mm)

    columns = (RIGHT - 75 * mm, RIGHT - 50 * mm, RIGHT - 25 * mm, RIGHT)
    line("Item", bold=True)
    for x, head in zip(columns, ("Price", "Discount", "Tax", "Total"), strict=True):
        right(head, x, bold=True)
    down()
    for item in invoice.lines:
        line(item.title[:60])
        amounts = (item.unit_price_minor, item.discount_minor, item.tax_minor, item.total_minor)
        for x, amount in zip(columns, amounts, strict=True):
            right(money(amount, c), x)
        down()
    down(3 * mm)

    if invoice.tax_lines:
        line("Tax by rate", bold=True)
        right("Taxable", columns[2], bold=True)
        right("Tax", columns[3], bold=True)
        down()
        for tax in invoice.tax_lines:
            line(percent(tax.rate_bp))
            right(money(tax.taxable_minor, c), columns[2])
            right(money(tax.tax_minor, c), columns[3])
            down()
        down(3 * mm)

    totals = [
        ("Subtotal", invoice.subtotal_minor),
        ("Discount", invoice.discount_minor),
        ("Net", invoice.net_minor),
        ("Tax", invoice.tax_minor),
        ("Total credited" if invoice.kind == CREDIT_NOTE else "Total", invoice.total_minor),
    ]
    for label, amount in totals:
        right(label, columns[2], bold=label.startswith("Total"))
        right(money(amount, c), columns[3], bold=label.startswith("Total"))
        down()
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
