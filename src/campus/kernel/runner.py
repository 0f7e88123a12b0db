"""The embedded job runner: one background task in the app process that drains the outbox.

A commit that wrote outbox rows sets ``wake`` (``Database.on_outbox_commit``), so work starts
at once; otherwise the runner polls every ``poll_seconds`` to pick up retries whose backoff has
passed and messages other processes wrote. Stopping is graceful: the message in hand is
finished, the rest of the batch is handed back.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from campus.kernel.jobs import Relay
from campus.kernel.logging import get_logger

log = get_logger("campus.runner")


class InProcessRunner:
    def __init__(
        self, relay: Relay, poll_seconds: float = 1.0, *, stop_timeout: float = 10.0
    ) -> None:
        self.relay = relay
        self.poll_seconds = poll_seconds
        self.stop_timeout = stop_timeout
        self.wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def start(self) -> None:
        self._unsubscribe = self.relay.db.on_outbox_commit(self.wake.set)
        self._task = asyncio.create_task(self._loop(), name="campus-outbox-runner")

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.relay.request_stop()
        self.wake.set()
        task, self._task = self._task, None
        if task is None:
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=self.stop_timeout)
        except TimeoutError:
            log.warning("outbox_runner_stop_timeout", timeout=self.stop_timeout)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        while not self.relay.stopping:
            # Clear before draining: a commit that lands while we drain sets it again, so its
            # message is picked up in the next round instead of waiting for the poll.
            self.wake.clear()
            try:
                await self.relay.drain()
            except Exception:  # keep the runner alive; the message stays due and is retried
                log.exception("outbox_runner_error")
            if self.relay.stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), timeout=self.poll_seconds)
