"""The hot paths' response headers, pinned exactly (issue 19: the request path is made cheaper
without changing what it answers). Every header name of ``/healthz``, ``GET /users/me`` and
public catalog reads (the first answer, produced, and the second, from the response cache) is
listed with its value, except the ones that vary per request or per content (request id,
length, ETag), whose presence is pinned."""

from __future__ import annotations

from httpx import AsyncClient, Response

from campus.catalog.httpcache import bump_generation
from tests.fixtures.catalog import API, CatalogFactory, catalog
from tests.fixtures.identity import identity

__all__ = ["catalog", "identity"]

SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
}
JSON = {"content-type": "application/json"}
VARYING = {"x-request-id", "content-length"}
CATALOG = {
    **SECURITY,
    **JSON,
    "cache-control": "public, max-age=60",
    "vary": "Accept-Language",
    "content-language": "en",
}


def assert_headers(response: Response, fixed: dict[str, str], varying: set[str]) -> None:
    assert response.status_code == 200, response.text
    names = [name for name, _ in response.headers.multi_items()]
    assert len(names) == len(set(names)), f"a header is repeated: {names}"
    assert set(names) == set(fixed) | varying
    for name, value in fixed.items():
        assert response.headers[name] == value, name
    assert response.headers["content-length"] == str(len(response.content))
    assert len(response.headers["x-request-id"]) >= 16


async def test_healthz_headers(client: AsyncClient) -> None:
    assert_headers(await client.get("/healthz"), {**SECURITY, **JSON}, VARYING)


async def test_users_me_headers(client: AsyncClient, catalog: CatalogFactory) -> None:
    cast = await catalog.cast()
    response = await client.get("/api/v1/users/me", headers=cast.student.headers)
    assert_headers(response, {**SECURITY, **JSON, "cache-control": "no-store"}, VARYING)


async def test_catalog_read_headers_produced_and_cached(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    await bump_generation(client._transport.app.state.cache)  # type: ignore[attr-defined]
    for path in (f"/courses/{course['slug']}", "/courses?limit=20"):
        first = await client.get(API + path)
        cached = await client.get(API + path)
        for response in (first, cached):
            assert_headers(response, CATALOG, VARYING | {"etag"})
        assert cached.content == first.content
        assert cached.headers["etag"] == first.headers["etag"]
        assert cached.headers["x-request-id"] != first.headers["x-request-id"]
        # A signed-in caller gets the same public page (its Cache-Control is the route's own).
        signed_in = await client.get(API + path, headers=cast.student.headers)
        assert_headers(signed_in, CATALOG, VARYING | {"etag"})
        assert signed_in.content == first.content
