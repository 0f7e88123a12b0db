"""Public course lists count matches only a few pages ahead (docs/adr/0021-capped-list-totals.md):
``total`` is exact when the count fits in the window, else the window with ``totalCapped``;
``hasNext`` is always exact, so following it walks the whole ordering."""

from __future__ import annotations

from httpx import AsyncClient

from campus.catalog.repository.browse import COUNT_PAGES_AHEAD, count_window
from campus.kernel.db import Database
from tests.catalog.test_browse import brute_force, build_catalog
from tests.fixtures.catalog import API, CatalogFactory, ok


async def test_totals_past_the_count_window_are_capped_and_flagged(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    rows, _, _ = await build_catalog(catalog, db, seed=7)
    assert len(rows) == 26
    assert COUNT_PAGES_AHEAD == 5
    url = f"{API}/courses?sort=-popularity&limit=2"

    first = ok(await client.get(f"{url}&page=1"))
    assert count_window(0, 2) == 12
    assert (first["total"], first["totalCapped"], first["hasNext"]) == (12, True, True)
    fourth = ok(await client.get(f"{url}&page=4"))
    assert (fourth["total"], fourth["totalCapped"], fourth["hasNext"]) == (18, True, True)
    # Near the end the window reaches past the last match: the total is exact again.
    tenth = ok(await client.get(f"{url}&page=10"))
    assert (tenth["total"], tenth["totalCapped"], tenth["hasNext"]) == (26, False, True)
    last = ok(await client.get(f"{url}&page=13"))
    assert (last["total"], last["totalCapped"], last["hasNext"]) == (26, False, False)
    # A page past the end is empty and still says how many there are.
    past = ok(await client.get(f"{url}&page=20"))
    assert (past["items"], past["total"], past["totalCapped"], past["hasNext"]) == (
        [],
        26,
        False,
        False,
    )
    wide = ok(await client.get(f"{API}/courses?limit=100"))
    assert (wide["total"], wide["totalCapped"], wide["hasNext"]) == (26, False, False)


async def test_following_has_next_walks_every_match_even_when_totals_are_capped(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    rows, subtrees, _ = await build_catalog(catalog, db, seed=8)
    expected = brute_force(rows, {"sort": "-popularity"}, subtrees)
    seen: list[str] = []
    page = 1
    while True:
        body = ok(await client.get(f"{API}/courses?sort=-popularity&limit=3&page={page}"))
        seen += [c["id"] for c in body["items"]]
        assert body["total"] >= len(seen)
        assert body["totalCapped"] is (body["total"] < len(expected))
        if not body["hasNext"]:
            break
        page += 1
    assert seen == expected


async def test_search_totals_count_only_published_courses(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    kept = await catalog.published(cast.owner, cast.admin, title="Orchid care")
    archived = await catalog.published(cast.owner, cast.admin, title="Orchid pests")
    await catalog.draft(cast.owner, title="Orchid drafts")
    ok(await client.post(f"{API}/courses/{archived['id']}/archive", headers=cast.owner.headers))
    body = ok(await client.get(f"{API}/courses?q=orchid&limit=1"))
    assert [c["id"] for c in body["items"]] == [kept["id"]]
    assert (body["total"], body["totalCapped"], body["hasNext"]) == (1, False, False)
