"""The relay: claims due outbox messages and runs their handlers.

Claiming is an atomic conditional update (PostgreSQL adds ``FOR UPDATE SKIP LOCKED`` so many
workers share the table). A claim holds a lease (``locked_until``); a worker that dies
mid-message simply lets the lease run out and another worker picks the message up again. Each
handler commits together with its dedupe row, so redelivery never repeats a visible effect.
Failures back off exponentially; after ``max_attempts`` the message is ``dead``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import cast
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.logging import get_logger
from campus.kernel.outbox import (
    Delivery,
    Handler,
    HandlerRegistry,
    MessageStatus,
    OutboxMessage,
    ProcessedMessage,
)

log = get_logger("campus.jobs")

LEASE_SECONDS = 300
BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 3600.0


def backoff_seconds(attempt: int) -> float:
    """Delay before attempt ``attempt + 1``: 2 s, 4 s, 8 s ... capped at an hour."""
    return float(min(MAX_BACKOFF_SECONDS, BASE_BACKOFF_SECONDS * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class Claimed:
    id: uuid.UUID
    kind: str
    name: str
    payload: dict[str, object]
    attempts: int
    sensitive: bool


class Relay:
    def __init__(
        self,
        db: Database,
        registry: HandlerRegistry,
        *,
        worker_id: str,
        max_attempts: int = 8,
        batch_size: int = 20,
    ) -> None:
        self.db = db
        self.registry = registry
        self.worker_id = worker_id
        self.max_attempts = max_attempts
        self.batch_size = batch_size

    async def claim(self) -> list[Claimed]:
        now = utcnow()
        lease = now + timedelta(seconds=LEASE_SECONDS)
        t = cast(sa.Table, OutboxMessage.__table__)
        due = sa.or_(
            sa.and_(t.c.status == MessageStatus.PENDING, t.c.available_at <= now),
            sa.and_(t.c.status == MessageStatus.PROCESSING, t.c.locked_until < now),
        )
        async with self.db.session() as session:
            ids_query = (
                sa.select(t.c.id)
                .where(due)
                .order_by(t.c.available_at, t.c.id)
                .limit(self.batch_size)
            )
            if not self.db.is_sqlite:
                ids_query = ids_query.with_for_update(skip_locked=True)
            ids = list((await session.execute(ids_query)).scalars())
            if not ids:
                return []
            rows = await session.execute(
                sa.update(t)
                .where(t.c.id.in_(ids), due)
                .values(
                    status=MessageStatus.PROCESSING,
                    locked_by=self.worker_id,
                    locked_until=lease,
                    attempts=t.c.attempts + 1,
                )
                .returning(t.c.id, t.c.kind, t.c.name, t.c.payload, t.c.attempts, t.c.sensitive)
            )
            claimed = [Claimed(*row) for row in rows]
        claimed.sort(key=lambda c: c.id)
        return claimed

    async def run_once(self) -> int:
        """Claim one batch and process it. Returns how many messages were handled."""
        claimed = await self.claim()
        for message in claimed:
            await self.process(message)
        return len(claimed)

    async def drain(self, max_rounds: int = 1000) -> int:
        """Process until nothing is due (tests and the embedded runner use this)."""
        total = 0
        for _ in range(max_rounds):
            handled = await self.run_once()
            if handled == 0:
                break
            total += handled
        return total

    async def process(self, message: Claimed) -> None:
        handlers = self.registry.handlers_for(message.kind, message.name)
        delivery = Delivery(message.id, message.name, dict(message.payload), message.attempts)
        error: str | None = None
        for handler_name, handler in handlers.items():
            try:
                await self._run_handler(handler_name, handler, delivery)
            except Exception as exc:  # a failing handler must not stop the others
                error = f"{handler_name}: {type(exc).__name__}: {exc}"[:2000]
                log.warning(
                    "outbox_handler_failed",
                    message_id=str(message.id),
                    message_name=message.name,
                    handler=handler_name,
                    attempt=message.attempts,
                    error=type(exc).__name__,
                )
        await self._finish(message, error)

    async def _run_handler(self, handler_name: str, handler: Handler, delivery: Delivery) -> None:
        p = cast(sa.Table, ProcessedMessage.__table__)
        async with self.db.session() as session:
            done = await session.scalar(
                sa.select(sa.literal(True)).where(
                    p.c.message_id == delivery.id, p.c.handler == handler_name
                )
            )
            if done:
                return
            await handler(session, delivery)
            session.add(ProcessedMessage(message_id=delivery.id, handler=handler_name))
            try:
                await session.flush()
            except IntegrityError:
                # Another worker applied it first: roll this copy back, it is a no-op.
                await session.rollback()
                return

    async def _finish(self, message: Claimed, error: str | None) -> None:
        t = cast(sa.Table, OutboxMessage.__table__)
        now = utcnow()
        mine = sa.and_(t.c.id == message.id, t.c.locked_by == self.worker_id)
        values: dict[str, object]
        if error is None:
            values = {
                "status": MessageStatus.DONE,
                "processed_at": now,
                "locked_until": None,
                "last_error": None,
            }
            if message.sensitive:
                values["payload"] = {}
        elif message.attempts >= self.max_attempts:
            values = {
                "status": MessageStatus.DEAD,
                "processed_at": now,
                "locked_until": None,
                "last_error": error,
            }
            log.error(
                "outbox_message_dead",
                message_id=str(message.id),
                message_name=message.name,
                attempts=message.attempts,
            )
        else:
            values = {
                "status": MessageStatus.PENDING,
                "available_at": now + timedelta(seconds=backoff_seconds(message.attempts)),
                "locked_until": None,
                "last_error": error,
            }
        async with self.db.session() as session:
            await session.execute(sa.update(t).where(mine).values(**values))
