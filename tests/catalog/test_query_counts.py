"""ARCHITECTURE §3.4: the course list and the course page issue a fixed number of queries,
whatever the page size or the size of the curriculum."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient
from sqlalchemy import event

from campus.catalog.httpcache import bump_generation
from campus.kernel.db import Database
from tests.fixtures.catalog import API, CatalogFactory, direct_course, ok, principal


@contextmanager
def counting(db: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def listener(*args: Any) -> None:
        statements.append(args[2])

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


async def queries_for(client: AsyncClient, app: FastAPI, db: Database, url: str, **kw: Any) -> int:
    await bump_generation(app.state.cache)  # a cache miss: the database answers
    with counting(db) as statements:
        ok(await client.get(url, **kw))
    return len(statements)


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
    assert small == large
    assert max(large) <= 10


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
    counts = {}
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
    assert counts["small"] == counts["large"]
    assert max(counts["large"]) <= 12


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
        with counting(db) as statements:
            ok(await client.get(url))
        assert statements == [], url
