"""Invoices and credit notes: one numbered invoice per paid order, gap-free per year, a credit
note per refund, JSON and a real PDF for the buyer only, every document for admins."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.models import Invoice, InvoiceSequence
from campus.commerce.service import invoice_pdf, invoices
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.invoice_helpers import paid_order, pdf_text, refund
from tests.fixtures.queries import count_queries


@pytest.fixture(autouse=True)
def _in_2026(frozen_clock: Clock) -> None:
    frozen_clock.freeze(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


async def _numbers(db: Database) -> list[str]:
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(Invoice.number).order_by(Invoice.kind, Invoice.year, Invoice.sequence)
        )
        return list(rows)


async def test_a_paid_order_gets_exactly_one_numbered_invoice_with_its_lines_and_tax(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    first, second = await commerce.paid_course("EUR"), await commerce.paid_course("EUR")
    order = await paid_order(app.state.db, buyer, [first, second], rate_bp=2000, discounts=[390, 0])
    await relay.drain()

    answer = await client.get(f"{API}/orders/{order.id}/invoice", headers=buyer.headers)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["number"] == "INV-2026-000001"
    assert body["kind"] == "invoice"
    assert body["orderNumber"] == order.number
    assert body["sellerName"] == "Campus"
    assert body["buyerName"] == "Bea Buyer"
    assert body["buyerCountry"] == "FR"
    # 39.00 - 3.90 = 35.10 (+ 7.02 tax) and 39.00 (+ 7.80 tax)
    assert [line["total"]["amount"] for line in body["lines"]] == ["42.12", "46.80"]
    assert body["taxLines"] == [
        {
            "rateBp": 2000,
            "taxable": {"amount": "74.10", "currency": "EUR"},
            "tax": {"amount": "14.82", "currency": "EUR"},
        }
    ]
    assert body["subtotal"]["amount"] == "78.00"
    assert body["discount"]["amount"] == "3.90"
    assert body["net"]["amount"] == "74.10"
    assert body["tax"]["amount"] == "14.82"
    assert body["total"]["amount"] == "88.92"

    # The handler running again (a redelivery) issues nothing new.
    async with app.state.db.session() as session:
        again = await invoices.issue_invoice(session, app.state.settings, order.id)
    assert again is not None
    assert again.number == "INV-2026-000001"
    assert len(await _numbers(app.state.db)) == 1


async def test_invoice_numbers_follow_each_other_without_gaps_and_restart_each_year(
    app: FastAPI, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("USD")
    for _ in range(3):
        await paid_order(app.state.db, buyer, [course])
    await relay.drain()
    frozen_clock.freeze(datetime(2027, 1, 2, tzinfo=UTC))
    await paid_order(app.state.db, buyer, [course])
    await relay.drain()
    numbers = await _numbers(app.state.db)
    assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003", "INV-2027-000001"]


async def test_an_issue_rolled_back_gives_its_number_back(
    app: FastAPI, commerce: CommerceFactory, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("USD")
    order = await paid_order(app.state.db, buyer, [course])

    class Crash(Exception):
        pass

    async def issue_then_crash() -> None:
        async with app.state.db.session() as session:
            issued = await invoices.issue_invoice(session, app.state.settings, order.id)
            assert issued is not None
            assert issued.number == "INV-2026-000001"
            raise Crash

    with pytest.raises(Crash):
        await issue_then_crash()
    await relay.drain()
    assert await _numbers(app.state.db) == ["INV-2026-000001"]
    async with app.state.db.read_session() as session:
        sequence = await session.get(InvoiceSequence, (2026, "invoice"))
        assert sequence is not None
        assert sequence.next_number == 2


async def test_the_pdf_is_a_real_pdf_attachment_naming_the_invoice_and_its_amounts(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("JPY", title="Kanji for beginners")
    order = await paid_order(app.state.db, buyer, [course], rate_bp=1000, country="JP")
    await relay.drain()

    answer = await client.get(f"{API}/orders/{order.id}/invoice.pdf", headers=buyer.headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-disposition"] == 'attachment; filename="INV-2026-000001.pdf"'
    text = pdf_text(answer.content)
    assert "Invoice INV-2026-000001" in text
    assert "Kanji for beginners" in text
    assert "Bea Buyer" in text
    assert "Campus" in text
    # JPY has no minor digits: 5000 + 10 % tax, never "5000.00".
    assert "5000 JPY" in text
    assert "500 JPY" in text
    assert "5500 JPY" in text
    assert "10 %" in text
    assert ".00 JPY" not in text


def test_amounts_in_the_pdf_use_the_currency_minor_digits() -> None:
    assert invoice_pdf.money(4999, "USD") == "49.99 USD"
    assert invoice_pdf.money(5000, "JPY") == "5000 JPY"
    assert invoice_pdf.money(1234, "KWD") == "1.234 KWD"
    assert invoice_pdf.percent(2000) == "20 %"
    assert invoice_pdf.percent(725) == "7.25 %"


async def test_buyers_see_only_their_own_invoices_and_admins_see_every_one(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    bea, max_ = await commerce.buyer("Bea"), await commerce.buyer("Max")
    course = await commerce.paid_course("USD")
    order = await paid_order(app.state.db, bea, [course])
    await paid_order(app.state.db, max_, [course])
    await relay.drain()

    for path in (f"/orders/{order.id}/invoice", f"/orders/{order.id}/invoice.pdf"):
        other = await client.get(f"{API}{path}", headers=max_.headers)
        assert other.status_code == 404
        assert other.json()["error"]["code"] == "invoice_not_found"
        assert (await client.get(f"{API}{path}")).status_code == 401

    mine = await client.get(f"{API}/invoices", headers=bea.headers)
    assert mine.status_code == 200
    assert [i["orderId"] for i in mine.json()["items"]] == [str(order.id)]
    invoice_id = mine.json()["items"][0]["id"]
    assert (
        await client.get(f"{API}/invoices/{invoice_id}", headers=bea.headers)
    ).status_code == 200
    pdf = await client.get(f"{API}/invoices/{invoice_id}.pdf", headers=bea.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    for path in (f"/invoices/{invoice_id}", f"/invoices/{invoice_id}.pdf"):
        assert (await client.get(f"{API}{path}", headers=max_.headers)).status_code == 404

    assert (await client.get(f"{API}/admin/invoices", headers=bea.headers)).status_code == 403
    admin = await commerce.admin()
    every = await client.get(f"{API}/admin/invoices", headers=admin.headers)
    assert every.status_code == 200
    assert every.json()["total"] == 2
    theirs = await client.get(f"{API}/orders/{order.id}/invoice", headers=admin.headers)
    assert theirs.status_code == 200


async def test_an_unpaid_order_has_no_invoice(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    from tests.commerce.payment_helpers import place_order

    buyer = await commerce.buyer()
    order = await place_order(app.state.db, buyer, [await commerce.paid_course("USD")])
    await relay.drain()
    answer = await client.get(f"{API}/orders/{order.id}/invoice", headers=buyer.headers)
    assert answer.status_code == 404
    assert await _numbers(app.state.db) == []


async def test_each_refund_gets_a_credit_note_and_a_full_refund_credits_the_invoice_exactly(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course("USD", amount=a) for a in ("10.00", "20.00", "33.33")]
    order = await paid_order(app.state.db, buyer, courses, rate_bp=825)
    await relay.drain()
    invoice = (await client.get(f"{API}/orders/{order.id}/invoice", headers=buyer.headers)).json()
    total = order.total_minor

    first = await refund(app.state.db, order.id, 1001)
    await relay.drain()
    await refund(app.state.db, order.id, 2002)
    await refund(app.state.db, order.id, total - 3003)
    await relay.drain()

    notes = (await client.get(f"{API}/invoices?kind=credit_note", headers=buyer.headers)).json()[
        "items"
    ]
    notes.sort(key=lambda n: n["number"])
    assert [n["number"] for n in notes] == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    assert {n["creditedInvoiceId"] for n in notes} == {invoice["id"]}
    assert notes[0]["refundId"] == str(first)
    assert [n["total"]["amount"] for n in notes[:2]] == ["10.01", "20.02"]

    def minor(money: dict[str, str]) -> int:
        return int(money["amount"].replace(".", ""))

    # Per line and per tax rate, the credit notes add up to the invoice.
    for index, line in enumerate(invoice["lines"]):
        credited = [
            sum(
                minor(n_line[k])
                for n in notes
                for n_line in n["lines"]
                if n_line["courseId"] == line["courseId"]
            )
            for k in ("total", "tax", "net")
        ]
        assert credited == [minor(line["total"]), minor(line["tax"]), minor(line["net"])], index
    assert sum(minor(n["tax"]) for n in notes) == minor(invoice["tax"])
    for note in notes:
        assert minor(note["total"]) == sum(minor(line["total"]) for line in note["lines"])
        assert minor(note["total"]) == minor(note["net"]) + minor(note["tax"])

    # A redelivered refund event issues nothing new.
    async with app.state.db.session() as session:
        again = await invoices.issue_credit_note(
            session, app.state.settings, order_id=order.id, refund_id=first, amount_minor=1001
        )
    assert again is not None
    assert again.number == "CN-2026-000001"
    assert len(await _numbers(app.state.db)) == 4


async def test_a_credit_note_pdf_says_what_it_credits(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    order = await paid_order(app.state.db, buyer, [await commerce.paid_course("USD")])
    await refund(app.state.db, order.id, 999)
    await relay.drain()
    notes = (await client.get(f"{API}/invoices?kind=credit_note", headers=buyer.headers)).json()
    pdf = await client.get(f"{API}/invoices/{notes['items'][0]['id']}.pdf", headers=buyer.headers)
    text = pdf_text(pdf.content)
    assert "Credit note CN-2026-000001" in text
    assert "9.99 USD" in text


async def test_reading_invoices_and_earnings_runs_a_fixed_number_of_queries(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    db = app.state.db
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course("EUR") for _ in range(2)]
    orders = [await paid_order(db, buyer, courses, rate_bp=2000) for _ in range(3)]
    await refund(db, orders[0].id, 1000)
    await relay.drain()
    # The token check, the count, the page, all their lines, all their tax lines.
    with count_queries(db, expect=5, what="GET /invoices"):
        page = (await client.get(f"{API}/invoices", headers=buyer.headers)).json()
    assert page["total"] == 4
    # The token check, the invoice, its lines, its tax lines.
    with count_queries(db, expect=4, what="GET /orders/{id}/invoice"):
        await client.get(f"{API}/orders/{orders[1].id}/invoice", headers=buyer.headers)
    seller = courses[0].owner
    await commerce.identity.start_session(seller)
    # The token check, the ledger's sums, the payouts' sums.
    with count_queries(db, expect=3, what="GET /me/earnings"):
        earnings = (await client.get(f"{API}/me/earnings", headers=seller.headers)).json()
    assert len(earnings["courses"]) == 2
