"""ETag and Cache-Control on public catalog reads, 304 on a matching If-None-Match, and cached
pages invalidated by publish, update and archive (also across app processes sharing Redis)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient

from campus.config import Settings
from campus.kernel.db import Database
from campus.main import create_app
from tests.conftest import TEST_REDIS_URL
from tests.fixtures.catalog import API, CatalogFactory, ok
from tests.fixtures.queries import assert_same_count, count_queries

PUBLIC = ["/courses", "/categories", "/tracks"]


async def test_public_reads_carry_etag_and_cache_control_and_answer_304(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(
        cast.owner, cast.admin, track={"slug": "python", "name": "Python"}
    )
    for path in [*PUBLIC, f"/courses/{course['slug']}", "/tracks/python"]:
        first = await client.get(API + path)
        assert first.status_code == 200
        etag = first.headers["etag"]
        assert etag.startswith('"')
        assert first.headers["cache-control"] == "public, max-age=60"
        assert "Accept-Language" in first.headers["vary"]
        again = await client.get(API + path, headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        weak = await client.get(API + path, headers={"If-None-Match": f'"x", W/{etag}'})
        assert weak.status_code == 304
        other = await client.get(API + path, headers={"If-None-Match": '"stale"'})
        assert other.status_code == 200
        assert other.json() == first.json()


async def test_publish_update_and_archive_invalidate_cached_pages(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    first = await catalog.published(cast.owner, cast.admin, title="First")

    async def state(path: str) -> tuple[str, dict[str, Any]]:
        response = await client.get(API + path)
        assert response.status_code == 200
        return response.headers["etag"], response.json()

    list_etag, body = await state("/courses")
    detail_etag, _ = await state(f"/courses/{first['id']}")
    assert body["total"] == 1

    # publish
    await catalog.published(cast.owner, cast.admin, title="Second")
    etag, body = await state("/courses")
    assert etag != list_etag
    assert body["total"] == 2
    list_etag = etag

    # update
    ok(
        await client.patch(
            f"{API}/courses/{first['id']}",
            json={"title": "First, renamed"},
            headers=cast.owner.headers,
        )
    )
    etag, body = await state("/courses")
    assert etag != list_etag
    assert "First, renamed" in [c["title"] for c in body["items"]]
    etag, detail = await state(f"/courses/{first['id']}")
    assert etag != detail_etag
    assert detail["title"] == "First, renamed"
    list_etag = etag

    # archive
    ok(await client.post(f"{API}/courses/{first['id']}/archive", headers=cast.owner.headers))
    etag, body = await state("/courses")
    assert body["total"] == 1
    ok(await client.get(f"{API}/courses/{first['id']}"), 404)


async def test_drafts_and_denied_writes_do_not_invalidate_the_cache(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    etag = (await client.get(f"{API}/courses")).headers["etag"]
    await catalog.draft(cast.other)  # a draft is not public: nothing to invalidate
    denied = await client.patch(
        f"{API}/courses/{course['id']}", json={"title": "x"}, headers=cast.other.headers
    )
    assert denied.status_code == 403
    again = await client.get(f"{API}/courses", headers={"If-None-Match": etag})
    assert again.status_code == 304


@asynccontextmanager
async def second_process(settings: Settings) -> AsyncIterator[AsyncClient]:
    """Another app instance on the same database and Redis: a second `campus serve`."""
    other: FastAPI = create_app(settings)
    async with LifespanManager(other):
        transport = ASGITransport(app=other, client=("203.0.113.11", 50001))
        async with AsyncClient(transport=transport, base_url="https://testserver") as http:
            yield http


@pytest.mark.skipif(not TEST_REDIS_URL, reason="cross-process caching needs CAMPUS_TEST_REDIS_URL")
async def test_the_etag_changes_in_every_process_sharing_redis(
    client: AsyncClient, catalog: CatalogFactory, settings: Settings
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin, title="Shared")
    async with second_process(settings) as other:
        before = await other.get(f"{API}/courses/{course['id']}")
        assert before.status_code == 200
        # The change goes through the first process ...
        ok(
            await client.patch(
                f"{API}/courses/{course['id']}",
                json={"title": "Shared, changed"},
                headers=cast.owner.headers,
            )
        )
        # ... and the second one stops serving its cached page at once.
        after = await other.get(
            f"{API}/courses/{course['id']}", headers={"If-None-Match": before.headers["etag"]}
        )
        assert after.status_code == 200
        assert after.json()["title"] == "Shared, changed"
        assert after.headers["etag"] != before.headers["etag"]


async def test_concurrent_misses_of_one_page_run_its_queries_once(
    app: FastAPI, client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    pages = (f"{API}/courses?sort=-popularity&limit=5", f"{API}/courses/{course['slug']}")
    for url, budget in zip(pages, (2, 3), strict=True):
        await app.state.cache.clear()
        with count_queries(db) as single:
            alone = await client.get(url)
        await app.state.cache.clear()
        with count_queries(db) as burst:
            responses = await asyncio.gather(*(client.get(url) for _ in range(10)))
        assert {r.status_code for r in responses} == {200}
        assert {r.content for r in responses} == {alone.content}
        single.assert_count(budget, url)
        assert_same_count(single, burst, f"{url}: one miss, then ten at once")
