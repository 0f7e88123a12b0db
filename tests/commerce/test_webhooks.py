"""The webhook endpoint (WH-01, WH-06, WH-07, WH-09, WH-10): the raw body is verified before it
is parsed; a bad or missing signature, a stale timestamp, a replayed event, an event for an
unknown payment or with another amount or currency change nothing; duplicates, also
concurrent, are applied once; out-of-order events leave the right final state."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response

from campus.commerce.data import OrderRecord, PaymentRecord
from campus.commerce.gateways.sandbox import build_event, encode_event, signature_header
from campus.commerce.models import WebhookEventRecord
from campus.commerce.settings import sandbox_webhook_secret_of
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import place_order, snapshot, start
from tests.fixtures.catalog import ok

URL = f"{API}/commerce/webhooks/sandbox"


def intent(payment: PaymentRecord, status: str, **changes: Any) -> dict[str, Any]:
    obj: dict[str, Any] = {
        "id": payment.gateway_payment_id,
        "object": "payment_intent",
        "amount": payment.amount_minor,
        "currency": payment.currency.lower(),
        "status": status,
        "last_payment_error": None,
        "payment_method": None,
    }
    obj.update(changes)
    return obj


def event_for(payment: PaymentRecord, kind: str = "succeeded", **changes: Any) -> dict[str, Any]:
    status = {"payment_failed": "requires_payment_method"}.get(kind, kind)
    return build_event(f"payment_intent.{kind}", intent(payment, status, **changes), utcnow())


async def send(
    client: AsyncClient,
    app: FastAPI,
    event: dict[str, Any] | bytes,
    *,
    at: int | None = None,
    secret: str | None = None,
    header: str | None = None,
) -> Response:
    body = event if isinstance(event, bytes) else encode_event(event)
    timestamp = int(utcnow().timestamp()) if at is None else at
    signature = header or signature_header(
        secret or sandbox_webhook_secret_of(app.state.settings), body, timestamp
    )
    return await client.post(
        URL,
        content=body,
        headers={"Content-Type": "application/json", "Stripe-Signature": signature},
    )


@pytest.fixture
async def paying(
    app: FastAPI, commerce: CommerceFactory, db: Database
) -> tuple[OrderRecord, PaymentRecord]:
    order = await place_order(db, await commerce.buyer(), [await commerce.paid_course("EUR")])
    return order, await start(app, order)


async def test_a_signed_success_pays_the_order_and_fulfilment_grants_the_course(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    answer = ok(await send(client, app, event_for(payment)))
    assert (answer["received"], answer["duplicate"], answer["outcome"]) == (True, False, "applied")
    await relay.drain()
    state = await snapshot(db, order.id)
    assert (state["status"], state["entitlements"], state["webhooks"]) == ("paid", 1, 1)


@pytest.mark.parametrize(
    "tamper",
    ["other secret", "tampered body", "no signature", "garbage header", "two bad v1"],
)
async def test_a_delivery_that_does_not_verify_is_400_and_changes_nothing(
    tamper: str,
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    paying: tuple[OrderRecord, PaymentRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    order, payment = paying
    before = await snapshot(db, order.id)
    event = event_for(payment)
    body = encode_event(event)
    now = int(utcnow().timestamp())
    secret = sandbox_webhook_secret_of(app.state.settings)
    if tamper == "other secret":
        response = await send(client, app, event, secret="whsec_guess")
    elif tamper == "tampered body":
        header = signature_header(secret, body, now)
        response = await send(client, app, body.replace(b'"amount":', b'"amount":1'), header=header)
    elif tamper == "no signature":
        response = await client.post(
            URL, content=body, headers={"Content-Type": "application/json"}
        )
    elif tamper == "garbage header":
        response = await send(client, app, event, header="t=abc,v1=zz")
    else:
        response = await send(client, app, event, header=f"t={now},v1={'0' * 64},v1={'1' * 64}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert await snapshot(db, order.id) == before
    assert '"event": "webhook_rejected"' in capsys.readouterr().err


async def test_a_stale_or_future_timestamp_is_refused(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    paying: tuple[OrderRecord, PaymentRecord],
    frozen_clock: Clock,
) -> None:
    order, payment = paying
    before = await snapshot(db, order.id)
    now = int(utcnow().timestamp())
    for at in (now - 301, now + 301):
        response = await send(client, app, event_for(payment), at=at)
        assert response.status_code == 400
    assert await snapshot(db, order.id) == before
    assert (await send(client, app, event_for(payment), at=now - 299)).status_code == 200


async def test_a_replayed_event_is_answered_but_applied_once(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    paying: tuple[OrderRecord, PaymentRecord],
    frozen_clock: Clock,
) -> None:
    order, payment = paying
    event = event_for(payment)
    ok(await send(client, app, event))
    await relay.drain()
    state = await snapshot(db, order.id)
    frozen_clock.advance(seconds=60)
    again = ok(await send(client, app, event))  # re-signed now: a replay, not a forgery
    assert (again["duplicate"], again["outcome"]) == (True, None)
    await relay.drain()
    assert await snapshot(db, order.id) == state


async def test_concurrent_copies_of_one_event_are_applied_once(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    event = event_for(payment)
    answers = await asyncio.gather(*(send(client, app, event) for _ in range(10)))
    assert [a.status_code for a in answers] == [200] * 10
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 9
    await relay.drain()
    state = await snapshot(db, order.id)
    assert state["events"]["commerce.order_paid"] == 1
    assert (state["entitlements"], state["webhooks"]) == (1, 1)


async def test_distinct_success_events_racing_pay_the_order_once(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    answers = await asyncio.gather(*(send(client, app, event_for(payment)) for _ in range(8)))
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["applied"] + ["ignored"] * 7
    await relay.drain()
    state = await snapshot(db, order.id)
    assert state["events"]["commerce.order_paid"] == 1
    assert state["entitlements"] == 1


async def test_an_event_for_an_unknown_payment_is_recorded_and_changes_nothing(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    paying: tuple[OrderRecord, PaymentRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    order, payment = paying
    before = await snapshot(db, order.id)
    answer = ok(await send(client, app, event_for(payment, id="pi_nobodyknows")))
    assert answer["outcome"] == "unknown_payment"
    after = await snapshot(db, order.id)
    assert after == {**before, "webhooks": 1}
    assert '"event": "payment_unknown"' in capsys.readouterr().err


@pytest.mark.parametrize("change", [{"amount": 1}, {"currency": "usd"}])
async def test_an_amount_or_currency_mismatch_is_refused_without_effect(
    change: dict[str, Any],
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    paying: tuple[OrderRecord, PaymentRecord],
    capsys: pytest.CaptureFixture[str],
) -> None:
    order, payment = paying
    before = await snapshot(db, order.id)
    answer = ok(await send(client, app, event_for(payment, **change)))
    assert answer["outcome"] == "mismatch"
    assert await snapshot(db, order.id) == {**before, "webhooks": 1}
    assert '"event": "payment_amount_mismatch"' in capsys.readouterr().err
    async with db.read_session() as session:
        outcome = await session.scalar(sa.select(WebhookEventRecord.outcome))
    assert outcome == "mismatch"


async def test_events_out_of_order_leave_the_payment_succeeded(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    ok(await send(client, app, event_for(payment, "succeeded")))
    late = [
        event_for(payment, "processing"),
        event_for(payment, "payment_failed", last_payment_error={"code": "card_declined"}),
        event_for(payment, "canceled"),
    ]
    for event in late:
        assert ok(await send(client, app, event))["outcome"] == "ignored"
    await relay.drain()
    state = await snapshot(db, order.id)
    assert state["status"] == "paid"
    assert state["payments"] == [("succeeded", payment.amount_minor, 0)]


async def test_a_cancellation_fails_the_order_and_publishes_payment_failed(
    app: FastAPI,
    client: AsyncClient,
    db: Database,
    paying: tuple[OrderRecord, PaymentRecord],
) -> None:
    order, payment = paying
    ok(await send(client, app, event_for(payment, "canceled")))
    state = await snapshot(db, order.id)
    assert state["status"] == "failed"
    assert state["events"].get("commerce.payment_failed") == 1


async def test_unknown_event_types_are_ignored(
    app: FastAPI, client: AsyncClient, db: Database, paying: tuple[OrderRecord, PaymentRecord]
) -> None:
    order, _ = paying
    answer = ok(await send(client, app, build_event("customer.created", {"id": "cus_1"}, utcnow())))
    assert answer["outcome"] == "ignored"
    assert (await snapshot(db, order.id))["status"] == "pending"


async def test_another_gateways_path_or_a_non_json_body_is_refused(
    app: FastAPI, client: AsyncClient
) -> None:
    stripe = await client.post(
        f"{API}/commerce/webhooks/stripe",
        content=b"{}",
        headers={"Content-Type": "application/json"},
    )
    assert stripe.status_code == 404
    assert stripe.json()["error"]["code"] == "unknown_gateway"
    text = await client.post(URL, content=b"x", headers={"Content-Type": "text/plain"})
    assert text.status_code == 415


async def test_the_body_is_verified_before_it_is_parsed(app: FastAPI, client: AsyncClient) -> None:
    response = await client.post(
        URL, content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_webhook"
    assert "signature" in json.dumps(response.json()["error"]["details"])
