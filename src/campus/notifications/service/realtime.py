"""Real-time fan-out of new in-app notifications to open Server-Sent Events streams
(docs/adr/0035).

Embedded mode: an in-process hub (a set of queues per user). Scale-out mode
(``CAMPUS_REDIS_URL``): a publisher ``PUBLISH``es on one channel per namespace, and each app
process runs one subscriber task that hands messages to its local hub, so a notification
created by a worker reaches a stream held by any app process. Redis carries only the hint and
the inbox item; the database stays the source of truth (a client that reconnects reads the
inbox)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis

from campus.kernel.logging import get_logger

log = get_logger("campus.notifications.realtime")

#: Messages a slow stream may have waiting before the oldest are dropped.
QUEUE_SIZE = 100


def channel_name(namespace: str) -> str:
    return f"{namespace}:notifications:live"


class Hub:
    """The streams open in this process, by user."""

    def __init__(self) -> None:
        self._streams: dict[uuid.UUID, set[asyncio.Queue[dict[str, Any]]]] = {}

    def open(self, user_id: uuid.UUID) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_SIZE)
        self._streams.setdefault(user_id, set()).add(queue)
        return queue

    def close(self, user_id: uuid.UUID, queue: asyncio.Queue[dict[str, Any]]) -> None:
        queues = self._streams.get(user_id)
        if queues is not None:
            queues.discard(queue)
            if not queues:
                del self._streams[user_id]

    def listeners(self, user_id: uuid.UUID) -> int:
        return len(self._streams.get(user_id, ()))

    def deliver(self, user_id: uuid.UUID, message: dict[str, Any]) -> int:
        delivered = 0
        for queue in list(self._streams.get(user_id, ())):
            if queue.full():
                with contextlib.suppress(asyncio.QueueEmpty):
                    queue.get_nowait()
            queue.put_nowait(message)
            delivered += 1
        return delivered


class Broker:
    """Publishes to, and listens for, new notifications. Without Redis it is the local hub."""

    def __init__(self, redis_url: str = "", namespace: str = "campus") -> None:
        self.hub = Hub()
        self.channel = channel_name(namespace)
        self._redis = aioredis.from_url(redis_url) if redis_url else None
        self._listener: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @property
    def scaled_out(self) -> bool:
        return self._redis is not None

    async def publish(self, user_id: uuid.UUID, message: dict[str, Any]) -> None:
        if self._redis is None:
            self.hub.deliver(user_id, message)
            return
        data = json.dumps({"userId": str(user_id), "message": message}, default=str)
        try:
            await self._redis.publish(self.channel, data)
        except Exception as exc:  # Redis down: the inbox still has it
            log.warning("notification_publish_failed", error=type(exc).__name__)

    async def start(self) -> None:
        """Start listening (scale-out mode); returns once subscribed."""
        if self._redis is None or self._listener is not None:
            return
        self._ready.clear()
        self._listener = asyncio.create_task(self._listen(), name="campus-notifications-live")
        await asyncio.wait_for(self._ready.wait(), timeout=5)

    async def _listen(self) -> None:
        assert self._redis is not None
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._ready.set()
                    async for item in pubsub.listen():
                        if item.get("type") != "message":
                            continue
                        try:
                            data = json.loads(item["data"])
                            self.hub.deliver(uuid.UUID(data["userId"]), data["message"])
                        except (ValueError, KeyError, TypeError):
                            continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # reconnect after a Redis hiccup
                log.warning("notification_listen_failed", error=type(exc).__name__)
                self._ready.set()
                await asyncio.sleep(1)

    async def stream(self, user_id: uuid.UUID) -> AsyncIterator[dict[str, Any]]:
        """The messages for ``user_id`` from now on (until the caller stops iterating)."""
        await self.start()
        queue = self.hub.open(user_id)
        try:
            while True:
                yield await queue.get()
        finally:
            self.hub.close(user_id, queue)

    async def aclose(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._redis is not None:
            await self._redis.aclose()


_BROKERS: dict[tuple[str, str], Broker] = {}


def broker_for(redis_url: str, namespace: str) -> Broker:
    """This process's broker for a Redis URL and namespace (the app's streams and the job
    that publishes share it, so the embedded mode needs no Redis)."""
    key = (redis_url, namespace)
    found = _BROKERS.get(key)
    if found is None:
        found = _BROKERS[key] = Broker(redis_url, namespace)
    return found


async def close_all() -> None:
    brokers = list(_BROKERS.values())
    _BROKERS.clear()
    for broker in brokers:
        await broker.aclose()
