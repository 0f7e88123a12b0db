"""/healthz, /readyz (503 envelope when the database is away or not at the migration head),
and /metrics labelled by route template, never by raw path."""

from __future__ import annotations

import gc
import re
import sqlite3
from pathlib import Path

from fastapi import FastAPI
from httpx import AsyncClient
from pydantic import SecretStr

from campus.kernel.db import Database
from campus.main import FULL_COLLECTION_AFTER
from tests.kernel.conftest import AppFactory, client_for
from tests.kernel.routes import PREFIX


async def test_healthz_is_200(client: AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_200_when_the_database_is_at_the_migration_head(
    client: AsyncClient,
) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "database": "ok", "migrations": "current"}


async def test_readyz_is_503_on_an_empty_database(make_app: AppFactory, tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    async with (
        make_app(database_url=f"sqlite+aiosqlite:///{empty}", truncate=False) as app,
        client_for(app) as client,
    ):
        response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "service_unavailable"
    assert body["error"]["details"] == {"database": "unavailable"}
    assert body["error"]["traceId"] == response.headers["x-request-id"]


async def test_readyz_is_503_when_the_schema_is_not_at_the_head(
    make_app: AppFactory, tmp_path: Path
) -> None:
    stale = tmp_path / "stale.db"
    with sqlite3.connect(stale) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0000_old')")
    async with (
        make_app(database_url=f"sqlite+aiosqlite:///{stale}", truncate=False) as app,
        client_for(app) as client,
    ):
        response = await client.get("/readyz")
        heads = sorted(app.state.migration_heads)
    assert response.status_code == 503
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"] == {"current": ["0000_old"], "expected": heads}


async def test_readyz_is_503_when_the_database_becomes_unreachable(
    app: FastAPI, client: AsyncClient
) -> None:
    # The app started against the test database; now its database goes away (nothing
    # listens on port 1, so connecting is refused at once).
    working = app.state.db
    app.state.db = Database("postgresql+asyncpg://campus:campus@127.0.0.1:1/campus")
    try:
        response = await client.get("/readyz")
        health = await client.get("/healthz")
    finally:
        await app.state.db.dispose()
        app.state.db = working
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "service_unavailable"
    assert response.json()["error"]["details"] == {"database": "unavailable"}
    assert health.status_code == 200  # liveness does not depend on the database
    assert (await client.get("/readyz")).status_code == 200


_SAMPLE = re.compile(r"^(?P<name>\w+)\{(?P<labels>.*)\} (?P<value>\S+)$")


def _sample(metrics: str, name: str, labels: dict[str, str]) -> float | None:
    for line in metrics.splitlines():
        match = _SAMPLE.match(line)
        if match is None or match["name"] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match["labels"]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match["value"])
    return None


async def test_metrics_count_requests_and_latency_by_route_template_and_status(
    client: AsyncClient,
) -> None:
    route = "/api/v1/kernel-included/users/{user_id}"
    labels = {"method": "GET", "route": route, "status": "200"}
    before = (await client.get("/metrics")).text
    start = _sample(before, "campus_http_requests_total", labels) or 0.0
    for user_id in (101, 202, 303):
        assert (await client.get(f"/api/v1/kernel-included/users/{user_id}")).status_code == 200
    await client.get(f"{PREFIX}/items", params={"page": 0})  # a 422 on another route

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "campus_http_requests_total", labels) == start + 3
    assert _sample(
        text, "campus_http_requests_total", {"route": f"{PREFIX}/items", "status": "422"}
    )
    assert _sample(text, "campus_http_request_duration_seconds_count", labels) is not None
    assert _sample(text, "campus_http_request_duration_seconds_bucket", {**labels, "le": "+Inf"})
    # Raw paths never become labels (unbounded cardinality, and ids in metrics).
    assert "/users/101" not in text
    assert "/users/202" not in text


async def test_metrics_label_unmatched_paths_and_odd_methods_without_new_series(
    client: AsyncClient,
) -> None:
    await client.get("/no/such/path/123456")
    await client.request("BREW", "/healthz")
    text = (await client.get("/metrics")).text
    assert "/no/such/path/123456" not in text
    assert _sample(text, "campus_http_requests_total", {"route": "unmatched", "status": "404"})
    assert 'method="BREW"' not in text
    assert _sample(text, "campus_http_requests_total", {"method": "OTHER"})


async def test_metrics_with_a_token_configured_answer_only_that_bearer_token(
    make_app: AppFactory,
) -> None:
    token = SecretStr("scrape-secret-0123456789")
    async with make_app(metrics_token=token) as app, client_for(app) as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        basic = await client.get("/metrics", headers={"Authorization": "Basic c2NyYXBl"})
        right = await client.get(
            "/metrics", headers={"Authorization": "Bearer scrape-secret-0123456789"}
        )
    for refused in (missing, wrong, basic):
        assert refused.status_code == 401
        assert refused.json()["error"]["code"] == "unauthorized"
        assert "campus_http_requests" not in refused.text
    assert right.status_code == 200
    assert "campus_http_requests" in right.text


async def test_start_up_freezes_long_lived_objects_and_spaces_out_full_collections(
    make_app: AppFactory,
) -> None:
    thresholds = gc.get_threshold()
    gc.unfreeze()
    try:
        async with make_app(gc_tuning=True):
            assert gc.get_freeze_count() > 10_000
            assert gc.get_threshold() == (thresholds[0], thresholds[1], FULL_COLLECTION_AFTER)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    async with make_app(gc_tuning=False):
        assert gc.get_freeze_count() == 0
        assert gc.get_threshold() == thresholds
