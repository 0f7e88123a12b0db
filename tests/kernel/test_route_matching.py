"""A request's route is found once (issue 19): the included router that holds it is scanned to
choose it, and the dispatch reuses that match instead of scanning the router again."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.routing import APIRoute
from httpx import AsyncClient
from starlette.routing import Match
from starlette.types import Scope

from campus.identity.endpoints.me import get_me
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
