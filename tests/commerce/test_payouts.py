"""Instructor payouts: a month's payouts computed from the ledger once per instructor and
currency, sent through the sandbox payout provider, refunds after a payout carried to the next
one, failed payouts paid again later, statements (JSON, CSV) and the earnings dashboard, each
instructor seeing only their own."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.service import payouts
from campus.config import Settings
from campus.kernel.clock import Clock
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.invoice_helpers import balances, paid_order, refund
from tests.fixtures.identity import AppUser

MARCH = {"year": 2026, "month": 3}
APRIL = {"year": 2026, "month": 4}


@pytest.fixture(autouse=True)
def _in_march(frozen_clock: Clock) -> None:
    frozen_clock.freeze(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


async def _at(clock: Clock, commerce: CommerceFactory, moment: datetime, *users: AppUser) -> None:
    """Move the clock to ``moment`` and sign ``users`` in again (tokens live minutes)."""
    clock.freeze(moment)
    for user in users:
        await commerce.identity.start_session(user)


async def _payout_events(app: FastAPI) -> list[dict[str, object]]:
    async with app.state.db.read_session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage.payload).where(
                OutboxMessage.name == "commerce.payout_completed"
            )
        )
        return list(rows)


async def test_a_month_pays_each_instructor_their_share_once_and_the_payouts_complete(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    admin = await commerce.admin()
    ida, ivo = await commerce.instructor("Ida"), await commerce.instructor("Ivo")
    ida_course = await commerce.paid_course("USD", amount="100.00", owner=ida)
    ivo_course = await commerce.paid_course("EUR", amount="40.00", owner=ivo)
    buyer = await commerce.buyer()
    await paid_order(app.state.db, buyer, [ida_course])
    await paid_order(app.state.db, buyer, [ivo_course])
    await relay.drain()

    early = await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=MARCH)
    assert early.status_code == 409
    assert early.json()["error"]["code"] == "payout_period_open"

    await _at(frozen_clock, commerce, datetime(2026, 4, 2, tzinfo=UTC), admin, ida, ivo, buyer)
    assert (
        await client.post(f"{API}/admin/payouts/run", headers=buyer.headers, json=MARCH)
    ).status_code == 403
    run = await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=MARCH)
    assert run.status_code == 200, run.text
    assert run.json()["created"] == 2
    amounts = sorted(
        (p["amount"]["amount"], p["amount"]["currency"], p["status"], p["method"])
        for p in run.json()["payouts"]
    )
    assert amounts == [
        ("28.00", "EUR", "pending", "bank_transfer"),
        ("70.00", "USD", "pending", "bank_transfer"),
    ]
    again = await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=MARCH)
    assert again.json()["created"] == 0
    assert {p["id"] for p in again.json()["payouts"]} == {p["id"] for p in run.json()["payouts"]}

    await relay.drain()
    mine = (await client.get(f"{API}/me/payouts", headers=ida.headers)).json()
    assert mine["total"] == 1
    payout = mine["items"][0]
    assert payout["status"] == "completed"
    assert payout["reference"].startswith("po_sandbox_")
    assert payout["periodStart"].startswith("2026-03-01")
    events = await _payout_events(app)
    assert len(events) == 2
    assert {e["payoutId"] for e in events} == {p["id"] for p in run.json()["payouts"]}
    # Paid out: the instructors' accounts are empty.
    totals = await balances(app.state.db)
    assert totals[f"instructor:{ida.id}"] == 0
    assert totals[f"instructor:{ivo.id}"] == 0

    statement = await client.get(f"{API}/me/payouts/{payout['id']}/statement", headers=ida.headers)
    assert statement.status_code == 200
    body = statement.json()
    assert body["earned"]["amount"] == "70.00"
    assert body["refunded"]["amount"] == "0.00"
    assert body["carriedIn"]["amount"] == "0.00"
    assert [line["kind"] for line in body["lines"]] == ["sale"]
    as_csv = await client.get(
        f"{API}/me/payouts/{payout['id']}/statement?format=csv", headers=ida.headers
    )
    assert as_csv.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(as_csv.text)))
    assert rows[0] == ["date", "kind", "order_id", "course_id", "amount", "currency"]
    assert [row[1] for row in rows[1:]] == ["carried_in", "sale", "payout"]
    assert rows[-1][4:] == ["70.00", "USD"]

    other = await client.get(f"{API}/me/payouts/{payout['id']}/statement", headers=ivo.headers)
    assert other.status_code == 404
    assert other.json()["error"]["code"] == "payout_not_found"
    assert (await client.get(f"{API}/admin/payouts", headers=ida.headers)).status_code == 403
    listed = await client.get(f"{API}/admin/payouts?status=completed", headers=admin.headers)
    assert listed.json()["total"] == 2


async def test_a_refund_after_the_payout_is_taken_from_the_next_one(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    admin = await commerce.admin()
    ida = await commerce.instructor("Ida")
    course = await commerce.paid_course("USD", amount="100.00", owner=ida)
    buyer = await commerce.buyer()
    march_order = await paid_order(app.state.db, buyer, [course])
    await relay.drain()
    await _at(frozen_clock, commerce, datetime(2026, 4, 2, tzinfo=UTC), admin)
    await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=MARCH)
    await relay.drain()

    frozen_clock.freeze(datetime(2026, 4, 5, tzinfo=UTC))
    await refund(app.state.db, march_order.id, 5000)  # half: the instructor gives back 35.00
    frozen_clock.freeze(datetime(2026, 4, 10, tzinfo=UTC))
    await paid_order(app.state.db, await commerce.buyer("Bo"), [course])  # earns 70.00
    await relay.drain()

    await _at(frozen_clock, commerce, datetime(2026, 5, 1, tzinfo=UTC), admin, ida)
    run = await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=APRIL)
    [april] = run.json()["payouts"]
    assert april["amount"]["amount"] == "35.00"
    statement = (
        await client.get(f"{API}/me/payouts/{april['id']}/statement", headers=ida.headers)
    ).json()
    assert statement["earned"]["amount"] == "70.00"
    assert statement["refunded"]["amount"] == "35.00"
    assert statement["carriedIn"]["amount"] == "0.00"


async def test_a_balance_below_the_minimum_or_negative_waits_for_a_later_period(
    app: FastAPI, settings: Settings, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    ida = await commerce.instructor("Ida")
    course = await commerce.paid_course("USD", amount="10.00", owner=ida)
    await paid_order(app.state.db, await commerce.buyer(), [course])  # earns 7.00
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 4, 2, tzinfo=UTC))
    strict = settings.replace(commerce_payout_minimum_minor=1000)
    async with app.state.db.session() as session:
        march = await payouts.run_period(session, strict, year=2026, month=3)
    assert march.payouts == ()
    await paid_order(app.state.db, await commerce.buyer("Bo"), [course])  # 14.00 in all
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 5, 2, tzinfo=UTC))
    async with app.state.db.session() as session:
        april = await payouts.run_period(session, strict, year=2026, month=4)
    assert [p.amount_minor for p in april.payouts] == [1400]


async def test_a_failed_payout_gives_the_money_back_for_the_next_period(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    frozen_clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = await commerce.admin()
    ida = await commerce.instructor("Ida")
    course = await commerce.paid_course("USD", amount="100.00", owner=ida)
    await paid_order(app.state.db, await commerce.buyer(), [course])
    await relay.drain()
    await _at(frozen_clock, commerce, datetime(2026, 4, 2, tzinfo=UTC), admin, ida)
    with monkeypatch.context() as patched:
        patched.setattr(
            payouts, "provider_for", lambda settings: payouts.SandboxPayoutProvider(limit_minor=0)
        )
        await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=MARCH)
        await relay.drain()
    [failed] = (await client.get(f"{API}/me/payouts", headers=ida.headers)).json()["items"]
    assert failed["status"] == "failed"
    assert failed["failure"] == "amount_over_limit"
    assert await _payout_events(app) == []
    assert (await balances(app.state.db))[f"instructor:{ida.id}"] == 7000

    await _at(frozen_clock, commerce, datetime(2026, 5, 2, tzinfo=UTC), admin, ida)
    run = await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=APRIL)
    assert [p["amount"]["amount"] for p in run.json()["payouts"]] == ["70.00"]
    await relay.drain()
    assert len(await _payout_events(app)) == 1


async def test_the_monthly_job_computes_the_month_that_ended_once(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    ida = await commerce.instructor("Ida")
    course = await commerce.paid_course("USD", amount="100.00", owner=ida)
    await paid_order(app.state.db, await commerce.buyer(), [course])
    await relay.drain()
    await _at(frozen_clock, commerce, datetime(2026, 4, 1, 0, 30, tzinfo=UTC), ida)
    for _ in range(2):
        async with app.state.db.session() as session:
            await payouts.run_due(session, app.state.settings)
    mine = (await client.get(f"{API}/me/payouts", headers=ida.headers)).json()
    assert mine["total"] == 1
    assert mine["items"][0]["amount"] == {"amount": "70.00", "currency": "USD"}


async def test_the_earnings_dashboard_shows_gross_share_refunds_net_and_payouts(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    admin = await commerce.admin()
    ida = await commerce.instructor("Ida")
    first = await commerce.paid_course("USD", amount="100.00", owner=ida)
    second = await commerce.paid_course("USD", amount="50.00", owner=ida)
    order = await paid_order(app.state.db, await commerce.buyer(), [first, second], rate_bp=1000)
    await relay.drain()
    await _at(frozen_clock, commerce, datetime(2026, 4, 2, tzinfo=UTC), admin, ida)
    await client.post(f"{API}/admin/payouts/run", headers=admin.headers, json=MARCH)
    await relay.drain()
    await refund(app.state.db, order.id, 8250)  # half of 165.00, over both lines
    await relay.drain()

    answer = await client.get(f"{API}/me/earnings", headers=ida.headers)
    assert answer.status_code == 200
    [usd] = answer.json()["currencies"]
    figures = {k: v["amount"] for k, v in usd.items() if isinstance(v, dict)}
    assert figures == {
        "gross": "165.00",
        "refunds": "82.50",
        "tax": "7.50",
        "platformShare": "22.50",
        "net": "52.50",
        "paidOut": "105.00",
        "pending": "0.00",
        "available": "-52.50",
    }
    courses = {c["courseId"]: c for c in answer.json()["courses"]}
    assert courses[str(first.id)]["net"]["amount"] == "35.00"
    assert courses[str(second.id)]["net"]["amount"] == "17.50"

    stranger = await client.get(f"{API}/me/earnings", headers=(await commerce.buyer()).headers)
    assert stranger.json()["currencies"] == []
    assert stranger.json()["courses"] == []
