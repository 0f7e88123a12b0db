"""Rate limits on top of the ``limits`` library: in memory by default, Redis when configured."""

from __future__ import annotations

import math
import time
from typing import cast

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from campus.kernel.errors import RateLimited


class RateLimiter:
    """Named limits such as ``"5/hour"``; keys are namespaced so tests and tenants never collide."""

    def __init__(self, redis_url: str = "", namespace: str = "campus") -> None:
        if redis_url:
            uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        else:
            uri = "async+memory://"
        self.storage = cast(Storage, storage_from_string(uri))
        self.strategy = MovingWindowRateLimiter(self.storage)
        self.namespace = namespace

    @staticmethod
    def item(limit: str) -> RateLimitItem:
        return parse(limit)

    async def hit(self, scope: str, key: str, limit: str, cost: int = 1) -> None:
        """Count one hit; raise 429 with Retry-After when the limit is exceeded."""
        item = parse(limit)
        if not await self.strategy.hit(item, self.namespace, scope, key, cost=cost):
            raise RateLimited(await self.retry_after(scope, key, limit))

    async def check(self, scope: str, key: str, limit: str) -> None:
        """Raise 429 if the limit is already exhausted, without counting a hit."""
        item = parse(limit)
        if not await self.strategy.test(item, self.namespace, scope, key):
            raise RateLimited(await self.retry_after(scope, key, limit))

    async def retry_after(self, scope: str, key: str, limit: str) -> int:
        stats = await self.strategy.get_window_stats(parse(limit), self.namespace, scope, key)
        return max(1, math.ceil(stats.reset_time - time.time()))

    async def clear(self, scope: str, key: str, limit: str) -> None:
        await self.strategy.clear(parse(limit), self.namespace, scope, key)

    async def reset_all(self) -> None:
        await self.storage.reset()
