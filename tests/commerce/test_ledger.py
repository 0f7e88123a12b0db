"""The earnings ledger: every posting of every order and refund balances to zero, the revenue
share follows the course's override, else the instructor's, else the default, and refunds
reverse proportionally so that a full refund, however split, undoes the sale exactly."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.models import LedgerEntry
from campus.commerce.repository import ledger as ledger_repo
from campus.commerce.service import ledger
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.invoice_helpers import balances, paid_order, refund


async def _postings(db: Database) -> list[tuple[uuid.UUID, str, int, int]]:
    async with db.read_session() as session:
        return await ledger_repo.postings_sums(session)


async def _entries(db: Database, order_id: uuid.UUID) -> list[tuple[str, str, int, int]]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(
                LedgerEntry.kind,
                LedgerEntry.account,
                LedgerEntry.debit_minor,
                LedgerEntry.credit_minor,
            ).where(LedgerEntry.order_id == order_id)
        )
        return [(k, a, int(d), int(c)) for k, a, d, c in rows]


def test_allocation_is_exact_proportional_and_gives_the_remainder_deterministically() -> None:
    assert ledger.allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert ledger.allocate(2, [1, 1, 1]) == [1, 1, 0]
    assert ledger.allocate(10, [3, 7]) == [3, 7]
    assert ledger.allocate(6333, [1000, 2000, 3333]) == [1000, 2000, 3333]
    assert ledger.allocate(0, [5, 5]) == [0, 0]
    for amount in range(0, 200, 7):
        parts = ledger.allocate(amount, [999, 1, 500, 37])
        assert sum(parts) == amount
    assert ledger.share_of(3510, 3000) == 1053
    assert ledger.share_of(5, 3000) == 2  # 1.5 rounds half up


async def test_a_sale_credits_tax_platform_and_instructor_and_debits_the_gateway(
    app: FastAPI, commerce: CommerceFactory, relay: Relay
) -> None:
    buyer = await commerce.buyer()
    course = await commerce.paid_course("EUR")  # 39.00
    order = await paid_order(app.state.db, buyer, [course], rate_bp=2000, discounts=[390])
    await relay.drain()
    entries = sorted(await _entries(app.state.db, order.id))
    # 35.10 net + 7.02 tax = 42.12; platform 30 % of 35.10 = 10.53; instructor 24.57
    assert entries == sorted(
        [
            ("sale", "gateway_clearing", 4212, 0),
            ("sale", "tax", 0, 702),
            ("sale", "platform", 0, 1053),
            ("sale", f"instructor:{course.owner.id}", 0, 2457),
        ]
    )


async def test_course_share_wins_over_instructor_share_which_wins_over_the_default(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    admin = await commerce.admin()
    ida, ivo = await commerce.instructor("Ida"), await commerce.instructor("Ivo")
    special = await commerce.paid_course("USD", amount="100.00", owner=ida)
    plain = await commerce.paid_course("USD", amount="100.00", owner=ida)
    other = await commerce.paid_course("USD", amount="100.00", owner=ivo)
    for scope, subject, bp in (("instructor", ida.id, 2000), ("course", special.id, 1000)):
        answer = await client.put(
            f"{API}/admin/revenue-shares",
            headers=admin.headers,
            json={"scope": scope, "subjectId": str(subject), "platformShareBp": bp},
        )
        assert answer.status_code == 200, answer.text
    forbidden = await client.put(
        f"{API}/admin/revenue-shares",
        headers=ida.headers,
        json={"scope": "instructor", "subjectId": str(ida.id), "platformShareBp": 0},
    )
    assert forbidden.status_code == 403
    listed = await client.get(f"{API}/admin/revenue-shares", headers=admin.headers)
    assert listed.json()["total"] == 2

    order = await paid_order(app.state.db, await commerce.buyer(), [special, plain, other])
    await relay.drain()
    platform = sorted(c for _, a, _, c in await _entries(app.state.db, order.id) if a == "platform")
    assert platform == [1000, 2000, 3000]
    totals = await balances(app.state.db, "USD")
    assert totals[f"instructor:{ida.id}"] == 9000 + 8000
    assert totals[f"instructor:{ivo.id}"] == 7000


async def test_a_line_without_an_instructor_leaves_everything_net_of_tax_to_the_platform(
    app: FastAPI, commerce: CommerceFactory, relay: Relay
) -> None:
    course = await commerce.paid_course("USD")
    order = await paid_order(
        app.state.db, await commerce.buyer(), [course], rate_bp=1000, instructor=False
    )
    await relay.drain()
    assert sorted(await _entries(app.state.db, order.id)) == sorted(
        [
            ("sale", "gateway_clearing", 5499, 0),
            ("sale", "tax", 0, 500),
            ("sale", "platform", 0, 4999),
        ]
    )


@pytest.mark.parametrize("inclusive", [False, True])
async def test_every_posting_balances_and_a_full_refund_in_pieces_undoes_the_sale_exactly(
    app: FastAPI, commerce: CommerceFactory, relay: Relay, inclusive: bool
) -> None:
    db = app.state.db
    buyer = await commerce.buyer()
    usd = [await commerce.paid_course("USD", amount=a) for a in ("19.99", "7.01", "33.33")]
    jpy = [await commerce.paid_course("JPY", amount=a) for a in ("999", "1001")]
    first = await paid_order(
        db, buyer, usd, rate_bp=1925, discounts=[199, 0, 333], inclusive=inclusive
    )
    second = await paid_order(db, buyer, jpy, rate_bp=1000, inclusive=inclusive)
    await relay.drain()
    # Odd pieces, each in its own refund, until nothing is left.
    for order, pieces in ((first, [1, 997, 3333]), (second, [7, 333])):
        for piece in pieces:
            await refund(db, order.id, piece)
            await relay.drain()
        await refund(db, order.id, order.total_minor - sum(pieces))
        await relay.drain()

    postings = await _postings(db)
    assert len(postings) == 2 + 4 + 3
    unbalanced = [(p, c, d, cr) for p, c, d, cr in postings if d != cr]
    assert unbalanced == []
    # Everything that came in went back out: every account is at zero, in each currency.
    for currency in ("USD", "JPY"):
        assert set((await balances(db, currency)).values()) == {0}, currency


async def test_a_partial_refund_takes_back_tax_platform_and_instructor_in_proportion(
    app: FastAPI, commerce: CommerceFactory, relay: Relay
) -> None:
    course = await commerce.paid_course("USD", amount="100.00")
    order = await paid_order(app.state.db, await commerce.buyer(), [course], rate_bp=2000)
    await relay.drain()
    await refund(app.state.db, order.id, 3000)  # a quarter of 120.00
    await relay.drain()
    reversal = sorted(e for e in await _entries(app.state.db, order.id) if e[0] == "refund")
    assert reversal == sorted(
        [
            ("refund", "gateway_clearing", 0, 3000),
            ("refund", "tax", 500, 0),
            ("refund", "platform", 750, 0),
            ("refund", f"instructor:{course.owner.id}", 1750, 0),
        ]
    )


async def test_a_share_changed_after_the_sale_does_not_change_what_its_refund_takes_back(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay
) -> None:
    admin = await commerce.admin()
    course = await commerce.paid_course("USD", amount="100.00")
    order = await paid_order(app.state.db, await commerce.buyer(), [course], rate_bp=1000)
    await relay.drain()
    changed = await client.put(
        f"{API}/admin/revenue-shares",
        headers=admin.headers,
        json={"scope": "course", "subjectId": str(course.id), "platformShareBp": 9000},
    )
    assert changed.status_code == 200
    await refund(app.state.db, order.id, 4400)
    await refund(app.state.db, order.id, order.total_minor - 4400)
    await relay.drain()
    assert set((await balances(app.state.db)).values()) == {0}
