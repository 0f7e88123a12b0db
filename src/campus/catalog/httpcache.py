"""HTTP caching of public catalog reads (docs/adr/0008-catalog-browse-search-cache.md).

Public reads are cached in ``app.state.cache`` (memory, or Redis shared by every app process)
with the catalog *generation* they were produced under, a counter bumped whenever a committed
unit of work changed what the public catalog shows; a page of an older generation is a miss
(the generation and the page are read together: one round trip on Redis). The ETag is a
hash of the response body, so it changes exactly when the content does, in every process;
``If-None-Match`` gets a 304.

The bump happens after the commit and before the response leaves: write routes answer with
``CatalogJSONResponse``/``CatalogNoContent``, which bump when the request's unit of work was
flagged by ``service.access.mark_public_change`` (the flag is read from the session that
``track_changes`` remembers). A reader that races the bump can only cache fresh data under the
old generation, never stale data under the new one.

A page already in the cache is answered before routing (``CachedPages``, a kernel
pre-route responder registered on the app by the first public read ``serve`` answers): no
route matching, no dependency (no session, no principal), no validation. Its key holds exactly
what the routed answer's does (path, query parameters, language preferences), the route being
fixed by the method and path, so an entry exists only for a request the route validated and
answered; the answer carries the same headers, and the metrics and access log name the same
route (stored with the page). A request the cache cannot answer goes to the router as before.

Misses are coalesced per process: when many requests miss the same page at once (a page that
just expired, or every page right after a generation bump), one of them produces it and the
others wait for that result instead of all running the same queries ("thundering herd": at
1,000 requests/s a stampede of 32 concurrent course pages stalled the loop for ~250 ms).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from fastapi import Request, Response
from pydantic import BaseModel
from starlette.datastructures import QueryParams
from starlette.types import Receive, Scope, Send

from campus.catalog import i18n
from campus.catalog.service.access import PUBLIC_CHANGE
from campus.kernel.auth import DbSession
from campus.kernel.cache import Cache
from campus.kernel.http import (
    ROUTE_TEMPLATE_KEY,
    CampusJSONResponse,
    add_pre_route,
    route_template,
)
from campus.kernel.logging import get_logger

log = get_logger("campus.catalog.cache")

GENERATION_KEY = "catalog:generation"
TTL_SECONDS = 60
CACHE_CONTROL = f"public, max-age={TTL_SECONDS}"
_STATE_KEY = "catalog_session_info"
_INFLIGHT = "catalog_pages_in_flight"
_CACHED_PAGES = "catalog_cached_pages"
_RECENT = "catalog_pages_recently_produced"
#: Pages this process produced last, kept for the requests that missed them in the cache while
#: they were being produced.
_RECENT_PAGES = 64
#: The page keys' format version: entries of another format are never read as this one.
_PAGE_KEY = "catalog:page:v3"

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


class Entry(NamedTuple):
    """A cached page: the catalog generation it was produced under, its ETag, Content-Language,
    the template of the route that produced it (the metrics label of an answer given before
    routing) and the JSON body."""

    generation: int
    etag: str
    language: str
    route: str
    body: bytes


def _pack(entry: Entry) -> bytes:
    head = (str(entry.generation), entry.etag, entry.language, entry.route)
    return "\n".join(head).encode() + b"\n" + entry.body


def _unpack(raw: bytes) -> Entry:
    generation, etag, language, route, body = raw.split(b"\n", 4)
    return Entry(int(generation), etag.decode(), language.decode(), route.decode(), body)


def _page_key(path: str, query: QueryParams, prefs: tuple[str, ...]) -> str:
    """The cache key of a public page. The method (GET) and the path fix the route, so the key
    is the path, the query parameters (sorted) and the caller's language preferences: the same
    for the routed answer and the one given before routing."""
    items = "&".join(f"{k}={v}" for k, v in sorted(query.multi_items()))
    source = f"{path}|{items}|{','.join(prefs)}"
    return f"{_PAGE_KEY}:{hashlib.sha256(source.encode()).hexdigest()}"


async def _lookup(cache: Cache, key: str) -> tuple[int, Entry | None]:
    """The current generation and the page cached under ``key`` if it was produced under it,
    in one look-up (one round trip on Redis). A page of an older generation is a miss."""
    current, raw = await cache.get_many(GENERATION_KEY, key)
    generation = int(current or b"0")
    entry = _unpack(raw) if raw else None
    return generation, entry if entry is not None and entry.generation == generation else None


def _page_response(entry: Entry, if_none_match: str | None) -> Response:
    headers = {"ETag": entry.etag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Language"}
    if entry.language:
        headers["Content-Language"] = entry.language
    if etag_matches(if_none_match, entry.etag):
        return Response(status_code=304, headers=headers)
    return Response(entry.body, media_type="application/json", headers=headers)


#: Where a produced page is cached: its key and the generation read before producing it (a
#: bump while it is produced leaves it marked with the older one), or None: not cached.
Slot = tuple[str, int] | None


async def _produce(cache: Cache, slot: Slot, route: str, produce: Producer) -> Entry:
    produced, language = await produce()
    body = (
        produced
        if isinstance(produced, bytes)
        else produced.__pydantic_serializer__.to_json(produced, by_alias=True)
    )
    entry = Entry(slot[1] if slot else 0, etag_of(body), language, route, body)
    if slot is not None:
        try:
            await cache.set(slot[0], _pack(entry), TTL_SECONDS)
        except Exception:
            log.warning("catalog_cache_unavailable", exc_info=True)
    return entry


async def _produce_once(
    request: Request,
    cache: Cache,
    slot: Slot,
    route: str,
    produce: Producer,
    looked_up_at: float,
) -> Entry:
    """Produce the page, unless another request of this process is already producing the same
    one: then wait for its result. If that request fails, each waiter produces on its own."""
    if slot is None:
        return await _produce(cache, slot, route, produce)
    inflight: dict[Slot, asyncio.Future[Entry | None]] | None = getattr(
        request.app.state, _INFLIGHT, None
    )
    if inflight is None:
        inflight = {}
        setattr(request.app.state, _INFLIGHT, inflight)
    pending = inflight.get(slot)
    if pending is not None:
        shared = await asyncio.shield(pending)
        return shared if shared is not None else await _produce(cache, slot, route, produce)
    # A request whose look-up missed while another one was producing the page, and that gets
    # here after that one finished, takes its result instead of producing it again. Only a
    # page finished after this request's look-up began: anything older it would have found in
    # the cache, had the cache still held it.
    recent = _recently_produced(request.app)
    done = recent.get(slot)
    if done is not None and done[0] >= looked_up_at:
        return done[1]
    future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
    inflight[slot] = future
    entry: Entry | None = None
    try:
        entry = await _produce(cache, slot, route, produce)
        return entry
    finally:
        if entry is not None:  # before the future leaves ``inflight``: no gap between them
            recent[slot] = (time.monotonic(), entry)
            recent.move_to_end(slot)
            while len(recent) > _RECENT_PAGES:
                recent.popitem(last=False)
        inflight.pop(slot, None)
        future.set_result(entry)


def _recently_produced(app: Any) -> OrderedDict[Slot, tuple[float, Entry]]:
    recent: OrderedDict[Slot, tuple[float, Entry]] | None = getattr(app.state, _RECENT, None)
    if recent is None:
        recent = OrderedDict()
        setattr(app.state, _RECENT, recent)
    return recent


async def serve(request: Request, kind: str, prefs: tuple[str, ...], produce: Producer) -> Response:
    """Answer a public read (``kind`` names it in logs) from the cache, or produce, cache and
    answer it; from then on this app answers the same request before routing."""
    cache: Cache = request.app.state.cache
    route = route_template(request.scope) or ""
    _cached_pages(request.app).learn(route)
    key = _page_key(request.scope["path"], request.query_params, prefs)
    entry: Entry | None = None
    slot: Slot = None
    looked_up_at = time.monotonic()
    try:
        current, entry = await _lookup(cache, key)
        slot = (key, current)
    except Exception:  # the cache is an optimisation: serve from the database without it
        log.warning("catalog_cache_unavailable", page=kind, exc_info=True)
    if entry is None:
        entry = await _produce_once(request, cache, slot, route, produce, looked_up_at)
    return _page_response(entry, request.headers.get("if-none-match"))


# --------------------------------------------------------------------------- before routing


def _path_pattern(template: str) -> str:
    """A route template's paths (``/api/v1/courses/{course_ref}``): each parameter one segment."""
    parts = re.split(r"\{[^}]*\}", template)
    return "[^/]+".join(re.escape(part) for part in parts)


class CachedPages:
    """An app's pre-route responder: answers a GET for a public page found in the cache.

    It knows the route templates of the public reads this app has answered (``learn``), so a
    request on any other path costs one regular expression and never a cache look-up. It
    answers only a request without a body (one with a body goes to the route, which refuses
    it); anything it cannot answer, or any failure (a malformed ``lang``, the cache down), goes
    to the router, whose answer is the reference."""

    def __init__(self) -> None:
        self._routes: set[str] = set()
        self._paths: re.Pattern[str] | None = None

    def learn(self, route: str) -> None:
        if route and route not in self._routes:
            self._routes.add(route)
            alternatives = "|".join(_path_pattern(r) for r in sorted(self._routes))
            self._paths = re.compile(f"(?:{alternatives})")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> bool:
        paths = self._paths
        if paths is None or scope["method"] != "GET" or not paths.fullmatch(scope["path"]):
            return False
        accept_language: str | None = None
        if_none_match: str | None = None
        for name, value in scope["headers"]:
            if name == b"accept-language":
                if accept_language is None:
                    accept_language = value.decode("latin-1")
            elif name == b"if-none-match":
                if if_none_match is None:
                    if_none_match = value.decode("latin-1")
            elif name == b"transfer-encoding" or (
                name == b"content-length" and value.strip() not in (b"", b"0")
            ):
                return False
        try:
            query = QueryParams(scope["query_string"])
            prefs = i18n.preferences(query.get("lang"), accept_language)
            cache: Cache = scope["app"].state.cache
            _, entry = await _lookup(cache, _page_key(scope["path"], query, prefs))
        except Exception:
            return False
        if entry is None or not entry.route:
            return False
        scope[ROUTE_TEMPLATE_KEY] = entry.route
        await _page_response(entry, if_none_match)(scope, receive, send)
        return True


def _cached_pages(app: Any) -> CachedPages:
    pages: CachedPages | None = getattr(app.state, _CACHED_PAGES, None)
    if pages is None:
        pages = CachedPages()
        setattr(app.state, _CACHED_PAGES, pages)
        add_pre_route(app, pages)
    return pages


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


class CatalogJSONResponse(CampusJSONResponse):
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
