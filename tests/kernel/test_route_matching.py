"""A request's route is found once (issue 19): the included router that holds it is scanned to
choose it, and the dispatch reuses that match instead of scanning the router again; the route
tables are not walked again on every request, and a route added later is still found."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from httpx import ASGITransport, AsyncClient
from starlette.routing import Match
from starlette.types import Scope

from campus.identity.endpoints.me import get_me
from campus.kernel import http
from campus.kernel.http import api_router
from tests.fixtures.identity import IdentityFactory, identity
from tests.kernel.routes import included_user

__all__ = ["identity"]


@pytest.fixture
def full_matches(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The endpoint of every full match a route reports, in order."""
    found: list[Any] = []
    matches = APIRoute.matches

    def counted(self: APIRoute, scope: Scope) -> tuple[Match, Scope]:
        match, child = matches(self, scope)
        if match == Match.FULL:
            found.append(self.endpoint)
        return match, child

    monkeypatch.setattr(APIRoute, "matches", counted)
    return found


async def test_a_route_under_an_include_prefix_is_matched_once_per_request(
    client: AsyncClient, full_matches: list[Any]
) -> None:
    response = await client.get("/api/v1/kernel-included/users/7")
    assert response.status_code == 200
    assert full_matches == [included_user]


async def test_a_route_of_a_context_router_is_matched_once_per_request(
    client: AsyncClient, identity: IdentityFactory, full_matches: list[Any]
) -> None:
    user = await identity.signed_in()
    full_matches.clear()
    response = await client.get("/api/v1/users/me", headers=user.headers)
    assert response.status_code == 200
    assert full_matches == [get_me]


async def test_a_wrong_method_still_gets_its_405_with_the_allowed_methods(
    client: AsyncClient,
) -> None:
    response = await client.delete("/api/v1/kernel-included/users/7")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


@pytest.fixture
def route_table_walks(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Every walk of a router's route tables (FastAPI's ``_get_routes_version``)."""
    walks: list[object] = []
    walk = http._walk

    def counted(router: object, seen: set[int] | None = None) -> int:
        walks.append(router)
        return walk(router, seen) if seen is not None else walk(router)

    monkeypatch.setattr(http, "_walk", counted)
    return walks


async def test_finding_a_route_walks_no_route_table_once_the_routes_are_known(
    client: AsyncClient, identity: IdentityFactory, route_table_walks: list[object]
) -> None:
    user = await identity.signed_in()
    await client.get("/api/v1/users/me", headers=user.headers)
    route_table_walks.clear()
    for _ in range(3):
        assert (await client.get("/api/v1/users/me", headers=user.headers)).status_code == 200
        assert (await client.get("/healthz")).status_code == 200
    assert route_table_walks == []


async def test_a_route_added_to_an_included_router_after_requests_is_found() -> None:
    """The kept route versions and literal prefixes move with any change to any router."""
    app = FastAPI()
    router = api_router(prefix="/api/v1/late")
    nested = api_router(prefix="/nested")

    @nested.get("/first")
    async def first() -> dict[str, str]:
        return {"route": "first"}

    router.include_router(nested)
    app.include_router(router)
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http_client:
        assert (await http_client.get("/api/v1/late/nested/first")).json() == {"route": "first"}
        assert (await http_client.get("/api/v1/late/other/second")).status_code == 404

        @nested.get("/second")
        async def second() -> dict[str, str]:
            return {"route": "second"}

        other = api_router(prefix="/other")

        @other.get("/second")
        async def other_second() -> dict[str, str]:
            return {"route": "other"}

        router.include_router(other)
        assert (await http_client.get("/api/v1/late/nested/second")).json() == {"route": "second"}
        assert (await http_client.get("/api/v1/late/other/second")).json() == {"route": "other"}
