"""Test harness: a real database per test process, migrated with Alembic; every test starts
from empty tables. Redis is used when ``CAMPUS_TEST_REDIS_URL`` is set.

The suite runs on pytest-xdist workers (``python3 dev.py test`` starts them; ``-n 0`` runs in
one process). The controlling process migrates a *template* once, before any worker starts: a
SQLite file, or a PostgreSQL database when ``CAMPUS_TEST_DATABASE_URL`` is set. Each worker
then gets its own copy (a file copy; ``CREATE DATABASE ... TEMPLATE``), its own data directory
and its own Redis namespace, and drops them at the end; the controller drops the template.
Tests that open many PostgreSQL connections at once share one worker (``SERIAL_GROUP``)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from campus.config import Environment, Settings
from campus.kernel.clock import Clock, clock
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


async def _admin_execute(base_url: str, statement: str) -> None:
    admin = create_async_engine(_asyncpg_url(base_url), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(sa.text(statement))
    finally:
        await admin.dispose()


def _postgres_url(base_url: str, name: str) -> str:
    return make_url(_asyncpg_url(base_url)).set(database=name).render_as_string(hide_password=False)


async def _create_postgres_database(base_url: str, name: str, template: str | None = None) -> str:
    clause = f' TEMPLATE "{template}"' if template else ""
    await _admin_execute(base_url, f'CREATE DATABASE "{name}"{clause}')
    return _postgres_url(base_url, name)


async def _drop_postgres_database(base_url: str, name: str) -> None:
    await _admin_execute(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --------------------------------------------------------------------------- the template
# Migrated once per run by the controlling process (the pytest process itself with ``-n 0``)
# before any worker starts, and handed to the workers through ``workerinput``.

_TEMPLATE = pytest.StashKey[str]()


def _worker_id(config: pytest.Config) -> str:
    workerinput = getattr(config, "workerinput", None)
    return str(workerinput["workerid"]) if workerinput else "main"


def _template(config: pytest.Config) -> str:
    """The migrated template of this run: a SQLite path, or a PostgreSQL database name."""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return str(workerinput["campus_template"])
    return config.stash[_TEMPLATE]


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or config.option.collectonly:
        return
    if IS_POSTGRES:
        name = f"campus_test_{uuid.uuid4().hex[:12]}_template"
        asyncio.run(_build_postgres_template(name))
    else:
        factory: pytest.TempPathFactory = config._tmp_path_factory  # type: ignore[attr-defined]
        name = str(factory.mktemp("template") / "campus-template.db")
        asyncio.run(_migrate(f"sqlite+aiosqlite:///{name}"))
    config.stash[_TEMPLATE] = name


async def _build_postgres_template(name: str) -> None:
    url = await _create_postgres_database(TEST_DATABASE_URL, name)
    try:
        await _migrate(url)
    except BaseException:
        await _drop_postgres_database(TEST_DATABASE_URL, name)
        raise


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or _TEMPLATE not in config.stash:
        return
    if IS_POSTGRES:
        asyncio.run(_drop_postgres_database(TEST_DATABASE_URL, config.stash[_TEMPLATE]))


class _XdistHooks:
    """Registered only when pytest-xdist is loaded (its hooks are unknown to pytest otherwise)."""

    @staticmethod
    def pytest_configure_node(node: Any) -> None:
        node.workerinput["campus_template"] = node.config.stash[_TEMPLATE]


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(_XdistHooks(), "campus-xdist-hooks")
        # ``-n N`` alone distributes test by test ("load"): honour the xdist groups as well.
        if getattr(config.option, "dist", "no") == "load":
            config.option.dist = "loadgroup"


#: The xdist group of tests that must not run beside each other, so all on one worker:
#: * on PostgreSQL the concurrency tests (``@postgres_only``, or named after concurrency) open
#:   dozens of connections each; one at a time, workers stay far below ``max_connections``;
#: * the sandbox tests run hostile programs that load both cores; beside each other they
#:   would turn time limits into flaky verdicts (each worker has its own sandbox uids,
#:   ``tests/fixtures/sandbox.py``, so their containment checks never see each other's jobs).
SERIAL_GROUP = "serial"


def _must_run_alone(item: pytest.Item) -> bool:
    if "concurren" in item.nodeid or "sandbox" in item.nodeid:
        return True
    return any(mark == postgres_only.mark for mark in item.iter_markers("skipif"))


#: The xdist group of the tests that read the demo data set: on one worker, it is seeded once.
DEMO_GROUP = "demo"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        if _must_run_alone(item):
            item.add_marker(pytest.mark.xdist_group(SERIAL_GROUP))
        elif "demo" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group(DEMO_GROUP))


@asynccontextmanager
async def copy_of_template(
    config: pytest.Config, tmp_path_factory: pytest.TempPathFactory, purpose: str
) -> AsyncIterator[str]:
    """A database of this process for ``purpose``: a copy of the run's migrated template,
    dropped at the end."""
    template = _template(config)
    worker = _worker_id(config)
    if IS_POSTGRES:
        name = f"{template.removesuffix('_template')}_{worker}_{purpose}"
        url = await _create_postgres_database(TEST_DATABASE_URL, name, template=template)
        try:
            yield url
        finally:
            await _drop_postgres_database(TEST_DATABASE_URL, name)
    else:
        path = tmp_path_factory.mktemp(purpose) / f"campus-test-{worker}.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture(scope="session")
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """This process's own database: a copy of the run's migrated template, dropped at the end."""
    async with copy_of_template(request.config, tmp_path_factory, "db") as url:
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
    """One data directory per test process; emptied after every test that used the shared app.
    Two levels below the process's temporary root (its own under xdist), so a test may watch
    ``data_dir.parent.parent`` for stray files without seeing other workers' files."""
    path = tmp_path_factory.mktemp("app") / "data"
    path.mkdir()
    return path


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


#: One statement naming the tables that hold rows (``_truncate`` empties only those).
_NON_EMPTY: sa.TextClause | None = None


async def _truncate(db: Database) -> None:
    """Empty every table a test wrote to, children first. A test touches a handful of tables:
    finding them with one probe and deleting their rows costs ~10 ms on PostgreSQL, where a
    ``TRUNCATE`` of every table (new files for each) cost over a second per test."""
    global _NON_EMPTY
    tables = [t for t in reversed(metadata.sorted_tables) if t.name not in PRESERVED_TABLES]
    if _NON_EMPTY is None:
        _NON_EMPTY = sa.text(
            " UNION ALL ".join(
                f"SELECT '{t.name}' WHERE EXISTS (SELECT 1 FROM \"{t.name}\")" for t in tables
            )
        )
    async with db.engine.begin() as conn:
        written = set((await conn.execute(_NON_EMPTY)).scalars())
        for table in tables:
            if table.name in written:
                await conn.execute(table.delete())


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


@contextmanager
def handlers_restored(application: FastAPI) -> Iterator[None]:
    """Whatever handlers and jobs a test registers on a shared app are gone after it."""
    registry = application.state.registry
    subscribers = {event: dict(handlers) for event, handlers in registry.subscribers.items()}
    saved = (dict(registry.jobs), dict(registry.schedules), dict(registry.event_types))
    try:
        yield
    finally:
        registry.subscribers.clear()
        registry.subscribers.update(subscribers)
        for current, before in zip(
            (registry.jobs, registry.schedules, registry.event_types), saved, strict=True
        ):
            current.clear()
            current.update(before)


@pytest.fixture(scope="session")
async def shared_app(
    database_url: str, data_dir: Path, session_namespace: str
) -> AsyncIterator[FastAPI]:
    """One app for every test that runs with the default settings. Building the app (and the
    first request through each router) costs seconds, so it is not repeated per test."""
    application = create_app(_default_settings(database_url, data_dir, session_namespace))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


class AppPool:
    """Started apps built from settings other than the defaults, kept for the next test that
    asks for the same settings (a module's tests usually share their overrides): building and
    starting an app costs about a second. The oldest is stopped beyond ``size``."""

    def __init__(self, size: int = 3) -> None:
        self.size = size
        self._started: list[
            tuple[Callable[[Settings], FastAPI], Settings, FastAPI, LifespanManager]
        ] = []

    async def get(self, settings: Settings, build: Callable[[Settings], FastAPI]) -> FastAPI:
        for entry in self._started:
            if entry[0] is build and entry[1] == settings:
                self._started.remove(entry)
                self._started.append(entry)
                return entry[2]
        application = build(settings)
        manager = LifespanManager(application, startup_timeout=30, shutdown_timeout=30)
        await manager.__aenter__()
        self._started.append((build, settings, application, manager))
        while len(self._started) > self.size:
            await self._started.pop(0)[3].__aexit__(None, None, None)
        return application

    async def close(self) -> None:
        while self._started:
            await self._started.pop()[3].__aexit__(None, None, None)


@pytest.fixture(scope="session")
async def app_pool() -> AsyncIterator[AppPool]:
    pool = AppPool()
    try:
        yield pool
    finally:
        await pool.close()


@asynccontextmanager
async def serving(application: FastAPI) -> AsyncIterator[FastAPI]:
    """One test's use of a long-lived app: fresh rate limits, and no trace afterwards (rows,
    counters, cache, files, handlers the test registered)."""
    await application.state.limiter.reset_all()
    try:
        with handlers_restored(application):
            yield application
    finally:
        await _reset_state(application)


@pytest.fixture
async def app(settings: Settings, shared_app: FastAPI, app_pool: AppPool) -> AsyncIterator[FastAPI]:
    """The app under test: the shared one when ``settings`` are the defaults, otherwise one
    built from the test's own settings (kept in the pool for the next test with the same)."""
    default = _default_settings(settings.database_url, settings.data_dir, settings.redis_namespace)
    application = shared_app if settings == default else await app_pool.get(settings, create_app)
    async with serving(application):
        yield application


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
def frozen_clock() -> Iterator[Clock]:
    clock.freeze()
    try:
        yield clock
    finally:
        clock.unfreeze()


@pytest.fixture(autouse=True)
def _always_unfreeze() -> Iterator[None]:
    yield
    clock.unfreeze()


# The demo data set, seeded once per test process (tests/fixtures/demo.py).
from tests.fixtures.demo import demo, demo_client, demo_world  # noqa: E402

__all__ = ["demo", "demo_client", "demo_world"]
