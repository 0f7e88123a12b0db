"""What the coding routes share: OpenAPI tags and dependencies."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from campus.coding.runners.engine import GradingEngine, engine_for
from campus.kernel.pagination import PageParams, page_params
from campus.kernel.ratelimit import RateLimiter

EXERCISES_TAG = "coding exercises"
SUBMISSIONS_TAG = "code submissions"
SANDBOX_TAG = "sandbox"


async def _engine(request: Request) -> GradingEngine:
    engine: GradingEngine | None = getattr(request.app.state, "coding_engine", None)
    return engine or engine_for(request.app.state.settings)


async def _settings(request: Request) -> Any:
    return request.app.state.settings


async def _limiter(request: Request) -> RateLimiter:
    limiter: RateLimiter = request.app.state.limiter
    return limiter


Engine = Annotated[GradingEngine, Depends(_engine)]
AppSettings = Annotated[Any, Depends(_settings)]
Limiter = Annotated[RateLimiter, Depends(_limiter)]
Paging = Annotated[PageParams, Depends(page_params)]
