"""Idempotency keys: a client-chosen ``Idempotency-Key`` makes a retried write safe.

The first request with a key claims it (an insert that conflicts for every later one), runs,
and stores its response (status and body, an error too). A later request with the same key
and the same body gets that stored response again; with another body it is a 422
``idempotency_key_reused``; while the first is still running it is a 409
``idempotency_in_flight``. Keys are scoped (a user id, or ``anon:<ip>``) so two callers never
share one, and kept for a configurable time, after which a periodic sweep deletes them.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, rowcount


class IdempotencyKey(Base):
    """One claimed key. ``state`` is ``in_flight`` until the response is stored (``done``)."""

    __tablename__ = "kernel_idempotency_keys"
    __table_args__ = (sa.Index("ix_kernel_idempotency_keys_expires", "expires_at"),)

    scope: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    method_path: Mapped[str] = mapped_column(sa.String(300))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10), default="in_flight")
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


async def sweep(session: AsyncSession, *, limit: int = 5000) -> int:
    """Delete up to ``limit`` keys past their time; returns how many."""
    now = utcnow()
    expired = (
        sa.select(IdempotencyKey.scope, IdempotencyKey.key)
        .where(IdempotencyKey.expires_at <= now)
        .limit(limit)
    )
    result = await session.execute(
        sa.delete(IdempotencyKey)
        .where(sa.tuple_(IdempotencyKey.scope, IdempotencyKey.key).in_(expired))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)
