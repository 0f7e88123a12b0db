"""The relay: claims due outbox messages and runs their handlers.

Claiming is an atomic conditional update (PostgreSQL adds ``FOR UPDATE SKIP LOCKED`` so many
workers share the table). A claim holds a lease (``locked_until``); a worker that dies
mid-message simply lets the lease run out and another worker picks the message up again.

Every claim increments ``attempts``, so ``(id, attempts)`` names one claim: a relay only ever
finishes, renews or releases its own claim, never one a later relay made after the lease ran out.

Each handler runs in its own unit of work that first inserts its dedupe row
(message id, handler name) and then applies the handler, so a redelivered message never has a
visible effect twice: a second copy either sees the committed row and skips, or (PostgreSQL)
waits on the first copy's uncommitted row and then finds it taken. Failures back off
exponentially; after ``max_attempts`` the message is ``dead`` and keeps its ``last_error``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.logging import get_logger
from campus.kernel.outbox import (
    Delivery,
    Handler,
    HandlerRegistry,
    MessageKind,
    MessageStatus,
    OutboxMessage,
    ProcessedMessage,
)
from campus.kernel.schedule import Scheduler

log = get_logger("campus.jobs")

LEASE_SECONDS = 300
BASE_BACKOFF_SECONDS = 2.0
MAX_BACKOFF_SECONDS = 3600.0
_ERROR_LIMIT = 2000


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
    claimed_at: datetime
    version: int = 1


def _table() -> sa.Table:
    return cast(sa.Table, OutboxMessage.__table__)


class Relay:
    def __init__(
        self,
        db: Database,
        registry: HandlerRegistry,
        *,
        worker_id: str,
        max_attempts: int = 8,
        batch_size: int = 20,
        lease_seconds: float = LEASE_SECONDS,
        scheduler: Scheduler | None = None,
    ) -> None:
        self.db = db
        self.registry = registry
        self.worker_id = worker_id[:64]
        self.max_attempts = max_attempts
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.scheduler = scheduler
        self._stop_requested = False

    # ------------------------------------------------------------------ lifecycle

    def request_stop(self) -> None:
        """Graceful stop: finish the message in hand, hand the rest of the batch back, claim
        nothing more. Safe to call from a signal handler (it only sets a flag)."""
        self._stop_requested = True

    @property
    def stopping(self) -> bool:
        return self._stop_requested

    # ------------------------------------------------------------------ claiming

    def _due(self, now: datetime) -> sa.ColumnElement[bool]:
        t = _table()
        return sa.or_(
            sa.and_(t.c.status == MessageStatus.PENDING, t.c.available_at <= now),
            sa.and_(t.c.status == MessageStatus.PROCESSING, t.c.locked_until < now),
        )

    @staticmethod
    def _mine(message: Claimed) -> sa.ColumnElement[bool]:
        t = _table()
        return sa.and_(
            t.c.id == message.id,
            t.c.attempts == message.attempts,
            t.c.status == MessageStatus.PROCESSING,
        )

    async def claim(self) -> list[Claimed]:
        if self._stop_requested:
            return []
        now = utcnow()
        lease = now + timedelta(seconds=self.lease_seconds)
        t = _table()
        due = self._due(now)
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
                .returning(
                    t.c.id,
                    t.c.kind,
                    t.c.name,
                    t.c.payload,
                    t.c.attempts,
                    t.c.sensitive,
                    t.c.version,
                )
            )
            claimed = [
                Claimed(
                    id=row.id,
                    kind=row.kind,
                    name=row.name,
                    payload=dict(row.payload or {}),
                    attempts=row.attempts,
                    sensitive=row.sensitive,
                    claimed_at=now,
                    version=row.version,
                )
                for row in rows
            ]
        claimed.sort(key=lambda c: c.id)
        return claimed

    async def release(self, messages: Sequence[Claimed]) -> None:
        """Hand claimed messages that were not started back to the queue (not an attempt)."""
        if not messages:
            return
        t = _table()
        async with self.db.session() as session:
            for message in messages:
                await session.execute(
                    sa.update(t)
                    .where(self._mine(message))
                    .values(
                        status=MessageStatus.PENDING,
                        locked_until=None,
                        locked_by=None,
                        attempts=t.c.attempts - 1,
                    )
                )

    async def _still_mine(self, message: Claimed) -> bool:
        """Renew the lease when half of it is gone (a slow batch), and say whether the claim
        still holds; if another relay reclaimed the message meanwhile, leave it alone."""
        now = utcnow()
        if now - message.claimed_at < timedelta(seconds=self.lease_seconds / 2):
            return True
        t = _table()
        async with self.db.session() as session:
            result = await session.execute(
                sa.update(t)
                .where(self._mine(message))
                .values(locked_until=now + timedelta(seconds=self.lease_seconds))
            )
        if cast(CursorResult[Any], result).rowcount == 0:
            log.info("outbox_claim_lost", message_id=str(message.id), message_name=message.name)
            return False
        return True

    # ------------------------------------------------------------------ running

    async def run_once(self) -> int:
        """Enqueue due periodic jobs (with a scheduler), then claim one batch and process it.
        Returns how many messages were handled."""
        scheduler = self.scheduler
        if scheduler is not None and not self._stop_requested and scheduler.should_tick(utcnow()):
            await scheduler.tick()
        claimed = await self.claim()
        handled = 0
        for index, message in enumerate(claimed):
            if self._stop_requested:
                await self.release(claimed[index:])
                break
            await self.process(message)
            handled += 1
        return handled

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
        if message.attempts > self.max_attempts:
            # Claimed again after its lease ran out more often than allowed: whatever handles
            # it keeps dying (a poison message). Park it instead of killing workers forever.
            await self._finish(
                message,
                f"the lease ran out {message.attempts - 1} times without a result "
                "(the worker handling it died or hung)",
            )
            return
        if not await self._still_mine(message):
            return
        handlers = self.registry.handlers_for(message.kind, message.name)
        errors: list[str] = []
        if not handlers and message.kind == MessageKind.JOB:
            errors.append(f"no handler is registered for job {message.name!r}")
            log.error("outbox_job_without_handler", message_id=str(message.id), job=message.name)
        delivery = Delivery(
            message.id, message.name, dict(message.payload), message.attempts, message.version
        )
        for handler_name, handler in handlers.items():
            try:
                await self._run_handler(handler_name, handler, delivery)
            except Exception as exc:  # a failing handler must not stop the others
                errors.append(f"{handler_name}: {type(exc).__name__}: {exc}")
                log.warning(
                    "outbox_handler_failed",
                    message_id=str(message.id),
                    message_name=message.name,
                    handler=handler_name,
                    attempt=message.attempts,
                    error=type(exc).__name__,
                    exc_info=True,
                )
        await self._finish(message, "; ".join(errors)[:_ERROR_LIMIT] if errors else None)

    async def _run_handler(self, handler_name: str, handler: Handler, delivery: Delivery) -> bool:
        """Apply one handler in its own unit of work; ``False`` when it was already applied."""
        p = cast(sa.Table, ProcessedMessage.__table__)
        async with self.db.session() as session:
            done = await session.scalar(
                sa.select(sa.literal(True)).where(
                    p.c.message_id == delivery.id, p.c.handler == handler_name
                )
            )
            if done:
                return False
            # Take the dedupe slot before running the handler: a second copy of the message
            # (a reclaimed lease) blocks here on the first copy's uncommitted row and then gets
            # an IntegrityError, so neither its database writes nor its side effects happen.
            session.add(ProcessedMessage(message_id=delivery.id, handler=handler_name))
            try:
                await session.flush()
            except IntegrityError:
                await session.rollback()
                return False
            await handler(session, delivery)
        return True

    async def _finish(self, message: Claimed, error: str | None) -> None:
        t = _table()
        now = utcnow()
        values: dict[str, object]
        if error is None:
            values = {
                "status": MessageStatus.DONE,
                "processed_at": now,
                "locked_until": None,
                "last_error": None,
            }
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
        if message.sensitive and values["status"] != MessageStatus.PENDING:
            values["payload"] = {}
        async with self.db.session() as session:
            result = await session.execute(sa.update(t).where(self._mine(message)).values(**values))
        if cast(CursorResult[Any], result).rowcount == 0:
            # Another relay reclaimed it after our lease ran out; its result stands.
            log.info("outbox_claim_lost", message_id=str(message.id), message_name=message.name)
