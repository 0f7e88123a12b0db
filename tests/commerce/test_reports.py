"""Revenue and tax reports for admins: gross, discounts, refunds, tax and net per currency, day
and course; tax per country and month with credit notes subtracted; nobody else reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from campus.kernel.clock import Clock
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.invoice_helpers import paid_order, refund


@pytest.fixture(autouse=True)
def _in_march(frozen_clock: Clock) -> None:
    frozen_clock.freeze(datetime(2026, 3, 10, 12, 0, tzinfo=UTC))


def _amounts(figures: dict[str, object]) -> dict[str, str]:
    return {k: v["amount"] for k, v in figures.items() if isinstance(v, dict)}


async def test_the_revenue_report_sums_gross_discounts_refunds_tax_and_net(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    db = app.state.db
    buyer = await commerce.buyer()
    first = await commerce.paid_course("EUR", amount="100.00")
    second = await commerce.paid_course("EUR", amount="60.00")
    jpy = await commerce.paid_course("JPY", amount="3000")
    order = await paid_order(db, buyer, [first, second], rate_bp=2000, discounts=[1000, 0])
    await paid_order(db, buyer, [jpy], rate_bp=1000, country="JP")
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 3, 11, 9, 0, tzinfo=UTC))
    await refund(db, order.id, 6000)  # 108.00 + 72.00 = 180.00 paid; a third back
    await relay.drain()
    admin = await commerce.admin()
    await commerce.identity.start_session(admin)

    answer = await client.get(
        f"{API}/admin/reports/revenue?from=2026-03-01&to=2026-03-31", headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    report = answer.json()
    totals = {t["currency"]: _amounts(t) for t in report["totals"]}
    assert totals["EUR"] == {
        "gross": "160.00",
        "discounts": "10.00",
        "refunds": "60.00",
        "tax": "20.00",  # 30.00 invoiced, 10.00 credited
        "net": "100.00",  # 150.00 invoiced, 50.00 credited
    }
    assert totals["JPY"] == {
        "gross": "3000",
        "discounts": "0",
        "refunds": "0",
        "tax": "300",
        "net": "3000",
    }
    eur_days = [(d["day"], _amounts(d)["net"]) for d in report["days"] if d["currency"] == "EUR"]
    assert eur_days == [("2026-03-10", "150.00"), ("2026-03-11", "-50.00")]
    courses = {c["courseId"]: _amounts(c) for c in report["courses"]}
    assert courses[str(first.id)]["net"] == "60.00"  # 90.00 less 30.00 back
    assert courses[str(second.id)]["net"] == "40.00"  # 60.00 less 20.00 back

    only_jpy = await client.get(
        f"{API}/admin/reports/revenue?from=2026-03-01&to=2026-03-31&currency=JPY",
        headers=admin.headers,
    )
    assert [t["currency"] for t in only_jpy.json()["totals"]] == ["JPY"]
    before = await client.get(
        f"{API}/admin/reports/revenue?from=2026-02-01&to=2026-02-28", headers=admin.headers
    )
    assert before.json()["totals"] == []


async def test_the_tax_report_gives_tax_per_country_and_month_net_of_credit_notes(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, frozen_clock: Clock
) -> None:
    db = app.state.db
    buyer = await commerce.buyer()
    course = await commerce.paid_course("EUR", amount="100.00")
    french = await paid_order(db, buyer, [course], rate_bp=2000, country="FR")
    await paid_order(db, buyer, [course], rate_bp=1900, country="DE")
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 4, 3, tzinfo=UTC))
    await refund(db, french.id, 3000)  # a quarter of 120.00: 5.00 of tax back
    await relay.drain()
    admin = await commerce.admin()
    await commerce.identity.start_session(admin)

    answer = await client.get(
        f"{API}/admin/reports/tax?from=2026-03-01&to=2026-04-30", headers=admin.headers
    )
    assert answer.status_code == 200, answer.text
    rows = [
        (
            r["country"],
            r["period"],
            r["rateBp"],
            r["taxable"]["amount"],
            r["tax"]["amount"],
            r["creditedTax"]["amount"],
        )
        for r in answer.json()["rows"]
    ]
    assert rows == [
        ("DE", "2026-03", 1900, "100.00", "19.00", "0.00"),
        ("FR", "2026-03", 2000, "100.00", "20.00", "0.00"),
        ("FR", "2026-04", 2000, "-25.00", "-5.00", "5.00"),
    ]


async def test_reports_are_for_admins_and_check_their_range(
    client: AsyncClient, commerce: CommerceFactory
) -> None:
    instructor = await commerce.instructor()
    admin = await commerce.admin()
    for path in ("revenue", "tax"):
        url = f"{API}/admin/reports/{path}?from=2026-03-01&to=2026-03-31"
        assert (await client.get(url)).status_code == 401
        assert (await client.get(url, headers=instructor.headers)).status_code == 403
        reversed_range = await client.get(
            f"{API}/admin/reports/{path}?from=2026-03-31&to=2026-03-01", headers=admin.headers
        )
        assert reversed_range.status_code == 422
        missing = await client.get(f"{API}/admin/reports/{path}", headers=admin.headers)
        assert missing.status_code == 422
