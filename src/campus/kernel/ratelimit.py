"""Rate limits on top of the ``limits`` library: in memory by default, Redis when configured.

Every Redis key lives under ``<namespace>:limits:`` so ``reset_all`` (the test harness calls it
between tests) only ever deletes Campus's own counters, never the rest of a shared Redis.

Routes that want ``X-RateLimit-*`` headers either depend on ``rate_limit(...)`` or call
``limiter.hit(...)`` themselves and pass the returned status to ``set_rate_limit_headers``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import cast

from fastapi import Request, Response
from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from campus.kernel.errors import RateLimited


@dataclass(frozen=True, slots=True)
class RateLimitStatus:
    """Where a key stands against one limit after a hit."""

    limit: int
    remaining: int
    reset_after: int

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset_after),
        }


class RateLimiter:
    """Named limits such as ``"5/hour"``; keys are namespaced so tests and tenants never collide."""

    def __init__(self, redis_url: str = "", namespace: str = "campus") -> None:
        self.namespace = namespace
        self.is_redis = bool(redis_url)
        if redis_url:
            uri = redis_url if redis_url.startswith("async+") else "async+" + redis_url
            self.storage = cast(
                Storage,
                storage_from_string(
                    uri, implementation="redispy", key_prefix=f"{namespace}:limits"
                ),
            )
        else:
            self.storage = cast(Storage, storage_from_string("async+memory://"))
        self.strategy = MovingWindowRateLimiter(self.storage)

    @staticmethod
    def item(limit: str) -> RateLimitItem:
        return parse(limit)

    async def hit(self, scope: str, key: str, limit: str, cost: int = 1) -> RateLimitStatus:
        """Count one hit; raise 429 (Retry-After and rate-limit headers) when over the limit."""
        item = parse(limit)
        allowed = await self.strategy.hit(item, self.namespace, scope, key, cost=cost)
        status = await self.status(scope, key, limit)
        if not allowed:
            raise RateLimited(status.reset_after, headers=status.headers())
        return status

    async def check(self, scope: str, key: str, limit: str) -> None:
        """Raise 429 if the limit is already exhausted, without counting a hit."""
        item = parse(limit)
        if not await self.strategy.test(item, self.namespace, scope, key):
            status = await self.status(scope, key, limit)
            raise RateLimited(status.reset_after, headers=status.headers())

    async def status(self, scope: str, key: str, limit: str) -> RateLimitStatus:
        item = parse(limit)
        stats = await self.strategy.get_window_stats(item, self.namespace, scope, key)
        return RateLimitStatus(
            limit=item.amount,
            remaining=max(0, stats.remaining),
            reset_after=max(1, math.ceil(stats.reset_time - time.time())),
        )

    async def retry_after(self, scope: str, key: str, limit: str) -> int:
        return (await self.status(scope, key, limit)).reset_after

    async def clear(self, scope: str, key: str, limit: str) -> None:
        await self.strategy.clear(parse(limit), self.namespace, scope, key)

    async def reset_all(self) -> None:
        """Forget every counter of this namespace (and nothing else)."""
        await self.storage.reset()


def set_rate_limit_headers(response: Response, status: RateLimitStatus) -> None:
    response.headers.update(status.headers())


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def rate_limit(
    scope: str, limit: str, key: Callable[[Request], str] = client_ip
) -> Callable[[Request, Response], Awaitable[RateLimitStatus]]:
    """A dependency that counts one hit per request (by client IP unless ``key`` says
    otherwise) and adds the ``X-RateLimit-*`` headers; over the limit it is a 429::

        @router.post("/things", dependencies=[Depends(rate_limit("things.create", "10/minute"))])
    """

    async def dependency(request: Request, response: Response) -> RateLimitStatus:
        limiter: RateLimiter = request.app.state.limiter
        status = await limiter.hit(scope, key(request), limit)
        set_rate_limit_headers(response, status)
        return status

    return dependency
