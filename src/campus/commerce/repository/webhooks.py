"""Webhook event queries: the record of every verified provider event, deduplicated by the
provider's event id with an insert that conflicts for every later copy."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.models import WebhookEventRecord
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id


async def claim(
    session: AsyncSession, *, gateway: str, event_id: str, provider_type: str, now: datetime
) -> uuid.UUID | None:
    """Record the event; its new id, or None when this event was received before. A
    concurrent copy (PostgreSQL) waits on the first copy's uncommitted row and then finds it
    taken."""
    record_id = new_id()
    result = await session.execute(
        dialect_insert(session, WebhookEventRecord)
        .values(
            id=record_id,
            gateway=gateway,
            event_id=event_id,
            provider_type=provider_type[:100],
            received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["gateway", "event_id"])
    )
    return record_id if rowcount(result) == 1 else None


async def finish(
    session: AsyncSession, record_id: uuid.UUID, *, outcome: str, detail: str | None, now: datetime
) -> None:
    await session.execute(
        sa.update(WebhookEventRecord)
        .where(WebhookEventRecord.id == record_id)
        .values(outcome=outcome, detail=detail[:1000] if detail else None, processed_at=now)
        .execution_options(synchronize_session=False)
    )


async def count(session: AsyncSession, gateway: str | None = None) -> int:
    query = sa.select(sa.func.count()).select_from(WebhookEventRecord)
    if gateway:
        query = query.where(WebhookEventRecord.gateway == gateway)
    return int(await session.scalar(query) or 0)
