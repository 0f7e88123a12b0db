"""Crash safety of payments (security-tests.md, "after commit but before the event is
relayed", WH-08): a Campus process applies a payment's success (the order is paid, ``OrderPaid``
committed to the outbox) and is SIGKILLed in the middle of fulfilling it, after the first
entitlement was written but before its transaction committed. Once the dead process's lease
runs out, a new app's relay fulfils the order: exactly one entitlement per course, the order
marked fulfilled once; a duplicate delivery afterwards changes nothing."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.events import OrderPaid
from campus.commerce.gateways import sandbox
from campus.commerce.service.fulfilment import FULFIL_HANDLER
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import MessageStatus, OutboxMessage, ProcessedMessage
from tests.commerce.conftest import CommerceFactory
from tests.commerce.payment_helpers import SUCCESS, Browser, place_order, snapshot, start

HELPER = Path(__file__).with_name("crash_payment_helper.py")


async def run_helper(database_url: str, gateway_payment_id: str) -> tuple[int, list[str], str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(HELPER),
        database_url,
        gateway_payment_id,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=120)
    lines = stdout.decode().splitlines()
    assert "SURVIVED" not in lines
    assert process.returncode is not None
    return process.returncode, lines, stderr.decode()


async def test_a_process_killed_between_payment_and_fulfilment_ends_with_one_entitlement(
    app: FastAPI,
    client: AsyncClient,
    commerce: CommerceFactory,
    db: Database,
    relay: Relay,
    database_url: str,
    frozen_clock: Clock,
) -> None:
    buyer = await commerce.buyer()
    courses = [await commerce.paid_course(), await commerce.paid_course()]
    order = await place_order(db, buyer, courses)
    payment = await start(app, order)
    assert (await Browser(client).pay(payment, SUCCESS)).status_code == 303
    async with db.session() as session:  # this test is about the outbox, not the webhook
        await session.execute(
            sa.delete(OutboxMessage).where(OutboxMessage.name == sandbox.DELIVER_JOB)
        )
    assert payment.gateway_payment_id is not None

    returncode, lines, stderr = await run_helper(database_url, payment.gateway_payment_id)
    assert returncode == -signal.SIGKILL, stderr
    assert lines[0] == "PAID status=succeeded"
    assert lines[1].startswith("GRANTED")
    state = await snapshot(db, order.id)
    assert state["status"] == "paid"  # the payment's success was committed before the crash
    assert (state["entitlements"], state["fulfilled_at"]) == (0, None)  # the grant died with it
    async with db.read_session() as session:
        message = (
            await session.execute(
                sa.select(OutboxMessage.status, OutboxMessage.locked_by).where(
                    OutboxMessage.name == OrderPaid.name
                )
            )
        ).one()
        applied = await session.scalar(
            sa.select(sa.func.count())
            .select_from(ProcessedMessage)
            .where(ProcessedMessage.handler == FULFIL_HANDLER)
        )
    assert tuple(message) == (MessageStatus.PROCESSING, "doomed-fulfiller")
    assert applied == 0

    await relay.drain()
    assert (await snapshot(db, order.id))["entitlements"] == 0  # the dead process's lease holds
    frozen_clock.advance(seconds=120)
    assert await relay.drain() >= 1
    recovered = await snapshot(db, order.id)
    assert recovered["entitlements"] == 2
    assert recovered["fulfilled_at"] is not None
    assert recovered["events"]["commerce.order_paid"] == 1

    # A duplicate delivery afterwards is a no-op.
    async with db.session() as session:
        await session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.name == OrderPaid.name)
            .values(status=MessageStatus.PENDING, attempts=0)
        )
        await session.execute(sa.delete(ProcessedMessage))
    assert await relay.drain() >= 1
    assert await snapshot(db, order.id) == recovered
