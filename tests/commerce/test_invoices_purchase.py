"""Invoices end to end, through HTTP on the sandbox gateway: a cart checked out with tax, paid
on the hosted page (its webhook over real HTTP), invoiced with its ledger posting; then refunded
by an admin in two parts, each with its credit note and its balanced reversal."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.data import PaymentRecord, PaymentStatus
from campus.commerce.repository import ledger as ledger_repo
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.invoice_helpers import balances, pdf_text
from tests.commerce.payment_helpers import SUCCESS, Browser
from tests.fixtures.catalog import ok


@pytest.fixture
def app(served_app: FastAPI) -> FastAPI:
    return served_app


async def test_a_purchase_on_the_sandbox_is_invoiced_and_its_refunds_credited(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    buyer, admin = await commerce.buyer(), await commerce.admin()
    await commerce.tax_rate("DE", 1900)
    courses = [await commerce.paid_course("EUR"), await commerce.paid_course("EUR")]
    for course in courses:
        ok(
            await client.post(
                f"{API}/cart/items", json={"courseId": course.key}, headers=buyer.headers
            ),
            201,
        )
    placed = ok(
        await client.post(
            f"{API}/checkout",
            json={"billingName": "Bea Buyer", "billingCountry": "DE"},
            headers={**buyer.headers, "Idempotency-Key": str(uuid.uuid4())},
        ),
        201,
    )
    order_id = placed["order"]["id"]
    assert placed["order"]["total"] == {"amount": "92.82", "currency": "EUR"}  # 78.00 + 19 %
    payment = placed["payment"]
    paid = await Browser(client).pay(
        PaymentRecord(
            id=uuid.UUID(payment["id"]),
            order_id=uuid.UUID(order_id),
            gateway="sandbox",
            gateway_payment_id=None,
            status=PaymentStatus.REQUIRES_PAYMENT_METHOD,
            amount_minor=9282,
            currency="EUR",
            next_action_url=placed["nextActionUrl"],
            failure_code=None,
            failure_message=None,
        ),
        SUCCESS,
    )
    assert paid.status_code == 303
    await relay.drain()  # the webhook over HTTP pays the order; the invoice follows

    invoice = ok(await client.get(f"{API}/orders/{order_id}/invoice", headers=buyer.headers))
    assert invoice["number"].startswith("INV-")
    assert invoice["total"] == {"amount": "92.82", "currency": "EUR"}
    assert invoice["taxLines"][0]["rateBp"] == 1900
    pdf = await client.get(f"{API}/orders/{order_id}/invoice.pdf", headers=buyer.headers)
    assert invoice["number"] in pdf_text(pdf.content)

    for key, amount in (("r1", 2000), ("r2", 9282 - 2000)):
        ok(
            await client.post(
                f"{API}/orders/{order_id}/refunds",
                json={"amountMinor": amount},
                headers={**admin.headers, "Idempotency-Key": key},
            ),
            201,
        )
    await relay.drain()
    notes = ok(await client.get(f"{API}/invoices?kind=credit_note", headers=buyer.headers))
    assert sorted(n["total"]["amount"] for n in notes["items"]) == ["20.00", "72.82"]
    assert {n["creditedInvoiceId"] for n in notes["items"]} == {invoice["id"]}
    async with db.read_session() as session:
        postings = await ledger_repo.postings_sums(session)
    assert len(postings) == 3
    assert all(debits == credits for _, _, debits, credits in postings)
    assert set((await balances(db, "EUR")).values()) == {0}
