"""The embedded job runner: one background task in the app process that drains the outbox.

A commit that wrote outbox rows sets ``wake`` (SQLAlchemy ``after_commit`` hook), so work starts
at once; otherwise the runner polls every ``poll_seconds`` to pick up retries whose backoff has
passed and messages other processes wrote.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy import event
from sqlalchemy.orm import Session

from campus.kernel.jobs import Relay
from campus.kernel.logging import get_logger

log = get_logger("campus.runner")


class InProcessRunner:
    def __init__(self, relay: Relay, poll_seconds: float = 1.0) -> None:
        self.relay = relay
        self.poll_seconds = poll_seconds
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def _after_commit(self, session: Session) -> None:
        if session.info.pop("outbox_dirty", False):
            self.wake.set()

    def start(self) -> None:
        event.listen(Session, "after_commit", self._after_commit)
        self._task = asyncio.create_task(self._loop(), name="campus-outbox-runner")

    async def stop(self) -> None:
        self._stopping = True
        event.remove(Session, "after_commit", self._after_commit)
        if self._task is not None:
            self.wake.set()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self.relay.drain()
            except Exception:  # keep the runner alive; the message stays due and is retried
                log.exception("outbox_runner_error")
            self.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)
