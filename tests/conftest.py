"""Test harness: a real database per test session (SQLite file, or a fresh PostgreSQL database
when ``CAMPUS_TEST_DATABASE_URL`` is set), migrated with Alembic; every test starts from empty
tables. Redis is used when ``CAMPUS_TEST_REDIS_URL`` is set."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from campus.config import Environment, Settings
from campus.kernel.clock import clock
from campus.kernel.db import Database
from campus.kernel.health import alembic_config
from campus.kernel.jobs import Relay
from campus.main import create_app
from campus.models import metadata

TEST_DATABASE_URL = os.environ.get("CAMPUS_TEST_DATABASE_URL", "")
TEST_REDIS_URL = os.environ.get("CAMPUS_TEST_REDIS_URL", "")
IS_POSTGRES = TEST_DATABASE_URL.startswith("postgresql")

postgres_only = pytest.mark.skipif(
    not IS_POSTGRES,
    reason="concurrency invariants are proven on PostgreSQL: set CAMPUS_TEST_DATABASE_URL "
    "(the CI runs the suite a second time on PostgreSQL)",
)


def _asyncpg_url(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)


async def _create_postgres_database(base_url: str, name: str) -> str:
    admin = create_async_engine(_asyncpg_url(base_url), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return make_url(_asyncpg_url(base_url)).set(database=name).render_as_string(hide_password=False)


async def _drop_postgres_database(base_url: str, name: str) -> None:
    admin = create_async_engine(_asyncpg_url(base_url), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    if IS_POSTGRES:
        name = f"campus_test_{uuid.uuid4().hex[:12]}"
        url = await _create_postgres_database(TEST_DATABASE_URL, name)
        try:
            await _migrate(url)
            yield url
        finally:
            await _drop_postgres_database(TEST_DATABASE_URL, name)
    else:
        path = tmp_path_factory.mktemp("db") / "campus-test.db"
        url = f"sqlite+aiosqlite:///{path}"
        await _migrate(url)
        yield url


async def _migrate(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:

        def upgrade(sync_conn: sa.Connection) -> None:
            config = alembic_config(url)
            config.attributes["connection"] = sync_conn
            command.upgrade(config, "heads")

        await conn.run_sync(upgrade)
    await engine.dispose()


@pytest.fixture(scope="session")
def session_namespace() -> str:
    return f"campus-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session", autouse=True)
async def _clean_redis_namespace(session_namespace: str) -> AsyncIterator[None]:
    """Every Redis key of this run lives under ``session_namespace``; delete them at the end."""
    yield
    if not TEST_REDIS_URL:
        return
    import redis.asyncio as aioredis

    client = aioredis.from_url(TEST_REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{session_namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data directory per run; emptied after every test that used the shared app."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def settings(database_url: str, data_dir: Path, session_namespace: str) -> Settings:
    return _default_settings(database_url, data_dir, session_namespace)


def _default_settings(database_url: str, data_dir: Path, session_namespace: str) -> Settings:
    return Settings(
        env=Environment.TEST,
        database_url=database_url,
        redis_url=TEST_REDIS_URL,
        # Every Redis key of this run lives under its own prefix: reset_all() between tests
        # clears only these, and parallel runs on one Redis never see each other.
        redis_namespace=session_namespace,
        data_dir=data_dir,
        jobs_in_process=False,
        gc_tuning=False,  # many apps per run: keep their start-up garbage collectable
        refresh_cookie_secure=True,
        log_json=True,
        seed_demo_on_first_run=False,
    )


#: Reference data the migrations and start-up write once (built-in roles and permissions).
PRESERVED_TABLES = frozenset({"roles", "permissions", "role_permissions"})


async def _truncate(db: Database) -> None:
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in PRESERVED_TABLES]
    async with db.engine.begin() as conn:
        if db.is_sqlite:
            for table in tables:
                await conn.execute(table.delete())
        else:
            names = ", ".join(f'"{t.name}"' for t in tables)
            await conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


async def _reset_state(application: FastAPI) -> None:
    """Leave no trace of a test: empty tables, counters, cache and data directory."""
    await _truncate(application.state.db)
    await application.state.limiter.reset_all()
    await application.state.cache.clear()
    data = application.state.settings.data_dir
    for entry in data.iterdir() if data.exists() else ():
        if entry.name == "keys":  # the signing key is created once per app start
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


@pytest.fixture(scope="session")
async def shared_app(
    database_url: str, data_dir: Path, session_namespace: str
) -> AsyncIterator[FastAPI]:
    """One app for every test that runs with the default settings. Building the app (and the
    first request through each router) costs seconds, so it is not repeated per test."""
    application = create_app(_default_settings(database_url, data_dir, session_namespace))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def app(settings: Settings, shared_app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app under test: the shared one when ``settings`` are the defaults, otherwise a new
    app built from the test's own settings (torn down after the test)."""
    default = _default_settings(settings.database_url, settings.data_dir, settings.redis_namespace)
    if settings == default:
        await shared_app.state.limiter.reset_all()
        try:
            yield shared_app
        finally:
            await _reset_state(shared_app)
        return
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        await application.state.limiter.reset_all()
        try:
            yield application
        finally:
            await _reset_state(application)


@pytest.fixture
def db(app: FastAPI) -> Database:
    database: Database = app.state.db
    return database


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False, client=("203.0.113.10", 50000))
    async with AsyncClient(transport=transport, base_url="https://testserver") as http:
        yield http


@pytest.fixture
def relay(app: FastAPI) -> Relay:
    """Runs queued jobs and events on demand: tests drain the outbox instead of waiting."""
    return Relay(
        app.state.db,
        app.state.registry,
        worker_id="test-relay",
        max_attempts=app.state.settings.outbox_max_attempts,
    )


@pytest.fixture
def frozen_clock() -> Iterator[type[clock.__class__] | object]:
    clock.freeze()
    try:
        yield clock
    finally:
        clock.unfreeze()


@pytest.fixture(autouse=True)
def _always_unfreeze() -> Iterator[None]:
    yield
    clock.unfreeze()
