"""Refund outcomes: a refund whose provider's answer is lost (a timeout after the provider
refunded, or a connection that never reached it) stays ``pending`` with its amount reserved and
is settled by the reconciler with the same idempotency key, once (never forgotten, never made
twice); a refund the provider declines answers 409 ``refund_declined`` and keeps nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.gateways import gateway_of
from campus.commerce.gateways.port import GatewayError, GatewayRefund
from campus.commerce.gateways.sandbox import store_for
from campus.commerce.models import Payment, Refund, SandboxPayment, SandboxRefund
from campus.commerce.service import reconcile
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import enqueue_job
from tests.commerce.conftest import API, CommerceFactory
from tests.commerce.payment_helpers import paid_order, snapshot
from tests.fixtures.catalog import ok


@pytest.fixture
def app(served_app: FastAPI) -> FastAPI:
    return served_app


class _LostAnswers:
    """The app's sandbox gateway, except that a refund's answer never comes back: after the
    provider refunded (``reached``), or before the request reached it."""

    def __init__(self, real: Any, *, reached: bool) -> None:
        self._real = real
        self._reached = reached
        self.asked = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    async def refund(self, gateway_payment_id: str, **kwargs: Any) -> GatewayRefund:
        self.asked += 1
        if self._reached:
            await self._real.refund(gateway_payment_id, **kwargs)
            raise GatewayError("read timeout")
        raise GatewayError("connection reset")


async def _refund_with_lost_answer(
    app: FastAPI,
    client: AsyncClient,
    admin_headers: dict[str, str],
    order_id: uuid.UUID,
    *,
    reached: bool,
) -> dict[str, Any]:
    real = gateway_of(_request_of(app))
    app.state.commerce_gateway = _LostAnswers(real, reached=reached)
    try:
        answer: dict[str, Any] = ok(
            await client.post(
                f"{API}/orders/{order_id}/refunds",
                json={"reason": "lost answer"},
                headers={**admin_headers, "Idempotency-Key": "lost-1"},
            ),
            201,
        )
    finally:
        app.state.commerce_gateway = real
    return answer


def _request_of(app: FastAPI) -> Any:
    class _Request:
        pass

    request = _Request()
    request.app = app  # type: ignore[attr-defined]
    return request


async def _provider_refunds(app: FastAPI, order_id: uuid.UUID) -> list[tuple[str, int]]:
    """The sandbox's own refunds of the order's payment."""
    async with app.state.db.read_session() as session:
        intent = await session.scalar(
            sa.select(Payment.gateway_payment_id).where(Payment.order_id == order_id)
        )
    store = await store_for(app.state.settings)
    async with store.read_session() as session:
        rows = await session.execute(
            sa.select(SandboxRefund.status, SandboxRefund.amount_minor).where(
                SandboxRefund.payment_id == intent
            )
        )
        return sorted((str(r[0]), int(r[1])) for r in rows)


async def _reconcile(db: Database, relay: Relay) -> None:
    async with db.session() as session:
        await enqueue_job(session, reconcile.RECONCILE_JOB, {"scheduledAt": utcnow().isoformat()})
    await relay.drain()


@pytest.mark.parametrize("reached", [True, False], ids=["after_the_refund", "before_it"])
async def test_a_refund_whose_answer_is_lost_stays_pending_and_the_reconciler_settles_it_once(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    relay: Relay,
    db: Database,
    frozen_clock: Clock,
    reached: bool,
) -> None:
    admin = await commerce.admin()
    order = await paid_order(
        app, client, relay, await commerce.buyer(), [await commerce.paid_course()]
    )
    pending = await _refund_with_lost_answer(app, client, admin.headers, order.id, reached=reached)
    assert (pending["status"], pending["gatewayRefundId"]) == ("pending", None)
    assert pending["amountMinor"] == order.total_minor
    state = await snapshot(db, order.id)
    # The order is not refunded yet, but the amount is held: no second refund slips past it.
    assert (state["status"], state["refunded_minor"]) == ("paid", 0)
    assert state["payments"] == [("succeeded", order.total_minor, order.total_minor)]
    another = await client.post(
        f"{API}/orders/{order.id}/refunds",
        json={},
        headers={**admin.headers, "Idempotency-Key": "lost-2"},
    )
    assert ok(another, 409)["error"]["code"] == "refund_exceeds_paid"
    # The same key answers the pending refund again.
    replay = await client.post(
        f"{API}/orders/{order.id}/refunds",
        json={"reason": "lost answer"},
        headers={**admin.headers, "Idempotency-Key": "lost-1"},
    )
    assert ok(replay, 201) == pending

    await _reconcile(db, relay)  # too recent to ask again
    assert (await snapshot(db, order.id))["status"] == "paid"
    frozen_clock.advance(minutes=11)
    await _reconcile(db, relay)
    state = await snapshot(db, order.id)
    assert (state["status"], state["refunded_minor"]) == ("refunded", order.total_minor)
    assert state["events"]["commerce.order_refunded"] == 1
    # The provider refunded once, whether the first ask reached it or not.
    assert await _provider_refunds(app, order.id) == [("succeeded", order.total_minor)]
    async with db.read_session() as session:
        rows = (await session.execute(sa.select(Refund.status, Refund.gateway_refund_id))).all()
    assert [status for status, _ in rows] == ["succeeded"]
    assert str(rows[0][1]).startswith("re_")
    # Later runs change nothing.
    frozen_clock.advance(minutes=11)
    await _reconcile(db, relay)
    assert await _provider_refunds(app, order.id) == [("succeeded", order.total_minor)]
    assert (await snapshot(db, order.id))["events"]["commerce.order_refunded"] == 1


async def test_a_declined_refund_answers_refund_declined_and_keeps_nothing(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, relay: Relay, db: Database
) -> None:
    admin = await commerce.admin()
    order = await paid_order(
        app, client, relay, await commerce.buyer(), [await commerce.paid_course()]
    )
    async with db.read_session() as session:
        intent = await session.scalar(
            sa.select(Payment.gateway_payment_id).where(Payment.order_id == order.id)
        )
    # The provider gave the money back some other way (its dashboard): it declines ours.
    store = await store_for(app.state.settings)
    async with store.session() as session:
        await session.execute(
            sa.update(SandboxPayment)
            .where(SandboxPayment.id == intent)
            .values(refunded_minor=SandboxPayment.amount_minor)
        )
    before = await snapshot(db, order.id)
    headers = {**admin.headers, "Idempotency-Key": "declined-1"}
    declined = await client.post(f"{API}/orders/{order.id}/refunds", json={}, headers=headers)
    body = ok(declined, 409)
    assert body["error"]["code"] == "refund_declined"
    assert body["error"]["details"]["failureCode"] == "amount_too_large"
    assert await snapshot(db, order.id) == before  # nothing reserved, nothing refunded
    async with db.read_session() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(Refund)) == 0
    again = await client.post(f"{API}/orders/{order.id}/refunds", json={}, headers=headers)
    assert ok(again, 409) == body
    assert again.headers.get("idempotent-replayed") == "true"
