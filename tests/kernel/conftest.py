"""Kernel test fixtures: the app with test-only routes, captured JSON logs, a handler-effects
table, and helpers to build variant apps (other settings) that clean up after themselves."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from asgi_lifespan import LifespanManager
from fastapi import Depends, FastAPI
from httpx import ASGITransport, AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.outbox import Delivery
from campus.main import create_app
from tests.conftest import TEST_REDIS_URL, AppPool, _default_settings, _reset_state, serving
from tests.kernel.routes import INCLUDED_PREFIX, included_router, tenant_param
from tests.kernel.routes import router as test_router

requires_redis = pytest.mark.skipif(
    not TEST_REDIS_URL,
    reason="Redis backend not tested: set CAMPUS_TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/0)",
)

#: Bodies over this are refused in kernel tests (small, so tests never build megabytes).
KERNEL_MAX_BODY = 16 * 1024


def kernel_settings(settings: Settings, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"max_body_bytes": KERNEL_MAX_BODY}
    values.update(overrides)
    return settings.model_copy(update=values)


def build_kernel_app(settings: Settings) -> FastAPI:
    application = create_app(settings)
    before = len(application.router.routes)
    application.include_router(test_router)
    application.include_router(
        included_router, prefix=INCLUDED_PREFIX, dependencies=[Depends(tenant_param)]
    )
    # Match the test routes first. FastAPI builds each included router's handlers lazily, on the
    # first request that scans it (about 20 ms per route, per app); with the test routes last,
    # every test would pay for building every context's routes on its first request.
    added = application.router.routes[before:]
    del application.router.routes[before:]
    application.router.routes[0:0] = added
    return application


@pytest.fixture(scope="session")
async def kernel_shared_app(
    database_url: str, data_dir: Path, session_namespace: str
) -> AsyncIterator[FastAPI]:
    """One kernel app (the real app plus the test-only routes) for every kernel test that runs
    with the default settings: building an app and its OpenAPI document costs seconds."""
    settings = _default_settings(database_url, data_dir, session_namespace)
    application = build_kernel_app(kernel_settings(settings))
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        yield application


@pytest.fixture
async def app(
    settings: Settings, kernel_shared_app: FastAPI, app_pool: AppPool
) -> AsyncIterator[FastAPI]:
    """The real app plus the test-only routes of ``tests/kernel/routes.py``: the shared one
    when ``settings`` are the defaults, otherwise one built from the test's own settings."""
    default = _default_settings(settings.database_url, settings.data_dir, settings.redis_namespace)
    if settings == default:
        application = kernel_shared_app
    else:
        application = await app_pool.get(kernel_settings(settings), build_kernel_app)
    async with serving(application):
        yield application


def client_for(application: FastAPI) -> AsyncClient:
    transport = ASGITransport(
        app=application, raise_app_exceptions=False, client=("203.0.113.10", 50000)
    )
    return AsyncClient(transport=transport, base_url="https://testserver")


AppFactory = Callable[..., AbstractAsyncContextManager[FastAPI]]


@pytest.fixture
def make_app(settings: Settings) -> AppFactory:
    """``async with make_app(jobs_in_process=True) as other: ...`` builds, starts and stops a
    variant app (same test database) and empties its tables afterwards."""

    @asynccontextmanager
    async def factory(truncate: bool = True, **overrides: Any) -> AsyncIterator[FastAPI]:
        application = build_kernel_app(kernel_settings(settings, **overrides))
        async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
            await application.state.limiter.reset_all()
            try:
                yield application
            finally:
                if truncate:
                    await _reset_state(application)
                await application.state.limiter.reset_all()

    return factory


# --------------------------------------------------------------------------- logs


class LogCapture:
    def __init__(self, stream: io.StringIO) -> None:
        self._stream = stream

    @property
    def lines(self) -> list[str]:
        return self._stream.getvalue().splitlines()

    def records(self) -> list[dict[str, Any]]:
        """Every captured line, parsed: a line that is not a JSON object fails the test."""
        parsed = []
        for line in self.lines:
            record = json.loads(line)
            assert isinstance(record, dict), line
            parsed.append(record)
        return parsed

    @property
    def text(self) -> str:
        return self._stream.getvalue()


@pytest.fixture
def logs(app: FastAPI) -> Iterator[LogCapture]:
    """Everything the root logger emits during the test, rendered by Campus's own formatter."""
    root = logging.getLogger()
    campus_handler = next(h for h in root.handlers if getattr(h, "_campus", False))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(campus_handler.formatter)
    root.addHandler(handler)
    try:
        yield LogCapture(stream)
    finally:
        root.removeHandler(handler)


# --------------------------------------------------------------------------- handler effects

EFFECTS = sa.Table(
    "kernel_test_effects",
    sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("handler", sa.String(60), nullable=False),
    sa.Column("note", sa.String(200), nullable=False, server_default=""),
)


class Effects:
    """A table the test handlers write to inside their unit of work: one row per application."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @staticmethod
    async def record(
        session: AsyncSession, delivery: Delivery, handler: str = "h", note: str = ""
    ) -> None:
        await session.execute(
            EFFECTS.insert().values(message_id=str(delivery.id), handler=handler, note=note)
        )

    async def rows(self) -> list[tuple[str, str]]:
        async with self.db.read_session() as session:
            result = await session.execute(
                sa.select(EFFECTS.c.message_id, EFFECTS.c.handler).order_by(EFFECTS.c.id)
            )
            return [(str(m), str(h)) for m, h in result]

    async def count(self, message_id: object, handler: str | None = None) -> int:
        rows = await self.rows()
        return sum(1 for m, h in rows if m == str(message_id) and (handler is None or h == handler))


@pytest.fixture
async def effects(db: Database) -> AsyncIterator[Effects]:
    """Created for the test and dropped after it, so the migration drift check never sees it."""
    async with db.engine.begin() as conn:
        await conn.run_sync(EFFECTS.metadata.create_all)
    try:
        yield Effects(db)
    finally:
        async with db.engine.begin() as conn:
            await conn.run_sync(EFFECTS.metadata.drop_all)
