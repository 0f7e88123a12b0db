"""Bad input gets a clean 4xx envelope and changes nothing: invalid enums, prices, filters and
sorts, page sizes, category cycles, oversized markdown, unsafe URLs, hostile path values."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from campus.catalog.httpcache import bump_generation
from tests.fixtures.catalog import API, Cast, CatalogFactory, ok


def assert_envelope(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["error"]["traceId"]
    assert "Traceback" not in response.text
    if code is not None:
        assert body["error"]["code"] == code, body
    return body  # type: ignore[no-any-return]


async def state(client: AsyncClient, app: FastAPI, cast: Cast) -> str:
    await bump_generation(app.state.cache)
    parts = [
        ok(await client.get(f"{API}/authoring/courses?limit=100", headers=cast.admin.headers)),
        ok(await client.get(f"{API}/categories")),
        ok(await client.get(f"{API}/courses?limit=100")),
    ]
    for item in parts[0]["items"]:
        parts.append(await client_get(client, f"{API}/authoring/courses/{item['id']}", cast))
    return json.dumps(parts, sort_keys=True)


async def client_get(client: AsyncClient, url: str, cast: Cast) -> Any:
    return ok(await client.get(url, headers=cast.admin.headers))


BAD_COURSES: list[tuple[dict[str, Any], str]] = [
    ({"title": "X", "level": "expert"}, "level"),
    ({"title": "X", "language": "english!"}, "language"),
    ({"title": "X", "price": {"amount": "-1.00", "currency": "USD"}}, "amount"),
    ({"title": "X", "price": {"amount": "19.999", "currency": "USD"}}, "amount"),
    ({"title": "X", "price": {"amount": "10.5", "currency": "JPY"}}, "amount"),
    ({"title": "X", "price": {"amount": 19.99, "currency": "USD"}}, "amount"),
    ({"title": "X", "price": {"amount": "1", "currency": "US"}}, "currency"),
    ({"title": "X", "isFree": True, "price": {"amount": "5", "currency": "USD"}}, "price"),
    ({"title": "X", "isFree": False}, "price"),
    ({"title": "X", "thumbnailUrl": "javascript:alert(1)"}, "thumbnailUrl"),
    ({"title": "X", "trailerUrl": "data:text/html;base64,PHNjcmlwdD4="}, "trailerUrl"),
    ({"title": "X", "thumbnailUrl": "/relative/path.png"}, "thumbnailUrl"),
    ({"title": "X", "thumbnailUrl": "https://exa mple.com/x.png"}, "thumbnailUrl"),
    ({"title": "X", "thumbnailUrl": "ftp://example.com/x.png"}, "thumbnailUrl"),
    ({"title": ""}, "title"),
    ({"title": "X" * 201}, "title"),
    ({"title": "X", "tags": ["ok", "x" * 51]}, "tags"),
    ({"title": "X", "tags": [f"t{n}" for n in range(21)]}, "tags"),
    ({"title": "X", "categoryId": "00000000-0000-0000-0000-000000000000"}, "categoryId"),
    (
        {
            "title": "X",
            "pricingTiers": [{"tier": "gold", "price": {"amount": "1", "currency": "USD"}}],
        },
        "tier",
    ),
    ({"title": "X", "track": {"slug": "Not A Slug", "name": "x"}}, "slug"),
]


async def test_invalid_course_payloads_are_422_and_create_nothing(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    before = await state(client, app, cast)
    for body, field in BAD_COURSES:
        for method, url in (("POST", f"{API}/courses"),):
            response = await client.request(method, url, json=body, headers=cast.owner.headers)
            error = assert_envelope(response, 422)
            assert field in json.dumps(error["error"]["details"]), (body, error)
    assert await state(client, app, cast) == before


BAD_QUERIES = [
    ("foo=1", 422),  # unknown filter
    ("sort=popularity,bogus", 422),  # unknown sort field
    ("sort=-", 422),
    ("level=expert", 422),
    ("minPrice=-5", 422),
    ("minPrice=1.2345", 422),
    ("minPrice=abc", 422),
    ("minPrice=10&maxPrice=5", 422),
    ("minRating=6", 422),
    ("minRating=4.555", 422),
    ("instructor=not-a-uuid", 422),
    ("category=does-not-exist", 422),
    ("tag=Bad Tag!", 422),
    ("page=0", 422),
    ("page=100001", 422),
    ("limit=0", 422),
    ("q=" + "x" * 201, 422),
    ("lang=%00", 422),
]


async def test_invalid_list_queries_are_clean_4xx(client: AsyncClient) -> None:
    for query, status in BAD_QUERIES:
        response = await client.get(f"{API}/courses?{query}")
        assert response.status_code == status, query
        assert_envelope(response, status)


async def test_page_sizes_above_100_are_refused_as_documented(client: AsyncClient) -> None:
    assert ok(await client.get(f"{API}/courses?limit=100"))["limit"] == 100
    response = await client.get(f"{API}/courses?limit=101")
    assert response.status_code == 422
    assert_envelope(response, 422)


HOSTILE_REFS = [
    "' OR 1=1--",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "x" * 201,
    "DROP TABLE catalog_courses;",
    "00000000-0000-0000-0000-000000000000",
    "<script>alert(1)</script>",
]


async def test_hostile_references_in_paths_are_clean_4xx(client: AsyncClient) -> None:
    for ref in HOSTILE_REFS:
        for kind in ("courses", "tracks", "categories"):
            response = await client.get(f"{API}/{kind}/{ref}")
            assert response.status_code in {404, 422}, (kind, ref, response.text)
            assert_envelope(response, response.status_code)


async def test_non_uuid_ids_in_authoring_paths_are_422(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    for url in (
        f"{API}/courses/not-a-uuid/modules",
        f"{API}/courses/1%20OR%201=1/submit",
    ):
        assert_envelope(
            await client.post(url, json={"title": "x"}, headers=cast.owner.headers), 422
        )
    assert_envelope(
        await client.patch(
            f"{API}/tags/../../etc", json={"label": "x"}, headers=cast.admin.headers
        ),
        404,
    )


async def test_oversized_markdown_is_refused_and_nothing_changes(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner)
    lesson = course["curriculum"][0]["lessons"][0]
    url = f"{API}/courses/{course['id']}/lessons/{lesson['id']}"
    before = await state(client, app, cast)
    just_over = "é" * (100 * 1024 + 1)  # 200 kB + 2 bytes of UTF-8, well under the body limit
    body = assert_envelope(
        await client.patch(url, json={"body": just_over}, headers=cast.owner.headers), 422
    )
    assert body["error"]["details"]["fields"][0]["code"] == "body_too_large"
    huge = "x" * (2 * 1024 * 1024)  # over the request-body limit
    assert_envelope(await client.patch(url, json={"body": huge}, headers=cast.owner.headers), 413)
    assert await state(client, app, cast) == before
    fits = "x" * (200 * 1024)
    ok(await client.patch(url, json={"body": fits}, headers=cast.owner.headers))


BAD_LESSON_CHANGES: list[dict[str, Any]] = [
    {"videoUrl": "javascript:alert(1)"},
    {"presentationUrl": "data:application/pdf;base64,AAAA"},
    {"contentUrls": [{"type": "pdf", "url": "file:///etc/passwd"}]},
    {"contentUrls": [{"type": "hologram", "url": "https://example.com"}]},
    {"attachments": [{"name": "a", "url": "vbscript:msgbox"}]},
    {"attachments": [{"name": "a", "url": "https://example.com/a", "sizeBytes": -1}]},
    {"type": "podcast"},
    {"status": "live"},
    {"videoDurationSeconds": -5},
    {"estimatedMinutes": 10**9},
    {"title": None},
]


async def test_invalid_lesson_changes_are_422_and_change_nothing(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner)
    lesson = course["curriculum"][0]["lessons"][0]
    url = f"{API}/courses/{course['id']}/lessons/{lesson['id']}"
    before = await state(client, app, cast)
    for change in BAD_LESSON_CHANGES:
        response = await client.patch(url, json=change, headers=cast.owner.headers)
        assert response.status_code == 422, (change, response.text)
        assert_envelope(response, 422)
    assert await state(client, app, cast) == before


async def test_a_category_cannot_become_its_own_ancestor_even_through_a_deep_chain(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    chain = [await catalog.category(cast.admin, name="Level 0")]
    for depth in range(1, 30):
        chain.append(
            await catalog.category(cast.admin, name=f"Level {depth}", parentId=chain[-1]["id"])
        )
    before = await state(client, app, cast)
    root, leaf = chain[0], chain[-1]
    for target, parent in ((root, root), (root, leaf), (chain[10], chain[20])):
        response = await client.patch(
            f"{API}/categories/{target['id']}",
            json={"parentId": parent["id"]},
            headers=cast.admin.headers,
        )
        assert_envelope(response, 422, "category_cycle")
    unknown = await client.patch(
        f"{API}/categories/{root['id']}",
        json={"parentId": "00000000-0000-0000-0000-000000000000"},
        headers=cast.admin.headers,
    )
    assert_envelope(unknown, 422)
    assert await state(client, app, cast) == before
    # Moving a subtree elsewhere is fine; the detail shows the new ancestry.
    other = await catalog.category(cast.admin, name="Elsewhere")
    ok(
        await client.patch(
            f"{API}/categories/{chain[10]['id']}",
            json={"parentId": other["id"]},
            headers=cast.admin.headers,
        )
    )
    detail = ok(await client.get(f"{API}/categories/{leaf['slug']}"))
    assert detail["ancestors"][0]["slug"] == "elsewhere"
    assert len(detail["ancestors"]) == 29 - 10 + 1


async def test_wrong_content_type_and_malformed_json_are_clean(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    response = await client.post(
        f"{API}/courses",
        content="title=x",
        headers={**cast.owner.headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_envelope(response, 415)
    response = await client.post(
        f"{API}/courses",
        content="{not json",
        headers={**cast.owner.headers, "Content-Type": "application/json"},
    )
    assert_envelope(response, 400)
