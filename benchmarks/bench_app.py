"""The app under benchmark: the real Campus app plus bare reference endpoints on the same stack
(same middleware, same session dependency), so every figure can be given as a ratio."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import FastAPI

from campus.kernel.auth import DbSession
from campus.kernel.http import api_router
from campus.kernel.ids import new_id
from campus.kernel.schemas import ApiModel
from campus.main import create_app

router = api_router(prefix="/bench", tags=["operations"])


class Reference(ApiModel):
    value: int


@router.get("/reference", summary="Bare reference: one trivial query", response_model=Reference)
async def reference(session: DbSession) -> Reference:
    value = await session.scalar(sa.text("SELECT 1"))
    return Reference(value=int(value or 0))


@router.post("/reference-write", summary="Bare reference: one upsert", response_model=Reference)
async def reference_write(session: DbSession) -> Reference:
    await session.execute(
        sa.text(
            "INSERT INTO bench_counter (id, hits) VALUES (:id, 1) "
            "ON CONFLICT (id) DO UPDATE SET hits = bench_counter.hits + 1"
        ),
        {"id": str(new_id())[:8]},
    )
    return Reference(value=1)


def create_bench_app() -> FastAPI:
    app = create_app()
    app.include_router(router)
    return app
