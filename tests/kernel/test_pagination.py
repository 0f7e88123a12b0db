"""Lists: the page/limit envelope, the limit cap (RC-01), cursors and sort whitelists."""

from __future__ import annotations

import base64
import json

import pytest
from httpx import AsyncClient

from campus.kernel.errors import ValidationFailed
from campus.kernel.pagination import (
    MAX_LIMIT,
    Page,
    PageParams,
    SortSpec,
    decode_cursor,
    encode_cursor,
    parse_sort,
)
from tests.kernel.routes import ITEMS, PREFIX


async def test_page_envelope_has_items_total_page_limit_and_navigation_flags(
    client: AsyncClient,
) -> None:
    response = await client.get(f"{PREFIX}/items", params={"page": 2, "limit": 10})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"items", "total", "page", "limit", "hasNext", "hasPrev"}
    assert body["total"] == len(ITEMS)
    assert (body["page"], body["limit"], body["hasNext"], body["hasPrev"]) == (2, 10, True, True)
    assert [item["id"] for item in body["items"]] == list(range(11, 21))


async def test_first_and_last_pages_report_no_prev_and_no_next(client: AsyncClient) -> None:
    first = (await client.get(f"{PREFIX}/items", params={"limit": 100})).json()
    assert (first["hasPrev"], first["hasNext"]) == (False, True)
    last = (await client.get(f"{PREFIX}/items", params={"page": 3, "limit": 100})).json()
    assert (last["hasPrev"], last["hasNext"]) == (True, False)
    assert len(last["items"]) == len(ITEMS) - 200


async def test_limit_above_100_is_refused_as_the_document_says(client: AsyncClient) -> None:
    body = (await client.get(f"{PREFIX}/items", params={"limit": MAX_LIMIT})).json()
    assert body["limit"] == MAX_LIMIT
    assert len(body["items"]) == MAX_LIMIT
    response = await client.get(f"{PREFIX}/items", params={"limit": MAX_LIMIT + 1})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "query.limit"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": 0}, "query.page"),
        ({"page": -1}, "query.page"),
        ({"limit": 0}, "query.limit"),
        ({"limit": -5}, "query.limit"),
        ({"page": "two"}, "query.page"),
    ],
)
async def test_page_or_limit_below_one_is_a_422(
    client: AsyncClient, params: dict[str, int | str], field: str
) -> None:
    response = await client.get(f"{PREFIX}/items", params=params)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["details"]["fields"]] == [field]


async def test_sort_follows_the_whitelist_in_both_directions(client: AsyncClient) -> None:
    body = (await client.get(f"{PREFIX}/items", params={"sort": "-id", "limit": 3})).json()
    assert [item["id"] for item in body["items"]] == [250, 249, 248]
    body = (await client.get(f"{PREFIX}/items", params={"sort": "name", "limit": 2})).json()
    assert [item["name"] for item in body["items"]] == ["item-001", "item-002"]


async def test_cursor_feed_walks_every_item_once(client: AsyncClient) -> None:
    seen: list[int] = []
    cursor: str | None = None
    for _ in range(100):
        params: dict[str, int | str] = {"limit": 40}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(f"{PREFIX}/feed", params=params)).json()
        seen += [item["id"] for item in body["items"]]
        cursor = body["nextCursor"]
        if cursor is None:
            break
    assert seen == [item["id"] for item in ITEMS]


@pytest.mark.parametrize(
    "cursor",
    [
        "not-base64-!!",
        base64.urlsafe_b64encode(b"not json").decode(),
        base64.urlsafe_b64encode(b"[1, 2]").decode(),
        encode_cursor({"before": 3}),
        encode_cursor({"after": 3, "extra": 1}),
        "A" * 600,
    ],
    ids=["garbage", "not-json", "not-an-object", "wrong-keys", "extra-keys", "oversized"],
)
async def test_garbage_cursor_is_a_422(client: AsyncClient, cursor: str) -> None:
    response = await client.get(f"{PREFIX}/feed", params={"cursor": cursor})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_cursor_round_trips_its_values() -> None:
    values = {
        "createdAt": "2026-01-02T03:04:05+00:00",
        "id": "0193b60c-aaaa-7bbb-8ccc-123456789abc",
    }
    cursor = encode_cursor(values)
    assert "=" not in cursor
    assert json.loads(base64.urlsafe_b64decode(cursor + "==")) == values
    assert decode_cursor(cursor, ["createdAt", "id"]) == values


def test_parse_sort_whitelists_fields_and_limits_their_number() -> None:
    allowed = {"createdAt": "c", "lastName": "l"}
    assert parse_sort("-createdAt,lastName", allowed, "createdAt") == [
        SortSpec("createdAt", True),
        SortSpec("lastName", False),
    ]
    assert parse_sort(None, allowed, "-createdAt") == [SortSpec("createdAt", True)]
    with pytest.raises(ValidationFailed) as unknown:
        parse_sort("passwordHash", allowed, "createdAt")
    assert unknown.value.details["fields"][0]["code"] == "unknown_sort_field"
    with pytest.raises(ValidationFailed):
        parse_sort("createdAt,lastName,createdAt,lastName", allowed, "createdAt")
    with pytest.raises(ValidationFailed):
        parse_sort(",", allowed, "createdAt")


def test_page_build_computes_has_next_from_the_total() -> None:
    page = Page[int].build([1, 2], total=4, params=PageParams(page=1, limit=2))
    assert page.has_next is True
    assert page.has_prev is False
    assert page.model_dump(by_alias=True) == {
        "items": [1, 2],
        "total": 4,
        "page": 1,
        "limit": 2,
        "hasNext": True,
        "hasPrev": False,
    }
    assert Page[int].build([3, 4], total=4, params=PageParams(page=2, limit=2)).has_next is False
