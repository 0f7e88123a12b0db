"""What identity services need to know about the HTTP request, without depending on FastAPI.

Handlers build a ``RequestContext`` with the ``request_context`` dependency and pass it to the
service, which uses it for rate limits, client details and links.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request

from campus.config import Settings
from campus.kernel.db import Database
from campus.kernel.ratelimit import RateLimiter


@dataclass(frozen=True, slots=True)
class RequestContext:
    settings: Settings
    limiter: RateLimiter
    db: Database
    ip: str
    user_agent: str | None
    origin: str | None

    def origin_allowed(self) -> bool:
        """AC-08: a request without ``Origin`` (non-browser) passes; a browser request must come
        from one of ``settings.cors_origins`` or from the app's own ``base_url``."""
        if self.origin is None:
            return True
        allowed = {_origin_of(o) for o in self.settings.cors_origins}
        allowed.add(_origin_of(self.settings.base_url))
        return _origin_of(self.origin) in allowed - {""}


def _origin_of(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


async def request_context(request: Request) -> RequestContext:
    client = request.client
    user_agent = request.headers.get("user-agent")
    return RequestContext(
        settings=request.app.state.settings,
        limiter=request.app.state.limiter,
        db=request.app.state.db,
        ip=client.host if client else "unknown",
        user_agent=user_agent[:512] if user_agent else None,
        origin=request.headers.get("origin"),
    )


#: The handler parameter: ``ctx: Ctx``.
Ctx = Annotated[RequestContext, Depends(request_context)]
