"""Route lookup skips whole routers by the literal start of their paths: every documented route
is still found (a wrong method on it is a 405, never a 404), and near misses are 404s."""

from __future__ import annotations

import re
import uuid

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

_PARAM = re.compile(r"\{[^}]+\}")


def documented_paths(app: FastAPI) -> list[str]:
    return sorted(app.openapi()["paths"])


async def test_every_documented_route_is_found_by_the_router(
    app: FastAPI, client: AsyncClient
) -> None:
    paths = documented_paths(app)
    assert len(paths) > 100
    for template in paths:
        path = _PARAM.sub(uuid.uuid4().hex, template)
        response = await client.request("TRACE", path)
        assert response.status_code == 405, (template, response.status_code)
        assert response.json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/coursesx",
        "/api/v1/users/mee",
        "/api/v1/auth",
        "/api/v2/courses",
        "/healthzz",
        "/files",
        "/api/v1/",
    ],
)
async def test_near_misses_of_real_routes_are_404(client: AsyncClient, path: str) -> None:
    response = await client.get(path)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
