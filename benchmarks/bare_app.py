"""The bare reference: FastAPI + asyncpg and no Campus code at all (no middleware, no session
dependency, no principal), against the same PostgreSQL database as the Campus server of the
same run. It shows what the framework and the driver cost on this machine, so every Campus
figure can be given as a share of the bare stack doing the same kind of work:

* ``GET /hello``: a small dict (what ``/healthz`` and a cached response are compared to);
* ``GET /me?id=<uuid>``: one ``users`` row by primary key, 5 fields (``GET /users/me``);
* ``GET /page``: a 20-row page of published courses and their count (the uncached list);
* ``POST /upsert``: a validated JSON body and a single-row upsert (a heartbeat).

Started by ``benchmarks.request_path_bench`` with uvicorn's flags for the Campus server (one
worker, uvloop, httptools, no access log); the database comes from ``BARE_DATABASE_URL``
(a ``postgresql://`` URL), the pool size from ``BARE_POOL_SIZE`` (20, as Campus's)."""

from __future__ import annotations

import os
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from fastapi import FastAPI, HTTPException, Request
from pydantic import BaseModel, Field

_ME = "SELECT id, email, first_name, last_name, status FROM users WHERE id = $1"
_PAGE = (
    "SELECT id, slug, title, subtitle, level, language, price_minor, enrollment_count "
    "FROM catalog_courses WHERE status = 'published' "
    "ORDER BY enrollment_count DESC, id LIMIT 20 OFFSET 0"
)
_COUNT = "SELECT count(*) FROM catalog_courses WHERE status = 'published'"
_UPSERT = (
    "INSERT INTO bench_counter (id, hits) VALUES ($1, $2) "
    "ON CONFLICT (id) DO UPDATE SET hits = bench_counter.hits + 1"
)


class Beat(BaseModel):
    positionSeconds: float = Field(ge=0, le=86_400)
    watchedSeconds: float = Field(ge=0, le=3_600)


def create_bare_app() -> FastAPI:
    dsn = os.environ["BARE_DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
    size = int(os.environ.get("BARE_POOL_SIZE", "20"))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
        try:
            yield
        finally:
            await app.state.pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/me")
    async def me(id: uuid.UUID, request: Request) -> dict[str, Any]:
        row = await request.app.state.pool.fetchrow(_ME, id)
        if row is None:
            raise HTTPException(404)
        return {
            "id": row["id"],
            "email": row["email"],
            "firstName": row["first_name"],
            "lastName": row["last_name"],
            "status": row["status"],
        }

    @app.get("/page")
    async def page(request: Request) -> dict[str, Any]:
        async with request.app.state.pool.acquire() as conn:
            rows = await conn.fetch(_PAGE)
            total = await conn.fetchval(_COUNT)
        return {"items": [dict(row) for row in rows], "total": total}

    @app.post("/upsert")
    async def upsert(beat: Beat, request: Request) -> dict[str, int]:
        key = f"bare-{random.randrange(1000)}"
        await request.app.state.pool.execute(_UPSERT, key, int(beat.watchedSeconds))
        return {"value": 1}

    return app
