"""Transactional outbox: events and jobs are rows written in the caller's transaction.

Writing is all a service does (``campus.kernel.events.publish`` / ``enqueue_job``); the relay
(``campus.kernel.jobs``) delivers them after commit, with retries, backoff and a dead state.
Every handler runs in its own transaction together with a dedupe row keyed by
(message id, handler name), so a redelivered message never has a visible effect twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, ClassVar, Protocol, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import OUTBOX_DIRTY, Base, JSONType
from campus.kernel.ids import new_id


class MessageKind(StrEnum):
    EVENT = "event"
    JOB = "job"


class MessageStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    DEAD = "dead"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (sa.Index("ix_outbox_messages_due", "status", "available_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(sa.String(8))
    name: Mapped[str] = mapped_column(sa.String(120), index=True)
    #: The event's payload version (``campus.kernel.events.Event.version``); 1 for jobs.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(sa.String(12), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    locked_by: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    last_error: Mapped[str | None] = mapped_column(sa.Text, default=None)
    sensitive: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(default=None)


class ProcessedMessage(Base):
    """Dedupe record: handler ``handler`` has applied message ``message_id``."""

    __tablename__ = "outbox_processed"

    message_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handler: Mapped[str] = mapped_column(sa.String(160), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a handler receives: the message id (use it for idempotency), name and payload."""

    id: uuid.UUID
    name: str
    payload: dict[str, Any]
    attempt: int
    version: int = 1


Handler = Callable[[AsyncSession, Delivery], Awaitable[None]]


class TypedEvent(Protocol):
    """What ``HandlerRegistry.on`` needs of an event class (``campus.kernel.events.Event``)."""

    name: ClassVar[str]

    @classmethod
    def parse(cls, payload: dict[str, Any]) -> Any: ...


E = TypeVar("E")


@dataclass
class HandlerRegistry:
    """Who handles what. Events fan out to every subscriber; a job has exactly one handler."""

    subscribers: dict[str, dict[str, Handler]] = field(default_factory=dict)
    jobs: dict[str, Handler] = field(default_factory=dict)
    schedules: dict[str, timedelta] = field(default_factory=dict)
    #: The event class of every typed subscription, by event name.
    event_types: dict[str, type[TypedEvent]] = field(default_factory=dict)

    def on(
        self,
        event: type[E],
        handler_name: str,
        handler: Callable[[AsyncSession, E], Awaitable[None]],
    ) -> None:
        """Subscribe ``handler`` to a typed event: it receives the payload parsed with the
        publisher's class (``campus.kernel.events.Event``). ``handler_name`` is the
        subscriber's stable identity for deduplication (stored with every message it applied),
        so never rename a live handler."""
        event_type = cast("type[TypedEvent]", event)

        async def deliver(session: AsyncSession, delivery: Delivery) -> None:
            await handler(session, cast("E", event_type.parse(delivery.payload)))

        self.event_types[event_type.name] = event_type
        self.subscribe(event_type.name, handler_name, deliver)

    def subscribe(self, event: str, handler_name: str, handler: Handler) -> None:
        """Add a subscriber that receives the raw ``Delivery`` (the kernel's own plumbing and
        its tests; contexts subscribe to typed events with ``on``)."""
        handlers = self.subscribers.setdefault(event, {})
        if handler_name in handlers:
            raise ValueError(f"event {event!r} already has a subscriber named {handler_name!r}")
        handlers[handler_name] = handler

    def job(self, name: str, handler: Handler) -> None:
        if name in self.jobs:
            raise ValueError(f"job {name!r} already has a handler")
        self.jobs[name] = handler

    def periodic(self, name: str, every: timedelta, handler: Handler) -> None:
        """A job the relays enqueue every ``every`` (``campus.kernel.schedule``); the handler
        receives ``{"scheduledAt": iso time}`` and must tolerate running late or twice."""
        self.job(name, handler)
        self.schedules[name] = every

    def handlers_for(self, kind: str, name: str) -> dict[str, Handler]:
        if kind == MessageKind.JOB:
            handler = self.jobs.get(name)
            return {f"job:{name}": handler} if handler else {}
        return dict(self.subscribers.get(name, {}))


def mark_outbox_dirty(session: AsyncSession) -> None:
    """Note that this unit of work wrote outbox rows: ``Database`` wakes the relay (in-process
    runner, Redis wake-up) after its commit."""
    session.info[OUTBOX_DIRTY] = True


async def enqueue_job(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    sensitive: bool = False,
) -> uuid.UUID:
    """Record a job in the caller's transaction. ``sensitive`` payloads are wiped once done."""
    message = OutboxMessage(
        id=new_id(),
        kind=MessageKind.JOB,
        name=name,
        payload=payload,
        available_at=run_at or utcnow(),
        sensitive=sensitive,
    )
    session.add(message)
    if run_at is None or run_at <= utcnow():
        # A job due later is found by the relay's regular poll; waking it now would only make
        # it look, find nothing due, and go back to sleep.
        mark_outbox_dirty(session)
    return message.id


# --------------------------------------------------------------------------- housekeeping

PURGE_JOB = "kernel.purge_outbox"
PURGE_EVERY = timedelta(hours=1)
_PURGE_CHUNK = 5000


async def purge_delivered(session: AsyncSession, delivered_before: datetime) -> int:
    """Delete messages delivered before ``delivered_before`` and their dedupe records (a
    delivered message is never redelivered, so its dedupe rows have nothing left to guard).
    Dead messages stay for operators. At most ``_PURGE_CHUNK`` messages per call."""
    ids = (
        sa.select(OutboxMessage.id)
        .where(
            OutboxMessage.status == MessageStatus.DONE,
            OutboxMessage.processed_at < delivered_before,
        )
        .limit(_PURGE_CHUNK)
    )
    chosen = list((await session.execute(ids)).scalars())
    if not chosen:
        return 0
    await session.execute(
        sa.delete(ProcessedMessage).where(ProcessedMessage.message_id.in_(chosen))
    )
    await session.execute(sa.delete(OutboxMessage).where(OutboxMessage.id.in_(chosen)))
    return len(chosen)


def register(registry: HandlerRegistry, retention: timedelta) -> None:
    """The kernel's own periodic job: keep the outbox the size of recent traffic."""

    async def purge(session: AsyncSession, delivery: Delivery) -> None:
        del delivery
        purged = await purge_delivered(session, utcnow() - retention)
        if purged == _PURGE_CHUNK:
            # More left: take the next chunk in a job of its own (short transactions).
            await enqueue_job(session, PURGE_JOB, {"continued": True})

    registry.periodic(PURGE_JOB, PURGE_EVERY, purge)
