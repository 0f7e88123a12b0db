"""Gateway events billing received, and the charge a disputed payment was."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.models import Charge, Subscription, WebhookEvent
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount


async def claim(session: AsyncSession, gateway: str, event_id: str, provider_type: str) -> bool:
    """Record the event; False when it was received before (the key decides)."""
    statement = (
        dialect_insert(session, WebhookEvent)
        .values(
            gateway=gateway,
            event_id=event_id,
            provider_type=provider_type[:120],
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["gateway", "event_id"])
    )
    return rowcount(await session.execute(statement)) == 1


async def finish(
    session: AsyncSession,
    gateway: str,
    event_id: str,
    outcome: str,
    subscription_id: uuid.UUID | None,
) -> None:
    await session.execute(
        sa.update(WebhookEvent)
        .where(WebhookEvent.gateway == gateway, WebhookEvent.event_id == event_id)
        .values(outcome=outcome, subscription_id=subscription_id)
    )


async def paid_charge_of(
    session: AsyncSession, gateway: str, gateway_payment_id: str
) -> Charge | None:
    """The successful subscription charge the gateway knows as ``gateway_payment_id``."""
    return await session.scalar(
        sa.select(Charge)
        .where(
            Charge.gateway == gateway,
            Charge.gateway_payment_id == gateway_payment_id,
            Charge.status == "succeeded",
            Charge.kind != "refund",
        )
        .limit(1)
    )


async def retry_past_due_now(
    session: AsyncSession, method_ids: list[uuid.UUID], now: datetime
) -> int:
    """Bring the next dunning retry of the past-due subscriptions charged to ``method_ids``
    forward to ``now``; how many moved."""
    result = await session.execute(
        sa.update(Subscription)
        .where(
            Subscription.payment_method_id.in_(method_ids),
            Subscription.status == "past_due",
            Subscription.next_retry_at.is_not(None),
        )
        .values(next_retry_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
