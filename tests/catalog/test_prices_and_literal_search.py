"""Prices are compared within a currency only (ADR 0025), and search treats LIKE/FTS wildcards
as literal characters."""

from __future__ import annotations

import uuid
from typing import Any

from httpx import AsyncClient

from campus.catalog.schemas.fields import PriceIn
from campus.kernel.db import Database
from tests.fixtures.catalog import API, CatalogFactory, direct_course, ok, principal

PRICED = {
    "Free python": None,
    "Yen python": ("3200", "JPY"),
    "Dollar python": ("19.99", "USD"),
    "Cheap dollar python": ("9.99", "USD"),
    "Euro python": ("29.00", "EUR"),
}


async def _courses(catalog: CatalogFactory, db: Database) -> dict[str, uuid.UUID]:
    cast = await catalog.cast()
    ids = {}
    async with db.session() as session:
        for title, price in PRICED.items():
            fields: dict[str, Any] = {"title": title}
            if price is not None:
                fields["price"] = PriceIn(amount=price[0], currency=price[1])
            ids[title] = await direct_course(
                session, principal(cast.owner), principal(cast.admin), **fields
            )
    return ids


async def _titles(client: AsyncClient, **params: str) -> list[str]:
    page = ok(await client.get(f"{API}/courses", params=params))
    return [item["title"] for item in page["items"]]


async def test_price_sort_never_compares_amounts_across_currencies(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    await _courses(catalog, db)
    # Free first, then by currency code, then by amount within a currency: 3200 yen is not
    # "the most expensive course".
    assert await _titles(client, sort="price") == [
        "Free python",
        "Euro python",
        "Yen python",
        "Cheap dollar python",
        "Dollar python",
    ]
    assert await _titles(client, sort="-price") == [
        "Euro python",
        "Yen python",
        "Dollar python",
        "Cheap dollar python",
        "Free python",
    ]


async def test_price_filters_are_in_one_currency_and_require_it(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    await _courses(catalog, db)
    refused = await client.get(f"{API}/courses", params={"minPrice": "10"})
    assert refused.status_code == 422
    assert refused.json()["error"]["details"]["fields"][0]["field"] == "currency"
    bad = await client.get(f"{API}/courses", params={"currency": "US1"})
    assert bad.status_code == 422
    assert sorted(await _titles(client, currency="USD", maxPrice="15")) == [
        "Cheap dollar python",
        "Free python",
    ]
    assert await _titles(client, currency="jpy", minPrice="1000") == ["Yen python"]
    assert await _titles(client, currency="USD", minPrice="1000") == []
    assert sorted(await _titles(client, currency="EUR")) == ["Euro python", "Free python"]


async def test_wildcards_in_a_search_are_literal(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    await _courses(catalog, db)
    for q in ("%", "_", "\\", "%%", "_%_", "*", '"'):
        assert await _titles(client, q=q) == [], q
    # Symbols around a word do not widen it: only the word is searched.
    assert sorted(await _titles(client, q="%yen_")) == ["Yen python"]
    assert len(await _titles(client, q="python")) == len(PRICED)
    # Language filters escape their LIKE prefix too.
    assert (await client.get(f"{API}/courses", params={"language": "e%"})).status_code == 422
