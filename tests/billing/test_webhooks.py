"""The gateway's subscription webhooks, signed as the sandbox signs them: a dispute opened on a
subscription's charge suspends it (access ends, no renewal), a dispute won reinstates it and a
lost one expires it; an updated card brings a past-due subscription's retry forward. Every
event is applied once; a delivery that does not verify changes nothing."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from campus.billing.models import Charge, Grant, Subscription, WebhookEvent
from campus.commerce.gateways.sandbox import signature_header
from campus.commerce.models import PaymentMethod
from campus.commerce.settings import sandbox_webhook_secret_of
from campus.kernel.clock import Clock, utcnow
from tests.billing.conftest import API, DECLINED_CARD, BillingFactory, event_names

HOOK = f"{API}/billing/webhooks/sandbox"
START = datetime(2026, 1, 1, tzinfo=UTC)


def body_of(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    event = {
        "id": event_id or f"evt_{uuid.uuid4().hex[:20]}",
        "object": "event",
        "type": kind,
        "created": int(utcnow().timestamp()),
        "data": {"object": obj},
    }
    return json.dumps(event).encode()


async def deliver(billing: BillingFactory, body: bytes, *, secret: str | None = None) -> Any:
    secret = secret or sandbox_webhook_secret_of(billing.settings)
    return await billing.client.post(
        HOOK,
        content=body,
        headers={
            "Stripe-Signature": signature_header(secret, body, int(utcnow().timestamp())),
            "content-type": "application/json",
        },
    )


async def paid_payment_id(billing: BillingFactory, subscription_id: str) -> str:
    async with billing.db.read_session() as session:
        found = await session.scalar(
            sa.select(Charge.gateway_payment_id).where(
                Charge.subscription_id == uuid.UUID(subscription_id)
            )
        )
    assert found is not None
    return str(found)


async def grants(billing: BillingFactory, subscription_id: str) -> int:
    async with billing.db.read_session() as session:
        return int(
            await session.scalar(
                sa.select(sa.func.count())
                .select_from(Grant)
                .where(Grant.subscription_id == uuid.UUID(subscription_id))
            )
            or 0
        )


async def test_a_dispute_suspends_the_subscription_once_and_a_won_dispute_reinstates_it(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    course = await billing.commerce.paid_course()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    enrolled = await billing.client.post(
        f"{API}/billing/courses/{course.id}/enroll", headers=student.headers
    )
    assert enrolled.status_code in (200, 201), enrolled.text
    assert await grants(billing, sub["id"]) == 1
    payment = await paid_payment_id(billing, sub["id"])

    opened = body_of(
        "charge.dispute.created",
        {"id": "dp_1", "object": "dispute", "payment_intent": payment, "status": "needs_response"},
        event_id="evt_dispute_opened",
    )
    first = await deliver(billing, opened)
    assert (first.status_code, first.json()["outcome"], first.json()["duplicate"]) == (
        200,
        "suspended",
        False,
    )
    again = await deliver(billing, opened)
    assert (again.status_code, again.json()["duplicate"]) == (200, True)
    assert (await billing.state(sub["id"]))[1] == "suspended"
    assert await grants(billing, sub["id"]) == 0
    assert (await event_names(billing.db)).count("billing.subscription_suspended") == 1
    # Suspended: the renewal job charges nothing.
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await billing.run_renewals()
    assert [kind for kind, *_ in await billing.charges(sub["id"])] == ["initial"]

    won = body_of(
        "charge.dispute.closed",
        {"id": "dp_1", "object": "dispute", "payment_intent": payment, "status": "won"},
    )
    assert (await deliver(billing, won)).json()["outcome"] == "reinstated"
    assert (await billing.state(sub["id"]))[1] == "active"
    await billing.run_renewals()
    assert [kind for kind, *_ in await billing.charges(sub["id"])] == ["initial", "renewal"]


async def test_a_lost_dispute_expires_and_bad_or_foreign_deliveries_change_nothing(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    payment = await paid_payment_id(billing, sub["id"])
    opened = body_of("charge.dispute.created", {"payment_intent": payment, "status": "open"})

    forged = await deliver(billing, opened, secret="whsec_not_the_secret")
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "invalid_webhook")
    unsigned = await billing.client.post(
        HOOK, content=opened, headers={"content-type": "application/json"}
    )
    assert unsigned.status_code == 400
    other = await billing.client.post(
        f"{API}/billing/webhooks/paypal",
        content=opened,
        headers={"content-type": "application/json"},
    )
    assert (other.status_code, other.json()["error"]["code"]) == (404, "unknown_gateway")
    async with billing.db.read_session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(WebhookEvent)) == 0
    assert (await billing.state(sub["id"]))[1] == "active"

    unknown = body_of("charge.dispute.created", {"payment_intent": "pi_elsewhere"})
    assert (await deliver(billing, unknown)).json()["outcome"] == "unknown_payment"
    assert (await deliver(billing, opened)).json()["outcome"] == "suspended"
    lost = body_of("charge.dispute.closed", {"payment_intent": payment, "status": "lost"})
    assert (await deliver(billing, lost)).json()["outcome"] == "expired"
    assert (await billing.state(sub["id"]))[1] == "expired"


async def test_an_updated_card_brings_a_past_due_retry_forward(
    billing: BillingFactory, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(START)
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    good = await billing.card(student)
    declined = await billing.card(student, DECLINED_CARD)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(good))
    async with billing.db.session() as session:
        row = await session.get(Subscription, uuid.UUID(sub["id"]))
        assert row is not None
        row.payment_method_id = declined
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    await billing.run_renewals()
    assert (await billing.state(sub["id"]))[1] == "past_due"
    async with billing.db.read_session() as session:
        token = await session.scalar(
            sa.select(PaymentMethod.token).where(PaymentMethod.id == declined)
        )
    frozen_clock.freeze(datetime(2026, 2, 1, 6, tzinfo=UTC))
    updated = body_of(
        "payment_method.automatically_updated",
        {
            "id": token,
            "object": "payment_method",
            "card": {"brand": "visa", "last4": "0002", "exp_month": 1, "exp_year": 2031},
        },
    )
    response = await deliver(billing, updated)
    assert response.json()["outcome"] == "retry_scheduled"
    async with billing.db.read_session() as session:
        row = await session.get(Subscription, uuid.UUID(sub["id"]))
        method = await session.get(PaymentMethod, declined)
        assert row is not None
        assert method is not None
        assert row.next_retry_at == datetime(2026, 2, 1, 6, tzinfo=UTC)
        assert (method.exp_month, method.exp_year) == (1, 2031)
    await billing.run_renewals()
    assert [kind for kind, *_ in await billing.charges(sub["id"])] == [
        "initial",
        "renewal",
        "retry",
    ]
