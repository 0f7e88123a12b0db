"""Periodic jobs: housekeeping that runs every so often on whichever process gets there first.

A context registers one with ``registry.periodic(name, every=timedelta(...), handler)``; the
handler is an ordinary job handler. Each schedule is a row of ``kernel_schedules`` with the time
it is next due. The relay of the embedded runner and of every ``campus worker`` calls
``Scheduler.tick()`` now and then: for every due schedule it moves ``next_run_at`` forward with
a *conditional* update (``WHERE next_run_at <= now``) and, only if that update hit the row,
enqueues the job in the same transaction. However many processes tick at once, one of them wins
each period, and the job itself goes through the outbox (retries, dead state, dedupe).

A schedule that has no row yet (a fresh installation, a newly added job) is due at once; after
that it runs ``every`` after the tick that enqueued it (no catch-up burst after downtime).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, Database
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job

log = get_logger("campus.schedule")


class ScheduleEntry(Base):
    __tablename__ = "kernel_schedules"

    name: Mapped[str] = mapped_column(sa.String(120), primary_key=True)
    next_run_at: Mapped[datetime]
    last_enqueued_at: Mapped[datetime | None] = mapped_column(default=None)


def _table() -> sa.Table:
    return cast(sa.Table, ScheduleEntry.__table__)


class Scheduler:
    """Enqueues the registered periodic jobs when they are due (see the module docstring)."""

    def __init__(self, db: Database, schedules: Mapping[str, timedelta]) -> None:
        for name, every in schedules.items():
            if every <= timedelta(0):
                raise ValueError(f"periodic job {name!r} needs a positive interval")
        self.db = db
        self.schedules = dict(schedules)
        self._next_check: datetime | None = None
        self._last_check: datetime | None = None

    def should_tick(self, now: datetime) -> bool:
        """Whether a tick could find anything due. Cheap (no query): the relay asks before
        every batch. A clock that went backwards (tests drive it) forces a check."""
        if not self.schedules:
            return False
        if self._next_check is None or self._last_check is None:
            return True
        return now >= self._next_check or now < self._last_check

    async def tick(self, now: datetime | None = None) -> list[str]:
        """Enqueue every due job once; return the names enqueued by this call."""
        if not self.schedules:
            return []
        now = now or utcnow()
        t = _table()
        enqueued: list[str] = []
        async with self.db.session() as session:
            insert = postgresql.insert(t) if not self.db.is_sqlite else sqlite.insert(t)
            await session.execute(
                insert.values(
                    [{"name": name, "next_run_at": now} for name in self.schedules]
                ).on_conflict_do_nothing(index_elements=[t.c.name])
            )
            for name, every in sorted(self.schedules.items()):
                result = await session.execute(
                    sa.update(t)
                    .where(t.c.name == name, t.c.next_run_at <= now)
                    .values(next_run_at=now + every, last_enqueued_at=now)
                )
                if cast(CursorResult[Any], result).rowcount == 1:
                    await enqueue_job(session, name, {"scheduledAt": now.isoformat()})
                    enqueued.append(name)
            rows = await session.execute(
                sa.select(sa.func.min(t.c.next_run_at)).where(t.c.name.in_(self.schedules))
            )
            self._next_check = rows.scalar_one_or_none()
        self._last_check = now
        if enqueued:
            log.info("periodic_jobs_enqueued", jobs=enqueued)
        return enqueued
