"""Rate limits and the cache, on both backends (memory always; Redis when
CAMPUS_TEST_REDIS_URL is set). Redis tests use their own key namespace and clean it up."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis
from httpx import AsyncClient

from campus.kernel.cache import Cache, MemoryCache, RedisCache
from campus.kernel.clock import Clock
from campus.kernel.errors import RateLimited
from campus.kernel.ratelimit import RateLimiter
from tests.conftest import TEST_REDIS_URL
from tests.kernel.conftest import requires_redis
from tests.kernel.routes import PREFIX

BACKENDS = [
    pytest.param("memory", id="memory"),
    pytest.param("redis", id="redis", marks=requires_redis),
]


@pytest.fixture
def namespace() -> str:
    return f"campus-kernel-test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    if not TEST_REDIS_URL:
        pytest.skip("Redis backend not tested: set CAMPUS_TEST_REDIS_URL")
    client = aioredis.from_url(TEST_REDIS_URL)
    try:
        yield client
    finally:
        await client.aclose()


async def _delete_namespace(namespace: str) -> None:
    client = aioredis.from_url(TEST_REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=BACKENDS)
async def limiter(request: pytest.FixtureRequest, namespace: str) -> AsyncIterator[RateLimiter]:
    redis_url = TEST_REDIS_URL if request.param == "redis" else ""
    rate_limiter = RateLimiter(redis_url, namespace=namespace)
    try:
        yield rate_limiter
    finally:
        await rate_limiter.reset_all()
        if redis_url:
            await _delete_namespace(namespace)


@pytest.fixture(params=BACKENDS)
async def cache(request: pytest.FixtureRequest, namespace: str) -> AsyncIterator[Cache]:
    backend: Cache = (
        RedisCache(TEST_REDIS_URL, namespace) if request.param == "redis" else MemoryCache()
    )
    try:
        yield backend
    finally:
        await backend.close()
        if request.param == "redis":
            await _delete_namespace(namespace)


# --------------------------------------------------------------------------- rate limits


async def test_hits_within_the_limit_pass_and_report_what_remains(limiter: RateLimiter) -> None:
    first = await limiter.hit("login", "ada@example.com", "3/minute")
    second = await limiter.hit("login", "ada@example.com", "3/minute")
    assert (first.limit, first.remaining) == (3, 2)
    assert second.remaining == 1
    assert 0 < second.reset_after <= 60
    assert second.headers()["X-RateLimit-Limit"] == "3"


async def test_hit_over_the_limit_raises_429_with_retry_after_and_headers(
    limiter: RateLimiter,
) -> None:
    for _ in range(2):
        await limiter.hit("reset", "ip-1", "2/hour")
    with pytest.raises(RateLimited) as info:
        await limiter.hit("reset", "ip-1", "2/hour")
    error = info.value
    assert error.status_code == 429
    assert 0 < error.retry_after <= 3600
    assert error.headers["Retry-After"] == str(error.retry_after)
    assert error.headers["X-RateLimit-Limit"] == "2"
    assert error.headers["X-RateLimit-Remaining"] == "0"


async def test_limits_are_separate_per_scope_and_key(limiter: RateLimiter) -> None:
    await limiter.hit("login", "a", "1/minute")
    await limiter.hit("login", "b", "1/minute")
    await limiter.hit("verify", "a", "1/minute")
    with pytest.raises(RateLimited):
        await limiter.hit("login", "a", "1/minute")


async def test_check_does_not_count_and_clear_forgets(limiter: RateLimiter) -> None:
    await limiter.check("mfa", "u1", "1/minute")
    await limiter.check("mfa", "u1", "1/minute")
    await limiter.hit("mfa", "u1", "1/minute")
    with pytest.raises(RateLimited):
        await limiter.check("mfa", "u1", "1/minute")
    await limiter.clear("mfa", "u1", "1/minute")
    await limiter.hit("mfa", "u1", "1/minute")


async def test_reset_all_forgets_every_counter_of_the_namespace(limiter: RateLimiter) -> None:
    await limiter.hit("a", "k", "1/minute")
    await limiter.reset_all()
    await limiter.hit("a", "k", "1/minute")


@requires_redis
async def test_redis_reset_all_clears_only_campus_keys_of_its_own_namespace(
    namespace: str, redis_client: aioredis.Redis
) -> None:
    mine = RateLimiter(TEST_REDIS_URL, namespace=namespace)
    neighbour_ns = f"{namespace}-neighbour"
    neighbour = RateLimiter(TEST_REDIS_URL, namespace=neighbour_ns)
    foreign_key = f"{namespace}-not-campus:some-app-key"
    limits_key = f"LIMITS:{namespace}-other-app"
    try:
        await redis_client.set(foreign_key, "keep")
        await redis_client.set(limits_key, "keep")  # another app using `limits` defaults
        await mine.hit("login", "k", "1/minute")
        await neighbour.hit("login", "k", "1/minute")
        keys = [k.decode() async for k in redis_client.scan_iter(match=f"{namespace}:*")]
        assert keys
        assert all(k.startswith(f"{namespace}:limits:") for k in keys)

        await mine.reset_all()

        await mine.hit("login", "k", "1/minute")  # mine were cleared
        with pytest.raises(RateLimited):  # the neighbour's were not
            await neighbour.hit("login", "k", "1/minute")
        assert await redis_client.get(foreign_key) == b"keep"
        assert await redis_client.get(limits_key) == b"keep"
    finally:
        await redis_client.delete(foreign_key, limits_key)
        await mine.reset_all()
        await neighbour.reset_all()
        await _delete_namespace(namespace)
        await _delete_namespace(neighbour_ns)


async def test_limited_route_sends_rate_limit_headers_then_429_with_retry_after(
    client: AsyncClient,
) -> None:
    first = await client.get(f"{PREFIX}/limited")
    second = await client.get(f"{PREFIX}/limited")
    assert first.status_code == second.status_code == 200
    assert first.headers["x-ratelimit-limit"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert second.headers["x-ratelimit-remaining"] == "0"
    assert int(first.headers["x-ratelimit-reset"]) > 0

    third = await client.get(f"{PREFIX}/limited")
    assert third.status_code == 429
    body = third.json()
    assert body["error"]["code"] == "rate_limited"
    assert body["error"]["traceId"] == third.headers["x-request-id"]
    retry_after = int(third.headers["retry-after"])
    assert 0 < retry_after <= 60
    assert body["error"]["details"] == {"retryAfter": retry_after}
    assert third.headers["x-ratelimit-limit"] == "2"
    assert third.headers["x-ratelimit-remaining"] == "0"


# --------------------------------------------------------------------------- cache


async def test_cache_set_get_delete(cache: Cache) -> None:
    assert await cache.get("missing") is None
    await cache.set("course:1", b'{"title": "Rust"}', ttl_seconds=60)
    await cache.set("course:2", b"two", ttl_seconds=60)
    assert await cache.get("course:1") == b'{"title": "Rust"}'
    await cache.delete("course:1", "course:2", "never-there")
    assert await cache.get("course:1") is None
    assert await cache.get("course:2") is None


async def test_cache_get_many_reads_every_key_in_order(cache: Cache) -> None:
    await cache.set("page:a", b"A", ttl_seconds=60)
    await cache.incr("generation")
    assert await cache.get_many("generation", "missing", "page:a") == [b"1", None, b"A"]


async def test_cache_incr_counts_from_zero(cache: Cache) -> None:
    assert await cache.incr("views") == 1
    assert await cache.incr("views") == 2
    assert await cache.get("views") == b"2"


async def test_memory_cache_entries_expire_when_the_clock_passes_their_ttl(
    frozen_clock: Clock,
) -> None:
    cache = MemoryCache()
    await cache.set("k", b"v", ttl_seconds=30)
    await cache.incr("k2")
    await cache.set("k3", b"1", ttl_seconds=30)
    assert await cache.incr("k3") == 2  # incr keeps the expiry
    frozen_clock.advance(seconds=29)
    assert await cache.get("k") == b"v"
    frozen_clock.advance(seconds=1)
    assert await cache.get("k") is None
    assert await cache.get("k3") is None
    assert await cache.get("k2") == b"1"


async def test_memory_cache_evicts_when_full() -> None:
    cache = MemoryCache(max_entries=3)
    for n in range(5):
        await cache.set(f"k{n}", b"v", ttl_seconds=60)
    present = [n for n in range(5) if await cache.get(f"k{n}") is not None]
    assert present == [2, 3, 4]


async def test_memory_cache_evicts_the_least_recently_read_entry_first() -> None:
    cache = MemoryCache(max_entries=3)
    for n in range(3):
        await cache.set(f"k{n}", b"v", ttl_seconds=60)
    assert await cache.get("k0") == b"v"  # k0 is now the most recently used
    await cache.set("k3", b"v", ttl_seconds=60)

    assert await cache.get("k1") is None
    assert [await cache.get(k) for k in ("k0", "k2", "k3")] == [b"v", b"v", b"v"]


async def test_memory_cache_stays_within_its_byte_bound() -> None:
    cache = MemoryCache(max_bytes=100_000)
    for n in range(50):
        await cache.set(f"page{n}", bytes(30_000), ttl_seconds=60)
        assert cache.size_bytes <= 100_000
    assert len(cache) == 3
    assert await cache.get("page49") is not None
    assert await cache.get("page46") is None

    await cache.set("huge", bytes(200_000), ttl_seconds=60)  # bigger than the whole cache
    assert await cache.get("huge") is None
    assert await cache.get("page49") is not None

    await cache.set("page49", b"small", ttl_seconds=60)  # replacing frees the old value
    assert cache.size_bytes == 2 * 30_000 + 5


@requires_redis
async def test_redis_cache_keys_are_namespaced_and_carry_their_ttl(
    namespace: str, redis_client: aioredis.Redis
) -> None:
    cache = RedisCache(TEST_REDIS_URL, namespace)
    try:
        await cache.set("course:1", b"v", ttl_seconds=120)
        await cache.incr("course:1:views")
        ttl = await redis_client.ttl(f"{namespace}:cache:course:1")
        assert 0 < ttl <= 120
        keys = {k.decode() async for k in redis_client.scan_iter(match=f"{namespace}:*")}
        assert keys == {f"{namespace}:cache:course:1", f"{namespace}:cache:course:1:views"}
    finally:
        await cache.close()
        await _delete_namespace(namespace)
