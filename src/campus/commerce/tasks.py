"""Commerce job handlers: expiring unpaid orders, sweeping idempotency keys."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce import events
from campus.commerce.service import orders, payment_jobs
from campus.config import Settings
from campus.kernel import idempotency
from campus.kernel.outbox import Delivery, HandlerRegistry

#: Unpaid orders are looked at every minute: an order expires at most a minute late.
EXPIRE_EVERY = timedelta(minutes=1)
SWEEP_IDEMPOTENCY_EVERY = timedelta(hours=1)


def register(registry: HandlerRegistry, settings: Settings) -> None:
    async def expire_orders(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: only pending orders past their time move, each once.
        await orders.expire_due(session)

    async def sweep_idempotency_keys(session: AsyncSession, delivery: Delivery) -> None:
        await idempotency.sweep(session)

    registry.periodic(events.EXPIRE_ORDERS_JOB, EXPIRE_EVERY, expire_orders)
    registry.periodic(events.SWEEP_IDEMPOTENCY_JOB, SWEEP_IDEMPOTENCY_EVERY, sweep_idempotency_keys)
    # Payments: fulfilment, refunds, the reconciler and the sandbox gateway's jobs.
    payment_jobs.register(registry, settings)
