"""Commerce job handlers: expiring unpaid orders, sweeping idempotency keys and abandoned
anonymous carts."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce import events
from campus.commerce.service import cart, invoices, orders, payment_jobs, payouts
from campus.config import Settings
from campus.kernel import idempotency
from campus.kernel.outbox import Delivery, HandlerRegistry

#: Unpaid orders are looked at every minute: an order expires at most a minute late.
EXPIRE_EVERY = timedelta(minutes=1)
SWEEP_IDEMPOTENCY_EVERY = timedelta(hours=1)
SWEEP_CARTS_EVERY = timedelta(hours=6)


def register(registry: HandlerRegistry, settings: Settings) -> None:
    async def expire_orders(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: only pending orders past their time move, each once.
        await orders.expire_due(session)

    async def sweep_idempotency_keys(session: AsyncSession, delivery: Delivery) -> None:
        await idempotency.sweep(session)

    registry.periodic(events.EXPIRE_ORDERS_JOB, EXPIRE_EVERY, expire_orders)
    registry.periodic(events.SWEEP_IDEMPOTENCY_JOB, SWEEP_IDEMPOTENCY_EVERY, sweep_idempotency_keys)

    async def sweep_anonymous_carts(session: AsyncSession, delivery: Delivery) -> None:
        await cart.sweep_anonymous(session)

    registry.periodic(events.SWEEP_CARTS_JOB, SWEEP_CARTS_EVERY, sweep_anonymous_carts)
    # Payments: fulfilment, refunds, the reconciler and the sandbox gateway's jobs.
    payment_jobs.register(registry, settings)

    # Invoices and credit notes (with their ledger postings), and instructor payouts.
    async def issue_invoice(session: AsyncSession, event: events.OrderPaid) -> None:
        await invoices.on_order_paid(session, settings, event)

    async def issue_credit_note(session: AsyncSession, event: events.OrderRefunded) -> None:
        await invoices.on_order_refunded(session, settings, event)

    async def run_payouts(session: AsyncSession, delivery: Delivery) -> None:
        await payouts.run_due(session, settings)

    async def execute_payout(session: AsyncSession, delivery: Delivery) -> None:
        payout_id = uuid.UUID(str(delivery.payload["payoutId"]))
        await payouts.execute(session, payouts.provider_for(settings), payout_id)

    registry.on(events.OrderPaid, "commerce.issue_invoice", issue_invoice)
    registry.on(events.OrderRefunded, "commerce.issue_credit_note", issue_credit_note)
    registry.periodic(events.RUN_PAYOUTS_JOB, payouts.RUN_EVERY, run_payouts)
    registry.job(events.EXECUTE_PAYOUT_JOB, execute_payout)
