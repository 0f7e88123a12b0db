"""The composition root: builds the FastAPI app from settings and wires every context."""

from __future__ import annotations

import gc
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from campus.assessment import endpoints as assessment_endpoints
from campus.assessment import tasks as assessment_tasks
from campus.assessment.coding import endpoints as coding_endpoints
from campus.assessment.coding import tasks as coding_tasks
from campus.assessment.endpoints.common import MULTIPART_SLACK, UPLOAD_PATHS
from campus.catalog import endpoints as catalog_endpoints
from campus.catalog import tasks as catalog_tasks
from campus.config import Settings, get_settings
from campus.identity import endpoints as identity_endpoints
from campus.identity import tasks as identity_tasks
from campus.identity.api import make_token_verifier, sync_role_catalog
from campus.kernel import health, mail, outbox, storage
from campus.kernel.cache import make_cache
from campus.kernel.db import Database
from campus.kernel.http import (
    CampusCORSMiddleware,
    CampusMiddleware,
    CampusRoute,
    install_error_handlers,
)
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.mail import Mailer, make_mailer
from campus.kernel.outbox import HandlerRegistry
from campus.kernel.ratelimit import RateLimiter
from campus.kernel.runner import InProcessRunner
from campus.kernel.schedule import Scheduler
from campus.kernel.storage import local_storage
from campus.kernel.wakeup import RedisWakeup
from campus.learning import endpoints as learning_endpoints
from campus.learning import tasks as learning_tasks

API_PREFIX = "/api/v1"

OPENAPI_TAGS = [
    {"name": "auth", "description": "Registration, login, tokens, MFA, password and email flows"},
    {"name": "users", "description": "My account, profile, settings and sessions"},
    {"name": "instructors", "description": "Public instructor profiles"},
    {"name": "admin", "description": "User and role management for administrators"},
    {"name": "catalog", "description": "Public catalog: courses, categories, tags, tracks"},
    {"name": "authoring", "description": "Create, edit, review and publish courses"},
    {"name": "curriculum", "description": "Modules and lessons of a course's working version"},
    {"name": "categories", "description": "Category management"},
    {"name": "tags", "description": "Tag management"},
    {"name": "question-bank", "description": "Course question banks (instructors)"},
    {"name": "quizzes", "description": "Quizzes: settings, question pools, item statistics"},
    {"name": "attempts", "description": "Quiz attempts: start, autosave, submit, results"},
    {"name": "assignments", "description": "Assignments and their submissions"},
    {"name": "exams", "description": "Timed exams with resources and file submissions"},
    {"name": "submissions", "description": "Learners' submissions, files and downloads"},
    {"name": "grading", "description": "Grading queue, grades, rubrics, revisions, scales"},
    {"name": "gradebook", "description": "Course gradebooks and CSV export"},
    {"name": "coding exercises", "description": "Coding exercises: authoring, hints, runs"},
    {"name": "code submissions", "description": "Auto-graded code submissions and feedback"},
    {"name": "sandbox", "description": "The code runner and its sandbox layers (operators)"},
    {"name": "enrollments", "description": "Enroll, unenroll, upgrade, progress and resume"},
    {"name": "learn", "description": "Lesson content, start, video heartbeats and completion"},
    {"name": "my learning", "description": "My courses and my activity feed"},
    {"name": "rosters", "description": "Course rosters and roster exports for instructors"},
    {"name": "entitlements", "description": "Complimentary access to paid courses"},
    {"name": "enrollment administration", "description": "Bulk enrollment from CSV"},
    {"name": "operations", "description": "Health, readiness and metrics"},
]


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


def build_registry(settings: Settings, mailer: Mailer) -> HandlerRegistry:
    """Every context registers its event subscribers and job handlers here."""
    registry = HandlerRegistry()
    mail.register(registry, settings, mailer)
    outbox.register(registry, timedelta(days=settings.outbox_retention_days))
    identity_tasks.register(registry, settings)
    catalog_tasks.register(registry, settings)
    learning_tasks.register(registry, settings)
    assessment_tasks.register(registry, settings)
    coding_tasks.register(registry, settings)
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


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, json_output=settings.log_json)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await sync_role_catalog(app.state.db)  # identity: built-in roles and permissions
        # Coding exercises: build the code runner, probe and log the sandbox layers.
        app.state.coding_engine = await coding_tasks.start_engine(settings)
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
    app.state.db = build_database(settings)
    app.state.limiter = RateLimiter(settings.redis_url, settings.redis_namespace)
    app.state.cache = make_cache(
        settings.redis_url, settings.redis_namespace, settings.cache_memory_max_mb
    )
    app.state.mailer = make_mailer(settings)
    app.state.storage = local_storage(settings)
    app.state.registry = build_registry(settings, app.state.mailer)
    app.state.migration_heads = health.migration_heads()
    app.state.token_verifier = make_token_verifier(settings)

    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(storage.router)
    app.include_router(identity_endpoints.router, prefix=API_PREFIX)
    app.include_router(catalog_endpoints.router, prefix=API_PREFIX)
    app.include_router(learning_endpoints.router, prefix=API_PREFIX)
    app.include_router(assessment_endpoints.router, prefix=API_PREFIX)
    app.include_router(coding_endpoints.router, prefix=API_PREFIX)

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
        upload_paths=UPLOAD_PATHS,
    )
    return app
