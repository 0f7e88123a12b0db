"""Every paid charge of a subscription is invoiced by commerce: the first period and each
renewal appear in the subscriber's invoice list in commerce's numbering, with a PDF, once each
however often the invoicing job runs; declined charges and refunds are not invoiced."""

from __future__ import annotations

from datetime import UTC, datetime

from campus.billing.events import RUN_RENEWALS_JOB
from campus.billing.service import invoicing
from campus.kernel.clock import Clock
from campus.kernel.jobs import Relay
from campus.kernel.outbox import enqueue_job
from tests.billing.conftest import API, DECLINED_CARD, BillingFactory
from tests.fixtures.identity import AppUser

INVOICES = f"{API}/invoices"


async def invoice_list(billing: BillingFactory, user: AppUser) -> list[dict[str, object]]:
    await billing.commerce.identity.start_session(user)  # a token valid at the clock's time
    response = await billing.client.get(INVOICES, headers=user.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return sorted(items, key=lambda item: str(item["number"]))


async def run_job(billing: BillingFactory, relay: Relay) -> None:
    async with billing.db.session() as session:
        await enqueue_job(session, RUN_RENEWALS_JOB, {})
    await relay.drain()


async def test_the_first_period_and_each_renewal_are_in_the_subscribers_invoice_list(
    billing: BillingFactory, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    plan = await billing.plan(name="Unlimited")
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    await relay.drain()
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await run_job(billing, relay)

    invoices = await invoice_list(billing, student)
    assert [(i["number"], i["kind"], i["total"]) for i in invoices] == [
        ("INV-2026-000001", "invoice", {"amount": "30.00", "currency": "USD"}),
        ("INV-2026-000002", "invoice", {"amount": "30.00", "currency": "USD"}),
    ]
    titles = [line["title"] for i in invoices for line in i["lines"]]  # type: ignore[attr-defined]
    assert titles == [
        "Unlimited (monthly), first period, period 1",
        "Unlimited (monthly), renewal, period 2",
    ]
    pdf = await billing.client.get(f"{INVOICES}/{invoices[1]['id']}.pdf", headers=student.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    # Another subscriber sees none of them.
    other = await billing.commerce.buyer("Other")
    assert await invoice_list(billing, other) == []
    assert (await billing.state(sub["id"]))[:2] == (2, "active")


async def test_invoicing_a_charge_twice_issues_one_invoice(
    billing: BillingFactory, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    await relay.drain()
    async with billing.db.session() as session:
        assert await invoicing.invoice_charge(
            session, billing.settings, f"sub:{sub['id']}:period:1"
        )
    assert [i["number"] for i in await invoice_list(billing, student)] == ["INV-2026-000001"]


async def test_a_declined_renewal_is_not_invoiced_and_its_paid_retry_is(
    billing: BillingFactory, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    good = await billing.card(student)
    declined = await billing.card(student, DECLINED_CARD)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(good))
    response = await billing.client.patch(
        f"{API}/billing/subscriptions/{sub['id']}",
        json={"paymentMethodId": str(declined)},
        headers=student.headers,
    )
    assert response.status_code == 200, response.text
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await run_job(billing, relay)
    assert len(await invoice_list(billing, student)) == 1
    response = await billing.client.patch(
        f"{API}/billing/subscriptions/{sub['id']}",
        json={"paymentMethodId": str(good)},
        headers=student.headers,
    )
    assert response.status_code == 200, response.text
    frozen_clock.freeze(datetime(2026, 2, 2, tzinfo=UTC))
    await run_job(billing, relay)
    assert [k for k, *_ in await billing.charges(sub["id"])] == ["initial", "renewal", "retry"]
    invoices = await invoice_list(billing, student)
    assert [i["total"] for i in invoices] == [{"amount": "30.00", "currency": "USD"}] * 2
