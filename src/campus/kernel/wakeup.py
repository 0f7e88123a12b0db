"""Redis wake-ups for outbox workers (scale-out). The database stays the source of truth.

After a commit that wrote outbox rows, the writer pushes a token onto a tiny Redis list
(``LPUSH`` + ``LTRIM``); idle workers wait on it with ``BLPOP`` (timeout = the poll interval)
instead of sleeping. A lost or extra token costs at most one poll interval or one empty claim:
Redis never carries a message, only the hint that there is one (docs/adr/0002).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import redis.asyncio as aioredis

from campus.kernel.logging import get_logger

log = get_logger("campus.wakeup")

#: Tokens kept in the list at most: enough to wake a few idle workers, never a backlog.
MAX_TOKENS = 16


def wake_key(namespace: str) -> str:
    return f"{namespace}:outbox:wake"


class RedisWakeup:
    def __init__(self, redis_url: str, namespace: str = "campus") -> None:
        self.key = wake_key(namespace)
        self._redis = aioredis.from_url(redis_url)
        self._pending: set[asyncio.Task[None]] = set()
        self._scheduled = False

    # ------------------------------------------------------------------ writer side

    def notify(self) -> None:
        """Schedule a wake-up. Synchronous and cheap: called from inside a commit
        (``Database.on_outbox_commit``). Bursts of commits coalesce into one push."""
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no loop (a synchronous script): workers will poll
            return
        self._scheduled = True
        task = loop.create_task(self._push(), name="campus-outbox-wakeup")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _push(self) -> None:
        self._scheduled = False
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.lpush(self.key, "1")
                pipe.ltrim(self.key, 0, MAX_TOKENS - 1)
                await pipe.execute()
        except Exception as exc:  # Redis down: workers still find the rows by polling
            log.warning("outbox_wakeup_push_failed", error=type(exc).__name__)

    # ------------------------------------------------------------------ worker side

    async def wait(self, seconds: float, stop: asyncio.Event | None = None) -> bool:
        """Wait up to ``seconds`` for a wake-up (or until ``stop`` is set). True when woken.

        ``BLPOP`` itself carries the timeout (a blocking server-side wait, not a client sleep).
        """
        blpop: asyncio.Future[Any] = asyncio.ensure_future(
            self._redis.blpop([self.key], timeout=seconds)
        )
        waiters: set[asyncio.Future[Any]] = {blpop}
        if stop is not None:
            waiters.add(asyncio.ensure_future(stop.wait()))
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for future in waiters:
                if not future.done():
                    future.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await future
        if blpop not in done:
            return False
        try:
            return blpop.result() is not None
        except Exception as exc:  # Redis down: fall back to polling, without a hot loop
            log.warning("outbox_wakeup_wait_failed", error=type(exc).__name__)
            if stop is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=seconds)
            else:
                await asyncio.sleep(seconds)
            return False

    async def aclose(self) -> None:
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._redis.aclose()
