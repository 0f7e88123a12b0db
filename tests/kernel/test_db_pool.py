"""Pooled PostgreSQL connections: one that sat idle is pinged before it is handed out, and a
dead one is replaced without the caller noticing; a busy one is handed out without a ping."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect
from sqlalchemy.exc import DBAPIError

from campus.kernel import db as kernel_db
from campus.kernel.db import Database
from tests.conftest import postgres_only

pytestmark = postgres_only


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, pool_size=1)
    try:
        yield database
    finally:
        await database.dispose()


async def _backend_pid(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(sa.text("SELECT pg_backend_pid()")) or 0)


async def _terminate(database_url: str, pid: int) -> None:
    other = Database(database_url, null_pool=True)
    try:
        async with other.session() as session:
            assert await session.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


def _count_pings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    original: Callable[[asyncpg_dialect.AsyncAdapt_asyncpg_connection], Awaitable[None]] = (
        asyncpg_dialect.AsyncAdapt_asyncpg_connection._async_ping
    )

    async def counted(self: asyncpg_dialect.AsyncAdapt_asyncpg_connection) -> None:
        calls[0] += 1
        await original(self)

    monkeypatch.setattr(asyncpg_dialect.AsyncAdapt_asyncpg_connection, "_async_ping", counted)
    return calls


async def test_a_busy_connection_is_handed_out_without_a_ping(
    pool: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(monkeypatch)
    pids = {await _backend_pid(pool) for _ in range(20)}
    assert len(pids) == 1
    assert pings == [0]


async def test_an_idle_connection_that_died_is_replaced_after_its_ping(
    pool: Database, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pings = _count_pings(monkeypatch)
    first = await _backend_pid(pool)
    await _terminate(database_url, first)
    monkeypatch.setattr(kernel_db, "PING_AFTER_IDLE_SECONDS", 0.0)  # it has been idle long enough

    second = await _backend_pid(pool)

    assert second != first
    assert pings[0] >= 1


async def test_without_the_ping_a_dead_connection_fails_once_then_the_pool_recovers(
    pool: Database, database_url: str
) -> None:
    first = await _backend_pid(pool)
    await _terminate(database_url, first)

    with pytest.raises(DBAPIError) as failure:
        await _backend_pid(pool)  # handed out at once: it was in use a moment ago
    assert failure.value.connection_invalidated

    assert await _backend_pid(pool) != first
