"""The composition root: builds the FastAPI app from settings and plugs in every context module
(``campus.modules``): routers, OpenAPI tags, event and job handlers, start-up hooks."""

from __future__ import annotations

import gc
import os
import re
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.telemetry import TelemetryConfig

from campus.config import Settings, get_settings, private_directory
from campus.kernel import health, mail, outbox, storage
from campus.kernel.cache import make_cache
from campus.kernel.db import Database
from campus.kernel.http import (
    MULTIPART_SLACK,
    CampusCORSMiddleware,
    CampusMiddleware,
    CampusRoute,
    install_error_handlers,
    install_pre_route,
    operation_id,
)
from campus.kernel.inspection import shutdown_inspection
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.mail import Mailer, make_mailer
from campus.kernel.module import ContextModule, all_permissions
from campus.kernel.outbox import HandlerRegistry
from campus.kernel.ratelimit import RateLimiter
from campus.kernel.runner import InProcessRunner
from campus.kernel.schedule import Scheduler
from campus.kernel.storage import local_storage
from campus.kernel.wakeup import RedisWakeup
from campus.modules import load_modules

API_PREFIX = "/api/v1"

#: The kernel's own tag; every context module brings its own.
KERNEL_TAGS = ({"name": "operations", "description": "Health, readiness and metrics"},)


#: With the start-up objects frozen, the collector's "a quarter of the old generation is new"
#: rule fired a full collection (40-50 ms with ~85,000 tracked objects) more than once a second
#: under load; waiting for 100 middle-generation collections instead of 10 makes them rare.
FULL_COLLECTION_AFTER = 100


def tune_garbage_collector() -> None:
    """Once start-up is done: everything built so far (routes, models, compiled statements)
    lives as long as the process, so move it out of the collector's sight (``gc.freeze``) and
    run full collections less often. Full-collection pauses were the slowest 1 % of requests:
    the bench reference's p99 at 32 connections went from ~205 ms to ~40-50 ms."""
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_AFTER)


def fastapi_telemetry() -> TelemetryConfig | None:
    """FastAPI's own OpenTelemetry support asks on every request whether a tracer, meter or
    logger provider is configured (environment reads and provider look-ups, ~5 % of a
    ``/healthz`` request's CPU). Campus configures none, so it is off unless the environment
    sets OpenTelemetry up (an ``OTEL_*`` or ``FASTAPI_OTEL_*`` variable): then FastAPI's
    defaults apply, as before."""
    if any(name.startswith(("OTEL_", "FASTAPI_OTEL_")) for name in os.environ):
        return None
    return {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


def build_registry(settings: Settings, mailer: Mailer) -> HandlerRegistry:
    """The kernel's handlers, then every context's event subscribers and job handlers."""
    registry = HandlerRegistry()
    mail.register(registry, settings, mailer)
    outbox.register(registry, timedelta(days=settings.outbox_retention_days))
    for module in load_modules():
        if module.register is not None:
            module.register(registry, settings)
    return registry


def build_database(settings: Settings) -> Database:
    return Database(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        echo=settings.database_echo,
    )


def build_relay(
    settings: Settings, db: Database, registry: HandlerRegistry, *, worker_id: str
) -> Relay:
    return Relay(
        db,
        registry,
        worker_id=worker_id,
        max_attempts=settings.outbox_max_attempts,
        batch_size=settings.outbox_batch_size,
        lease_seconds=settings.outbox_lease_seconds,
        scheduler=Scheduler(db, registry.schedules),
    )


def _upload_paths(modules: Sequence[ContextModule]) -> re.Pattern[str] | None:
    patterns = [pattern.pattern for module in modules for pattern in module.upload_paths]
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    private_directory(settings.data_dir)
    modules = load_modules()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        for module in modules:
            for start in module.startup:
                await start(app)
        # Scale-out: commits that wrote outbox rows wake `campus worker` processes through Redis.
        wakeup: RedisWakeup | None = None
        remove_wakeup = None
        if settings.redis_url:
            wakeup = RedisWakeup(settings.redis_url, settings.redis_namespace)
            remove_wakeup = app.state.db.on_outbox_commit(wakeup.notify)
        # Embedded: the app drains its own outbox. With jobs_in_process=False it never does.
        runner: InProcessRunner | None = None
        if settings.jobs_in_process:
            relay = build_relay(
                settings, app.state.db, app.state.registry, worker_id=f"app-{os.getpid()}"
            )
            runner = InProcessRunner(relay, settings.outbox_poll_seconds)
            runner.start()
        app.state.runner = runner
        if settings.gc_tuning:
            tune_garbage_collector()
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()
            if wakeup is not None and remove_wakeup is not None:
                remove_wakeup()
                await wakeup.aclose()
            for module in reversed(modules):
                for stop in module.shutdown:
                    await stop(app)
            shutdown_inspection()
            await app.state.cache.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="Campus API",
        version="1.0.0",
        summary="An API-first online learning platform.",
        openapi_tags=[
            dict(tag) for tag in (*(t for m in modules for t in m.openapi_tags), *KERNEL_TAGS)
        ],
        lifespan=lifespan,
        generate_unique_id_function=operation_id,
        telemetry=fastapi_telemetry(),
    )
    app.router.route_class = CampusRoute
    app.state.settings = settings
    app.state.modules = modules
    app.state.permissions = all_permissions(modules)
    app.state.db = build_database(settings)
    app.state.limiter = RateLimiter(settings.redis_url, settings.redis_namespace)
    app.state.cache = make_cache(
        settings.redis_url, settings.redis_namespace, settings.cache_memory_max_mb
    )
    app.state.mailer = make_mailer(settings)
    app.state.storage = local_storage(settings)
    app.state.registry = build_registry(settings, app.state.mailer)
    app.state.migration_heads = health.migration_heads()

    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(storage.router)
    for module in modules:
        for router in module.root_routers:
            app.include_router(router)
        for router in module.routers:
            app.include_router(router, prefix=API_PREFIX)

    # Innermost first: answers given before routing still pass through CORS and CampusMiddleware.
    install_pre_route(app)
    if settings.cors_origins:
        app.add_middleware(
            CampusCORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "ETag",
                "X-RateLimit-Limit",
                "X-RateLimit-Remaining",
                "X-RateLimit-Reset",
            ],
        )
    app.add_middleware(
        CampusMiddleware,
        max_body_bytes=settings.max_body_bytes,
        hsts=settings.is_production,
        upload_max_bytes=settings.upload_max_bytes + MULTIPART_SLACK,
        upload_paths=_upload_paths(modules),
    )
    return app
