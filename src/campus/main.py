"""The composition root: builds the FastAPI app from settings and wires every context."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from campus.config import Settings, get_settings
from campus.identity import endpoints as identity_endpoints
from campus.identity import tasks as identity_tasks
from campus.identity.api import make_token_verifier
from campus.kernel import health, mail
from campus.kernel.cache import make_cache
from campus.kernel.db import Database
from campus.kernel.http import CampusMiddleware, CampusRoute, install_error_handlers
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.mail import Mailer, make_mailer
from campus.kernel.outbox import HandlerRegistry
from campus.kernel.ratelimit import RateLimiter
from campus.kernel.runner import InProcessRunner

API_PREFIX = "/api/v1"

OPENAPI_TAGS = [
    {"name": "auth", "description": "Registration, login, tokens, MFA, password and email flows"},
    {"name": "users", "description": "My account, profile, settings and sessions"},
    {"name": "instructors", "description": "Public instructor profiles"},
    {"name": "admin", "description": "User and role management for administrators"},
    {"name": "operations", "description": "Health, readiness and metrics"},
]


def build_registry(settings: Settings, mailer: Mailer) -> HandlerRegistry:
    """Every context registers its event subscribers and job handlers here."""
    registry = HandlerRegistry()
    mail.register(registry, settings, mailer)
    identity_tasks.register(registry, settings)
    return registry


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner: InProcessRunner | None = None
        if settings.jobs_in_process:
            relay = Relay(
                app.state.db,
                app.state.registry,
                worker_id=f"app-{os.getpid()}",
                max_attempts=settings.outbox_max_attempts,
            )
            runner = InProcessRunner(relay, settings.outbox_poll_seconds)
            runner.start()
        app.state.runner = runner
        try:
            yield
        finally:
            if runner is not None:
                await runner.stop()
            await app.state.cache.close()
            await app.state.db.dispose()

    app = FastAPI(
        title="Campus API",
        version="1.0.0",
        summary="An API-first online learning platform.",
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
    )
    app.router.route_class = CampusRoute
    app.state.settings = settings
    app.state.db = Database(
        settings.resolved_database_url,
        pool_size=settings.database_pool_size,
        echo=settings.database_echo,
    )
    app.state.limiter = RateLimiter(settings.redis_url)
    app.state.cache = make_cache(settings.redis_url)
    app.state.mailer = make_mailer(settings)
    app.state.registry = build_registry(settings, app.state.mailer)
    app.state.migration_heads = health.migration_heads()
    app.state.token_verifier = make_token_verifier(settings)

    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(identity_endpoints.router, prefix=API_PREFIX)

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=True,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID", "Idempotency-Key"],
            expose_headers=["X-Request-ID", "Retry-After", "ETag"],
        )
    app.add_middleware(
        CampusMiddleware, max_body_bytes=settings.max_body_bytes, hsts=settings.is_production
    )
    return app
