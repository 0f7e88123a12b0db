"""Public catalog pages already in the response cache are answered before routing (issue 19):
no route matching, no dependency, no validation, no database; with the same body, headers,
metrics label and log line as the routed answer. Whatever the route would refuse or has not
answered yet still goes to the route."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRouter
from httpx import AsyncClient, Response
from starlette.types import Receive, Scope, Send

from campus.catalog.httpcache import bump_generation
from campus.kernel.db import Database
from tests.fixtures.catalog import API, CatalogFactory, catalog
from tests.fixtures.identity import identity
from tests.fixtures.queries import count_queries
from tests.kernel.conftest import AppFactory, LogCapture, client_for

__all__ = ["catalog", "identity"]

ALLOWED_ORIGIN = "https://app.campus.example"


class RouterCalls:
    """Counts the requests that reach the app's router (anything not answered before it)."""

    def __init__(self) -> None:
        self.paths: list[str] = []


@pytest.fixture
def router_calls(monkeypatch: pytest.MonkeyPatch) -> RouterCalls:
    calls = RouterCalls()
    routed = APIRouter.__call__

    async def counted(self: APIRouter, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            calls.paths.append(scope["path"])
        await routed(self, scope, receive, send)

    monkeypatch.setattr(APIRouter, "__call__", counted)
    return calls


def same_answer(first: Response, second: Response) -> None:
    assert second.status_code == first.status_code
    assert second.content == first.content
    varying = {"x-request-id"}
    assert {k: v for k, v in first.headers.items() if k not in varying} == {
        k: v for k, v in second.headers.items() if k not in varying
    }


async def _published(app: FastAPI, catalog: CatalogFactory) -> dict[str, Any]:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    await bump_generation(app.state.cache)
    return course


async def test_a_cached_public_page_is_answered_without_the_router_or_the_database(
    app: FastAPI,
    client: AsyncClient,
    catalog: CatalogFactory,
    db: Database,
    router_calls: RouterCalls,
) -> None:
    course = await _published(app, catalog)
    for path in (f"/courses/{course['slug']}", "/courses?limit=20", "/categories"):
        routed = await client.get(API + path)  # produced by the route, then cached
        assert routed.status_code == 200, routed.text
        router_calls.paths.clear()
        with count_queries(db) as queries:
            cached = await client.get(API + path)
        assert router_calls.paths == [], path
        queries.assert_count(0, path)
        same_answer(routed, cached)
        assert cached.headers["x-request-id"] != routed.headers["x-request-id"]


async def test_a_cached_page_costs_one_cache_look_up(
    app: FastAPI,
    client: AsyncClient,
    catalog: CatalogFactory,
    router_calls: RouterCalls,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    course = await _published(app, catalog)
    url = f"{API}/courses/{course['slug']}"
    assert (await client.get(url)).status_code == 200
    cache = app.state.cache
    looked_up: list[str] = []
    for method in ("get", "get_many"):
        original = getattr(cache, method)

        def counted(*keys: str, _original: Any = original, _method: str = method) -> Any:
            looked_up.append(_method)
            return _original(*keys)

        monkeypatch.setattr(cache, method, counted)
    router_calls.paths.clear()
    assert (await client.get(url)).status_code == 200
    assert router_calls.paths == []
    assert looked_up == ["get_many"]  # the generation and the page together


async def test_a_conditional_request_for_a_cached_page_gets_its_304_before_routing(
    app: FastAPI, client: AsyncClient, catalog: CatalogFactory, router_calls: RouterCalls
) -> None:
    course = await _published(app, catalog)
    url = f"{API}/courses/{course['slug']}"
    etag = (await client.get(url)).headers["etag"]
    router_calls.paths.clear()
    unchanged = await client.get(url, headers={"If-None-Match": f'"other", W/{etag}'})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    changed = await client.get(url, headers={"If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert router_calls.paths == []


async def test_an_answer_before_routing_is_counted_and_logged_under_its_route(
    app: FastAPI,
    client: AsyncClient,
    catalog: CatalogFactory,
    router_calls: RouterCalls,
    logs: LogCapture,
) -> None:
    course = await _published(app, catalog)
    route = f"{API}/courses/{{course_ref}}"
    labels = f'method="GET",route="{route}",status="200"'
    await client.get(f"{API}/courses/{course['slug']}")
    before = (await client.get("/metrics")).text
    router_calls.paths.clear()
    cached = await client.get(f"{API}/courses/{course['slug']}")
    assert router_calls.paths == []
    after = (await client.get("/metrics")).text
    assert _count(after, labels) == _count(before, labels) + 1
    lines = [
        r
        for r in logs.records()
        if r.get("event") == "request" and r.get("request_id") == cached.headers["x-request-id"]
    ]
    assert len(lines) == 1
    assert lines[0]["route"] == route
    assert lines[0]["status"] == 200
    assert lines[0]["path"] == f"{API}/courses/{course['slug']}"


def _count(metrics: str, labels: str) -> float:
    match = re.search(
        r"^campus_http_requests_total\{" + re.escape(labels) + r"\} (\S+)$", metrics, re.M
    )
    return float(match.group(1)) if match else 0.0


async def test_what_the_route_would_refuse_or_has_not_answered_still_goes_to_the_route(
    app: FastAPI, client: AsyncClient, catalog: CatalogFactory, router_calls: RouterCalls
) -> None:
    course = await _published(app, catalog)
    url = f"{API}/courses/{course['slug']}"
    assert (await client.get(url)).status_code == 200
    cases: list[tuple[str, dict[str, Any], int]] = [
        # Not answered yet under these parameters, languages or this generation.
        (f"{url}?lang=fr", {}, 200),
        (url, {"headers": {"Accept-Language": "de"}}, 200),
        # Refused by the route: each is a 422 with its own details, never the cached page.
        (f"{url}?lang=%21%21", {}, 422),
        (f"{url}?unknown=1", {}, 422),
        (url, {"content": b'{"a": 1}', "headers": {"Content-Type": "application/json"}}, 422),
    ]
    for target, options, status in cases:
        router_calls.paths.clear()
        response = await client.request("GET", target, **options)
        assert response.status_code == status, (target, response.text)
        assert len(router_calls.paths) == 1, target
    # A method the route does not take.
    router_calls.paths.clear()
    assert (await client.post(url, json={})).status_code in {401, 403, 405, 422}
    assert len(router_calls.paths) == 1
    # A change to the public catalog: the next read is produced again by the route.
    await bump_generation(app.state.cache)
    router_calls.paths.clear()
    assert (await client.get(url)).status_code == 200
    assert len(router_calls.paths) == 1


async def test_an_answer_before_routing_passes_through_cors(
    make_app: AppFactory, catalog: CatalogFactory, router_calls: RouterCalls
) -> None:
    async with make_app(cors_origins=[ALLOWED_ORIGIN]) as app, client_for(app) as client:
        course = await _published(app, catalog)
        url = f"{API}/courses/{course['slug']}"
        routed = await client.get(url, headers={"Origin": ALLOWED_ORIGIN})
        router_calls.paths.clear()
        cached = await client.get(url, headers={"Origin": ALLOWED_ORIGIN})
        assert router_calls.paths == []
        same_answer(routed, cached)
        assert cached.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
