"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import asyncio
import hmac
import os
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory
from fastapi import Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from campus.kernel.db import Database
from campus.kernel.errors import ServiceUnavailable, Unauthorized
from campus.kernel.http import api_router
from campus.kernel.logging import get_logger
from campus.kernel.schemas import ApiModel, error_responses

router = api_router(tags=["operations"])
log = get_logger("campus.health")

#: A readiness probe must answer quickly even when the database does not.
READY_TIMEOUT_SECONDS = 5.0

PROJECT_ROOT = Path(__file__).resolve().parents[3]


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    if database_url:
        config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migration_heads() -> set[str]:
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


class Health(ApiModel):
    status: str


class Readiness(ApiModel):
    status: str
    database: str
    migrations: str


async def _schema_versions(db: Database) -> set[str]:
    async with db.read_session() as session:
        result = await session.execute(sa.text("SELECT version_num FROM alembic_version"))
        return {str(v) for v in result.scalars()}


@router.get("/healthz", summary="Liveness: the process is up", response_model=Health)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is at the latest migration",
    response_model=Readiness,
    responses=error_responses({503: "Not ready (the details say why)"}, 503),
)
async def readyz(request: Request) -> Readiness:
    db: Database = request.app.state.db
    try:
        current = await asyncio.wait_for(_schema_versions(db), timeout=READY_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("readiness_failed", error=type(exc).__name__)
        raise ServiceUnavailable(
            "The database is not reachable or not migrated.", details={"database": "unavailable"}
        ) from exc
    heads = request.app.state.migration_heads
    if current != heads:
        raise ServiceUnavailable(
            "Database migrations are not current.",
            details={"current": sorted(current), "expected": sorted(heads)},
        )
    return Readiness(status="ready", database="ok", migrations="current")


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={
        200: {"content": {"text/plain": {}}},
        **error_responses({401: "CAMPUS_METRICS_TOKEN is set and the bearer token is not it"}, 401),
    },
)
async def metrics(request: Request) -> Response:
    """Open when ``CAMPUS_METRICS_TOKEN`` is empty (keep the port private); otherwise the
    scraper must send ``Authorization: Bearer <token>``."""
    expected = request.app.state.settings.metrics_token.get_secret_value()
    if expected:
        scheme, _, presented = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            presented.strip().encode(), expected.encode()
        ):
            raise Unauthorized("Metrics need 'Authorization: Bearer <metrics token>'.")
    return Response(_exposition(), media_type=CONTENT_TYPE_LATEST)


def _exposition() -> bytes:
    """This process's metrics or, under ``campus serve --workers N`` (prometheus_client's
    multiprocess directory is set), the sum over every worker process."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest()
