"""MC-02: security headers on every response (errors included); CORS allow-list from settings."""

from __future__ import annotations

import pytest
from httpx import AsyncClient, Response

from campus.config import Settings
from tests.kernel.conftest import KERNEL_MAX_BODY, AppFactory, client_for
from tests.kernel.routes import PREFIX

ALLOWED_ORIGIN = "https://app.campus.example"
FOREIGN_ORIGIN = "https://evil.example"


def assert_security_headers(response: Response, *, docs: bool = False) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["cross-origin-opener-policy"] == "same-origin"
    assert headers["cross-origin-resource-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    csp = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp
    if docs:
        assert "script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net" in csp
    else:
        assert csp.startswith("default-src 'none'")
    assert headers["x-request-id"]


async def test_security_headers_on_success_and_every_kind_of_error(client: AsyncClient) -> None:
    responses = {
        "200": await client.get("/healthz"),
        "404": await client.get("/api/v1/nope"),
        "405": await client.delete(f"{PREFIX}/items"),
        "413": await client.post(
            f"{PREFIX}/echo",
            content=b"x" * (KERNEL_MAX_BODY + 1),
            headers={"Content-Type": "application/json"},
        ),
        "415": await client.post(f"{PREFIX}/echo", content=b"x", headers={"Content-Type": "a/b"}),
        "422": await client.post(f"{PREFIX}/echo", json={}),
        "429": await client.get(f"{PREFIX}/too-many"),
        "500": await client.get(f"{PREFIX}/boom"),
    }
    for status, response in responses.items():
        assert str(response.status_code) == status
        assert_security_headers(response)


async def test_docs_get_a_relaxed_csp_that_still_forbids_framing(client: AsyncClient) -> None:
    response = await client.get("/docs")
    assert response.status_code == 200
    assert_security_headers(response, docs=True)
    redoc = await client.get("/redoc")
    assert_security_headers(redoc, docs=True)


async def test_hsts_is_sent_in_production_only(client: AsyncClient) -> None:
    response = await client.get("/healthz")
    assert "strict-transport-security" not in response.headers


@pytest.fixture
def cors_overrides() -> dict[str, object]:
    return {"cors_origins": [ALLOWED_ORIGIN]}


async def test_allowed_origin_gets_cors_headers_and_a_foreign_one_does_not(
    make_app: AppFactory, cors_overrides: dict[str, object]
) -> None:
    async with make_app(**cors_overrides) as app, client_for(app) as client:
        allowed = await client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
        assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert allowed.headers["access-control-allow-credentials"] == "true"
        assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
        assert_security_headers(allowed)

        foreign = await client.get("/healthz", headers={"Origin": FOREIGN_ORIGIN})
        assert foreign.status_code == 200
        assert "access-control-allow-origin" not in foreign.headers


async def test_cors_preflight_from_an_allowed_origin_succeeds(
    make_app: AppFactory, cors_overrides: dict[str, object]
) -> None:
    async with make_app(**cors_overrides) as app, client_for(app) as client:
        response = await client.options(
            f"{PREFIX}/echo",
            headers={
                "Origin": ALLOWED_ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, authorization",
            },
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "authorization" in response.headers["access-control-allow-headers"].lower()
        assert_security_headers(response)


async def test_cors_preflight_from_a_foreign_origin_is_refused_with_the_envelope(
    make_app: AppFactory, cors_overrides: dict[str, object]
) -> None:
    async with make_app(**cors_overrides) as app, client_for(app) as client:
        response = await client.options(
            f"{PREFIX}/echo",
            headers={"Origin": FOREIGN_ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert response.status_code == 400
        assert "access-control-allow-origin" not in response.headers
        body = response.json()
        assert body["success"] is False
        assert body["error"]["code"] == "cors_rejected"
        assert body["error"]["traceId"] == response.headers["x-request-id"]
        assert_security_headers(response)


async def test_without_configured_origins_no_cors_headers_are_sent(
    client: AsyncClient, settings: Settings
) -> None:
    assert settings.cors_origins == []
    response = await client.get("/healthz", headers={"Origin": ALLOWED_ORIGIN})
    assert "access-control-allow-origin" not in response.headers
