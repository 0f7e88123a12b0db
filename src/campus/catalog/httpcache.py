"""HTTP caching of public catalog reads (docs/adr/0008-catalog-browse-search-cache.md).

Public reads are cached in ``app.state.cache`` (memory, or Redis shared by every app process)
under a key that includes the catalog *generation*, a counter bumped whenever a committed unit
of work changed what the public catalog shows. The ETag is a hash of the response body, so it
changes exactly when the content does, in every process; ``If-None-Match`` gets a 304.

The bump happens after the commit and before the response leaves: write routes answer with
``CatalogJSONResponse``/``CatalogNoContent``, which bump when the request's unit of work was
flagged by ``service.access.mark_public_change`` (the flag is read from the session that
``track_changes`` remembers). A reader that races the bump can only cache fresh data under the
old generation, never stale data under the new one.

Misses are coalesced per process: when many requests miss the same page at once (a page that
just expired, or every page right after a generation bump), one of them produces it and the
others wait for that result instead of all running the same queries ("thundering herd": at
1,000 requests/s a stampede of 32 concurrent course pages stalled the loop for ~250 ms).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from campus.catalog.service.access import PUBLIC_CHANGE
from campus.kernel.auth import DbSession
from campus.kernel.cache import Cache
from campus.kernel.logging import get_logger

log = get_logger("campus.catalog.cache")

GENERATION_KEY = "catalog:generation"
TTL_SECONDS = 60
CACHE_CONTROL = f"public, max-age={TTL_SECONDS}"
_STATE_KEY = "catalog_session_info"
_INFLIGHT = "catalog_pages_in_flight"

#: Produces (the body: a wire model, or JSON bytes already serialised; Content-Language).
Producer = Callable[[], Awaitable[tuple[BaseModel | bytes, str]]]


async def generation(cache: Cache) -> int:
    raw = await cache.get(GENERATION_KEY)
    return int(raw or b"0")


async def bump_generation(cache: Cache) -> None:
    await cache.incr(GENERATION_KEY)


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2) against a list of tags or ``*``."""
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header[:2000].split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def _pack(etag: str, language: str, body: bytes) -> bytes:
    return etag.encode() + b"\n" + language.encode() + b"\n" + body


def _unpack(raw: bytes) -> tuple[str, str, bytes]:
    etag, language, body = raw.split(b"\n", 2)
    return etag.decode(), language.decode(), body


Entry = tuple[str, str, bytes]


async def _produce(cache: Cache, key: str, produce: Producer) -> Entry:
    produced, language = await produce()
    body = (
        produced
        if isinstance(produced, bytes)
        else produced.__pydantic_serializer__.to_json(produced, by_alias=True)
    )
    entry = (etag_of(body), language, body)
    if key:
        try:
            await cache.set(key, _pack(*entry), TTL_SECONDS)
        except Exception:
            log.warning("catalog_cache_unavailable", exc_info=True)
    return entry


async def _produce_once(request: Request, cache: Cache, key: str, produce: Producer) -> Entry:
    """Produce the page, unless another request of this process is already producing the same
    one: then wait for its result. If that request fails, each waiter produces on its own."""
    if not key:
        return await _produce(cache, key, produce)
    inflight: dict[str, asyncio.Future[Entry | None]] | None = getattr(
        request.app.state, _INFLIGHT, None
    )
    if inflight is None:
        inflight = {}
        setattr(request.app.state, _INFLIGHT, inflight)
    pending = inflight.get(key)
    if pending is not None:
        shared = await asyncio.shield(pending)
        return shared if shared is not None else await _produce(cache, key, produce)
    future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
    inflight[key] = future
    entry: Entry | None = None
    try:
        entry = await _produce(cache, key, produce)
        return entry
    finally:
        inflight.pop(key, None)
        future.set_result(entry)


async def serve(request: Request, kind: str, prefs: tuple[str, ...], produce: Producer) -> Response:
    """Answer a public read from the cache, or produce, cache and answer it."""
    cache: Cache = request.app.state.cache
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))
    source = f"{kind}|{request.url.path}|{query}|{','.join(prefs)}"
    entry: Entry | None = None
    key = ""
    try:
        key = (
            f"catalog:page:{await generation(cache)}:{hashlib.sha256(source.encode()).hexdigest()}"
        )
        raw = await cache.get(key)
        entry = _unpack(raw) if raw else None
    except Exception:  # the cache is an optimisation: serve from the database without it
        log.warning("catalog_cache_unavailable", exc_info=True)
    if entry is None:
        entry = await _produce_once(request, cache, key, produce)
    etag, language, body = entry
    headers = {"ETag": etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Language"}
    if language:
        headers["Content-Language"] = language
    if etag_matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


# --------------------------------------------------------------------------- invalidation


async def track_changes(request: Request, session: DbSession) -> None:
    """Router dependency of write routes: remember the unit of work's ``info`` so the response
    can see, after the commit, whether the public catalog changed."""
    request.state.catalog_session_info = session.info


async def _bump_if_changed(scope: Scope, status_code: int) -> None:
    state: dict[str, Any] = scope.get("state") or {}
    info = state.get(_STATE_KEY)
    if info is not None and info.pop(PUBLIC_CHANGE, False) and status_code < 400:
        try:
            await bump_generation(scope["app"].state.cache)
        except Exception:  # cached pages then expire by TTL; the write itself succeeded
            log.warning("catalog_generation_bump_failed", exc_info=True)


class CatalogJSONResponse(JSONResponse):
    """JSON response of a catalog write: invalidates cached public pages once committed."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _bump_if_changed(scope, self.status_code)
        await super().__call__(scope, receive, send)


class CatalogNoContent(Response):
    """204 response of a catalog write (same invalidation as ``CatalogJSONResponse``)."""

    def __init__(self) -> None:
        super().__init__(status_code=204)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _bump_if_changed(scope, self.status_code)
        await super().__call__(scope, receive, send)
