"""ARCHITECTURE §3.4: the course list and the course page issue a fixed number of queries,
whatever the page size or the size of the curriculum."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from campus.catalog.httpcache import bump_generation
from campus.kernel.db import Database
from tests.fixtures.catalog import API, CatalogFactory, direct_course, ok, principal
from tests.fixtures.queries import Queries, assert_same_count, count_queries

#: Queries per course-list URL of the first test (the same for 2 or 20 courses).
LIST_BUDGETS = (2, 2, 3, 2)
#: Queries per course-page request of the second test (the same for 1 or 10 modules).
PAGE_BUDGETS = (3, 4, 4)


async def queries_for(
    client: AsyncClient, app: FastAPI, db: Database, url: str, **kw: Any
) -> Queries:
    await bump_generation(app.state.cache)  # a cache miss: the database answers
    with count_queries(db) as queries:
        ok(await client.get(url, **kw))
    return queries


async def test_the_course_list_costs_the_same_queries_for_2_or_20_courses(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    category = await catalog.category(cast.admin)
    teachers = [principal(u) for u in (cast.owner, cast.co, cast.other)]
    admin = principal(cast.admin)

    async def publish(n: int) -> None:
        async with db.session() as session:
            for i in range(n):
                course_id = await direct_course(
                    session,
                    teachers[i % 3],
                    admin,
                    tags=["Python", f"Tag {i}"],
                    category_id=category["id"],
                )
                from campus.catalog.schemas.courses import CourseTranslationIn
                from campus.catalog.service import authoring

                await authoring.put_translation(
                    session, teachers[i % 3], course_id, "fr", CourseTranslationIn(title=f"C {i}")
                )

    await publish(2)
    urls = [
        f"{API}/courses?limit=100",
        f"{API}/courses?limit=100&lang=fr",
        f"{API}/courses?limit=100&q=course&category={category['id']}&tag=python&sort=-rating",
        f"{API}/instructors/{cast.owner.id}/courses?limit=100",
    ]
    small = [await queries_for(client, app, db, url) for url in urls]
    await publish(18)
    assert ok(await client.get(f"{API}/courses?limit=100"))["total"] == 20
    large = [await queries_for(client, app, db, url) for url in urls]
    for url, few, many, budget in zip(urls, small, large, LIST_BUDGETS, strict=True):
        assert_same_count(few, many, url)
        many.assert_count(budget, url)


async def test_the_course_page_costs_the_same_queries_for_1_or_10_modules(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    owner, admin = principal(cast.owner), principal(cast.admin)
    async with db.session() as session:
        small = await direct_course(session, owner, admin, modules=1, lessons=1, tags=["A"])
        large = await direct_course(
            session,
            owner,
            admin,
            modules=10,
            lessons=5,
            tags=["A", "B", "C"],
            pricing_tiers=None,
        )
    counts: dict[str, list[Queries]] = {}
    for name, course_id in (("small", small), ("large", large)):
        counts[name] = [
            await queries_for(client, app, db, f"{API}/courses/{course_id}"),
            await queries_for(client, app, db, f"{API}/courses/{course_id}?lang=fr"),
            await queries_for(
                client,
                app,
                db,
                f"{API}/courses/{course_id}",
                headers={"Accept-Language": "de, fr;q=0.5"},
            ),
        ]
    for few, many, budget in zip(counts["small"], counts["large"], PAGE_BUDGETS, strict=True):
        assert_same_count(few, many)
        many.assert_count(budget)


async def test_a_cached_page_costs_no_query(
    client: AsyncClient, app: FastAPI, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    for url in (
        f"{API}/courses",
        f"{API}/courses/{course['slug']}",
        f"{API}/categories",
        f"{API}/tracks",
    ):
        ok(await client.get(url))
        with count_queries(db, expect=0, what=url):
            ok(await client.get(url))
