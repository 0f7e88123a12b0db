"""The public catalog's filters, sorts and search return exactly what a brute-force Python filter
over the same fixture data returns (property-style: many seeded random combinations)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode

from httpx import AsyncClient

from campus.catalog import api as catalog_api
from campus.catalog.schemas.courses import TrackIn
from campus.catalog.schemas.fields import PriceIn
from campus.catalog.service import publication
from campus.catalog.text import search_words
from campus.kernel.db import Database
from campus.kernel.money import minor_digits
from tests.fixtures.catalog import API, CatalogFactory, direct_course, ok, principal

WORDS = [
    "python",
    "data",
    "design",
    "cloud",
    "café",
    "crème",
    "über",
    "résumé",
    "garden",
    "rocket",
    "music",
    "finance",
    "kotlin",
    "naïve",
    "bayes",
    "sql",
]
LANGUAGES = ["en", "en-US", "fr", "de", "es", "pt-BR"]
LEVELS = ["beginner", "intermediate", "advanced"]
PRICES: list[tuple[str, str] | None] = [
    None,
    ("9.99", "USD"),
    ("19.99", "USD"),
    ("2400", "JPY"),
    ("29.00", "EUR"),
    ("5.500", "KWD"),
]
TAGS = ["Python", "Web", "Data Science", "AI", "Design", "Cloud"]


@dataclass
class Row:
    id: uuid.UUID
    title: str
    subtitle: str
    description: str
    language: str
    level: str
    category: uuid.UUID | None
    tags: list[str]
    price_sort: int
    #: ``None`` for a free course.
    currency: str | None
    rating: int
    enrollments: int
    instructors: set[uuid.UUID]
    track: str | None
    published_at: Any = None
    words: list[str] = field(default_factory=list)


def tag_slug(label: str) -> str:
    return label.lower().replace(" ", "-")


async def build_catalog(
    catalog: CatalogFactory, db: Database, seed: int
) -> tuple[list[Row], dict[str, list[uuid.UUID]], Any]:
    """~26 published courses with varied fields, plus drafts and archived ones (never listed).
    Returns the published rows, category subtrees by slug, and the cast."""
    rng = random.Random(seed)
    cast = await catalog.cast()
    admin = principal(cast.admin)
    teachers = [cast.owner, cast.co, cast.other]
    roots = [await catalog.category(cast.admin, name=f"Root {n}") for n in range(3)]
    child = await catalog.category(cast.admin, name="Child", parentId=roots[0]["id"])
    grandchild = await catalog.category(cast.admin, name="Grandchild", parentId=child["id"])
    other_child = await catalog.category(cast.admin, name="Other Child", parentId=roots[1]["id"])
    ids = {c["slug"]: uuid.UUID(c["id"]) for c in [*roots, child, grandchild, other_child]}
    subtrees = {
        roots[0]["slug"]: [ids[roots[0]["slug"]], ids[child["slug"]], ids[grandchild["slug"]]],
        child["slug"]: [ids[child["slug"]], ids[grandchild["slug"]]],
        grandchild["slug"]: [ids[grandchild["slug"]]],
        roots[1]["slug"]: [ids[roots[1]["slug"]], ids[other_child["slug"]]],
        roots[2]["slug"]: [ids[roots[2]["slug"]]],
        other_child["slug"]: [ids[other_child["slug"]]],
    }
    category_ids: list[uuid.UUID | None] = [None, *ids.values()]
    rows: list[Row] = []
    async with db.session() as session:
        for n in range(30):
            teacher = rng.choice(teachers)
            words = rng.sample(WORDS, 3)
            price = rng.choice(PRICES)
            tags = rng.sample(TAGS, rng.randint(0, 3))
            track = f"lang-{n}" if n % 7 == 0 else None
            fields: dict[str, Any] = {
                "title": f"{words[0].title()} {words[1]} {n}",
                "subtitle": f"About {words[2]}",
                "description": f"Learn {' '.join(rng.sample(WORDS, 4))} here.",
                "language": rng.choice(LANGUAGES),
                "level": rng.choice(LEVELS),
                "category_id": rng.choice(category_ids),
                "tags": tags,
                "price": None if price is None else PriceIn(amount=price[0], currency=price[1]),
                "track": None if track is None else TrackIn(slug=track, name=f"Lang {n}"),
            }
            status = "published" if n < 26 else rng.choice(["draft", "archived", "pending"])
            reviewer = admin if status in {"published", "archived"} else None
            course_id = await direct_course(session, principal(teacher), reviewer, **fields)
            if status == "archived":
                await publication.archive(session, admin, course_id)
            elif status == "pending":
                from campus.catalog.schemas.courses import SubmitRequest

                await publication.submit(session, principal(teacher), course_id, SubmitRequest())
            rating = Decimal(rng.randint(0, 500)) / 100
            enrollments = rng.randint(0, 50) * rng.choice([1, 1, 10])
            await catalog_api.set_rating(session, course_id, rating, rng.randint(0, 99))
            await catalog_api.set_enrollment_count(session, course_id, enrollments)
            if status != "published":
                continue
            price_sort = 0
            if price is not None:
                price_sort = int(Decimal(price[0]) * 1000)
                assert minor_digits(price[1]) <= 3
            rows.append(
                Row(
                    id=course_id,
                    title=fields["title"],
                    subtitle=fields["subtitle"],
                    description=fields["description"],
                    language=fields["language"],
                    level=fields["level"],
                    category=fields["category_id"],
                    tags=tags,
                    price_sort=price_sort,
                    currency=None if price is None else price[1],
                    rating=int(rating * 100),
                    enrollments=enrollments,
                    instructors={teacher.id},
                    track=track,
                )
            )
        summaries = await catalog_api.get_course_summaries(session, [r.id for r in rows])
    for row in rows:
        row.published_at = summaries[row.id].published_at
        row.words = search_words(
            " ".join(
                [
                    row.title,
                    *row.tags,
                    f"Lang {row.track[5:]}" if row.track else "",
                    row.subtitle,
                    row.description,
                ]
            )
        )
    return rows, subtrees, cast


def brute_force(
    rows: list[Row], params: dict[str, str], subtrees: dict[str, list[uuid.UUID]]
) -> list[str]:
    out = []
    for row in rows:
        if "category" in params and row.category not in subtrees[params["category"]]:
            continue
        if "tag" in params and params["tag"] not in [tag_slug(t) for t in row.tags]:
            continue
        if "language" in params:
            wanted = params["language"]
            if "-" in wanted and row.language != wanted:
                continue
            if "-" not in wanted and not (
                row.language == wanted or row.language.startswith(wanted + "-")
            ):
                continue
        if "level" in params and row.level != params["level"]:
            continue
        if "currency" in params and row.price_sort and row.currency != params["currency"]:
            continue
        if "minPrice" in params and row.price_sort < Decimal(params["minPrice"]) * 1000:
            continue
        if "maxPrice" in params and row.price_sort > Decimal(params["maxPrice"]) * 1000:
            continue
        if params.get("isFree") == "true" and row.price_sort != 0:
            continue
        if params.get("isFree") == "false" and row.price_sort == 0:
            continue
        if "minRating" in params and row.rating < Decimal(params["minRating"]) * 100:
            continue
        if "instructor" in params and uuid.UUID(params["instructor"]) not in row.instructors:
            continue
        if "track" in params and row.track != params["track"]:
            continue
        if "q" in params:
            tokens = search_words(params["q"])
            if not all(any(w.startswith(t) for w in row.words) for t in tokens):
                continue
        out.append(row)
    keys = {
        "newest": lambda r: r.published_at,
        "popularity": lambda r: r.enrollments,
        "rating": lambda r: r.rating,
        "price": lambda r: r.price_sort,
        "title": lambda r: " ".join(search_words(r.title)),
    }
    specs = [(p.lstrip("-"), p.startswith("-")) for p in params.get("sort", "-newest").split(",")]
    out.sort(key=lambda r: r.id, reverse=specs[-1][1])  # the tie-break follows the last key
    for name, descending in reversed(specs):
        if name == "price":  # free first (last descending), then by currency, then amount
            out.sort(key=partial(_price_key, descending=descending))
        else:
            out.sort(key=keys[name], reverse=descending)
    return [str(r.id) for r in out]


def _price_key(row: Row, descending: bool) -> tuple[bool, str, int]:
    free_last = (row.price_sort == 0) if descending else (row.price_sort != 0)
    return free_last, row.currency or "", -row.price_sort if descending else row.price_sort


def random_params(
    rng: random.Random, rows: list[Row], subtrees: dict[str, list[uuid.UUID]], cast: Any
) -> dict[str, str]:
    choices: dict[str, Any] = {
        "category": lambda: rng.choice(sorted(subtrees)),
        "tag": lambda: tag_slug(rng.choice(TAGS)),
        "language": lambda: rng.choice(["en", "en-US", "fr", "pt", "pt-BR", "de"]),
        "level": lambda: rng.choice(LEVELS),
        "minPrice": lambda: rng.choice(["0", "5", "10.5", "25"]),
        "maxPrice": lambda: rng.choice(["0", "20", "30", "3000"]),
        "isFree": lambda: rng.choice(["true", "false"]),
        "currency": lambda: rng.choice(["USD", "JPY", "EUR", "KWD"]),
        "minRating": lambda: rng.choice(["1", "2.5", "4", "4.75"]),
        "instructor": lambda: str(rng.choice([cast.owner, cast.co, cast.other]).id),
        "track": lambda: rng.choice([r.track for r in rows if r.track] + ["nope"]),
        "q": lambda: " ".join(
            rng.sample(
                ["pyth", "CAFE", "creme", "uber", "naive", "sql", "data", "Bayes", "music"],
                rng.randint(1, 2),
            )
        ),
    }
    params = {name: make() for name, make in rng.sample(sorted(choices.items()), rng.randint(0, 3))}
    if (
        "minPrice" in params
        and "maxPrice" in params
        and Decimal(params["minPrice"]) > Decimal(params["maxPrice"])
    ):
        params.pop("maxPrice")
    if ("minPrice" in params or "maxPrice" in params) and "currency" not in params:
        params["currency"] = rng.choice(["USD", "JPY", "EUR", "KWD"])  # price bounds need one
    keys = ["newest", "popularity", "rating", "price", "title"]
    sort = [("-" if rng.random() < 0.5 else "") + k for k in rng.sample(keys, rng.randint(1, 2))]
    params["sort"] = ",".join(sort)
    return params


async def test_random_filter_and_sort_combinations_match_a_brute_force_filter(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    rows, subtrees, cast = await build_catalog(catalog, db, seed=42)
    rng = random.Random(99)
    everything = ok(await client.get(f"{API}/courses?limit=100"))
    assert everything["total"] == len(rows) == 26
    for _ in range(60):
        params = random_params(rng, rows, subtrees, cast)
        expected = brute_force(rows, params, subtrees)
        body = ok(await client.get(f"{API}/courses?{urlencode({**params, 'limit': 100})}"))
        assert [c["id"] for c in body["items"]] == expected, params
        assert body["total"] == len(expected), params


async def test_pages_slice_the_same_ordering(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    rows, subtrees, _ = await build_catalog(catalog, db, seed=5)
    expected = brute_force(rows, {"sort": "-popularity"}, subtrees)
    seen: list[str] = []
    for page in range(1, 7):
        body = ok(await client.get(f"{API}/courses?sort=-popularity&limit=5&page={page}"))
        assert body["total"] == len(expected)
        assert body["hasPrev"] is (page > 1)
        assert body["hasNext"] is (page * 5 < len(expected))
        seen += [c["id"] for c in body["items"]]
    assert seen == expected


async def test_search_is_case_and_accent_insensitive_prefix_matching_ranked_by_relevance(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    owner, admin = principal(cast.owner), principal(cast.admin)
    async with db.session() as session:
        in_title = await direct_course(
            session,
            owner,
            admin,
            title="Crème Brûlée Masterclass",
            description="Desserts from Lyon.",
        )
        in_body = await direct_course(
            session,
            owner,
            admin,
            title="French Kitchen",
            description="Stocks, sauces and one crème brûlée.",
        )
        in_tag = await direct_course(
            session, owner, admin, title="Pastry Basics", tags=["Crème"], description="Doughs."
        )
        await direct_course(session, owner, admin, title="Bread", description="Sourdough.")
        await direct_course(session, owner, None, title="Crème Draft")  # never published

    async def search(q: str) -> list[str]:
        body = ok(await client.get(f"{API}/courses?{urlencode({'q': q})}"))
        return [c["id"] for c in body["items"]]

    hits = await search("CREME brulee")
    assert hits == [str(in_title), str(in_body)]  # title outranks description
    assert set(await search("crème")) == {str(in_title), str(in_body), str(in_tag)}
    assert (await search("crème"))[-1] == str(in_body)
    assert await search("brûl") == [str(in_title), str(in_body)]  # prefixes match
    assert await search("masterclass lyon") == [str(in_title)]
    assert await search("sourdough") != []
    assert await search("nothing-like-this") == []
    # An explicit sort overrides relevance; "relevance" needs a query.
    titles = ok(await client.get(f"{API}/courses?q=creme&sort=title"))["items"]
    assert [c["title"] for c in titles] == sorted(c["title"] for c in titles)
    response = await client.get(f"{API}/courses?sort=relevance")
    assert response.status_code == 422


async def test_categories_count_published_courses_directly_and_with_descendants(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    root = await catalog.category(cast.admin, name="Programming")
    child = await catalog.category(cast.admin, name="Python", parentId=root["id"])
    leaf = await catalog.category(cast.admin, name="Django", parentId=child["id"])
    owner, admin = principal(cast.owner), principal(cast.admin)
    async with db.session() as session:
        for category, published in ((root, 1), (child, 2), (leaf, 3)):
            for _ in range(published):
                await direct_course(session, owner, admin, category_id=uuid.UUID(category["id"]))
        await direct_course(session, owner, None, category_id=uuid.UUID(leaf["id"]))  # draft
    tree = ok(await client.get(f"{API}/categories"))["items"]
    (programming,) = [n for n in tree if n["slug"] == "programming"]
    assert (programming["courseCount"], programming["totalCourseCount"]) == (1, 6)
    python = programming["children"][0]
    assert (python["courseCount"], python["totalCourseCount"]) == (2, 5)
    django = python["children"][0]
    assert (django["courseCount"], django["totalCourseCount"]) == (3, 3)
    detail = ok(await client.get(f"{API}/categories/django"))
    assert [a["slug"] for a in detail["ancestors"]] == ["programming", "python"]
    listed = ok(await client.get(f"{API}/courses?category=python"))
    assert listed["total"] == 5
    listed = ok(await client.get(f"{API}/courses?category={root['id']}"))
    assert listed["total"] == 6
