"""A small cache port: in memory by default, Redis when ``CAMPUS_REDIS_URL`` is set.

Both keep a key's expiry across ``incr``. The memory cache reads time from
``campus.kernel.clock`` so tests expire entries by advancing the clock, not by sleeping.
Redis keys live under ``<namespace>:cache:``.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

import redis.asyncio as aioredis

from campus.kernel.clock import utcnow

_FOREVER = 10 * 365 * 86400


class Cache(Protocol):
    async def get(self, key: str) -> bytes | None: ...
    async def get_many(self, *keys: str) -> list[bytes | None]:
        """The values of ``keys``, in order (one round trip on Redis)."""
        ...

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def incr(self, key: str) -> int: ...
    async def clear(self) -> None:
        """Drop every entry this cache owns (its namespace on Redis)."""
        ...

    async def close(self) -> None: ...


def _now() -> float:
    return utcnow().timestamp()


class MemoryCache:
    """A least-recently-used cache bounded by entry count and by the bytes of its values
    (whole responses can be tens of KB each). Expired entries are dropped when read."""

    def __init__(self, max_entries: int = 10_000, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._max = max_entries
        self._max_bytes = max_bytes
        self._bytes = 0

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._data)

    def _drop(self, key: str) -> None:
        entry = self._data.pop(key, None)
        if entry is not None:
            self._bytes -= len(entry[1])

    async def get(self, key: str) -> bytes | None:
        return self._read(key)

    async def get_many(self, *keys: str) -> list[bytes | None]:
        return [self._read(key) for key in keys]

    def _read(self, key: str) -> bytes | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        expires, value = entry
        if expires <= _now():
            self._drop(key)
            return None
        self._data.move_to_end(key)
        return value

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._put(key, _now() + ttl_seconds, value)

    def _put(self, key: str, expires: float, value: bytes) -> None:
        self._drop(key)
        if len(value) > self._max_bytes:
            return  # larger than the whole cache: not worth evicting everything for
        while self._data and (
            len(self._data) >= self._max or self._bytes + len(value) > self._max_bytes
        ):
            self._drop(next(iter(self._data)))  # least recently used first
        self._data[key] = (expires, value)
        self._bytes += len(value)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._drop(key)

    async def incr(self, key: str) -> int:
        current = await self.get(key)
        value = int(current or b"0") + 1
        expires = self._data[key][0] if current is not None else _now() + _FOREVER
        self._put(key, expires, str(value).encode())
        return value

    async def clear(self) -> None:
        self._data.clear()
        self._bytes = 0

    async def close(self) -> None:
        await self.clear()


class RedisCache:
    def __init__(self, url: str, namespace: str = "campus") -> None:
        self._redis = aioredis.from_url(url)
        self._ns = namespace

    def _k(self, key: str) -> str:
        return f"{self._ns}:cache:{key}"

    async def get(self, key: str) -> bytes | None:
        value = await self._redis.get(self._k(key))
        if value is None or isinstance(value, bytes):
            return value
        return str(value).encode()

    async def get_many(self, *keys: str) -> list[bytes | None]:
        values = await self._redis.mget([self._k(key) for key in keys])
        return [v if v is None or isinstance(v, bytes) else str(v).encode() for v in values]

    async def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        await self._redis.set(self._k(key), value, ex=ttl_seconds)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*(self._k(k) for k in keys))

    async def incr(self, key: str) -> int:
        value: int = await self._redis.incr(self._k(key))
        return value

    async def clear(self) -> None:
        keys = [key async for key in self._redis.scan_iter(match=self._k("*"), count=500)]
        if keys:
            await self._redis.delete(*keys)

    async def close(self) -> None:
        await self._redis.aclose()


def make_cache(redis_url: str, namespace: str = "campus", memory_max_mb: int = 64) -> Cache:
    if redis_url:
        return RedisCache(redis_url, namespace)
    return MemoryCache(max_bytes=memory_max_mb * 1024 * 1024)
