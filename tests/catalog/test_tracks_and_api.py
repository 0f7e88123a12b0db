"""Programming-language tracks (seed 003: browse languages → modules → materials) and the
catalog's doorway for other contexts (``catalog.api``)."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from httpx import AsyncClient

from campus.catalog import api as catalog_api
from campus.kernel.auth import Principal
from campus.kernel.db import Database
from campus.kernel.errors import NotFound, ValidationFailed
from tests.fixtures.catalog import API, CatalogFactory, ok, principal

SEED_003 = {
    "Python Basics": [
        ("Introduction to Python", "video"),
        ("Variables and Data Types", "article"),
        ("Code Example - Hello World", "code_example"),
        ("Write a Calculator Program", "assignment"),
        ("Python Basics Quiz", "quiz"),
    ],
    "Python Control Flow": [
        ("If-Else Statements", "video"),
        ("Loops in Python", "article"),
        ("FizzBuzz Challenge", "assignment"),
        ("Control Flow Quiz", "quiz"),
    ],
    "Python Functions": [
        ("Defining Functions", "video"),
        ("Lambda Functions", "article"),
        ("Create a Function Library", "assignment"),
        ("Functions Quiz", "quiz"),
    ],
}


async def test_the_seed_003_flow_languages_then_modules_then_materials(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(
        cast.owner,
        title="Python",
        level="beginner",
        track={"slug": "python", "name": "Python", "icon": "🐍", "difficulty": "beginner"},
    )
    for title, materials in SEED_003.items():
        module = await catalog.module(cast.owner, course["id"], title=title)
        for name, kind in materials:
            extra = {"quizId": str(uuid.uuid4())} if kind == "quiz" else {}
            await catalog.lesson(
                cast.owner, course["id"], module["id"], title=name, type=kind, **extra
            )
    await catalog.publish(cast.owner, cast.admin, course["id"])
    js = await catalog.published(
        cast.other,
        cast.admin,
        modules=2,
        title="JavaScript",
        track={"slug": "javascript", "name": "JavaScript"},
    )

    tracks = ok(await client.get(f"{API}/tracks"))["items"]
    assert [(t["slug"], t["moduleCount"]) for t in tracks] == [("javascript", 2), ("python", 3)]
    python = ok(await client.get(f"{API}/tracks/python"))
    assert python["icon"] == "🐍"
    modules = python["course"]["curriculum"]
    assert [m["title"] for m in modules] == list(SEED_003)
    assert [(x["title"], x["type"]) for x in modules[0]["lessons"]] == SEED_003["Python Basics"]
    assert ok(await client.get(f"{API}/courses?track=javascript"))["items"][0]["id"] == js["id"]
    taken = await client.post(
        f"{API}/courses",
        json={"title": "Another", "track": {"slug": "python", "name": "Py"}},
        headers=cast.other.headers,
    )
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "track_slug_taken"


async def test_the_doorway_reads_summaries_structures_lessons_and_instructors(
    catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(
        cast.owner, cast.admin, modules=2, lessons=2, price={"amount": "12.50", "currency": "EUR"}
    )
    await catalog.set_co_instructors(cast.owner, course["id"], cast.co)
    draft = await catalog.draft(cast.other)
    cid = uuid.UUID(course["id"])
    async with db.read_session() as session:
        summaries = await catalog_api.get_course_summaries(
            session, [cid, uuid.UUID(draft["id"]), uuid.uuid4()]
        )
        structure = await catalog_api.get_version_structure(
            session, uuid.UUID(course["currentVersion"]["id"])
        )
        teachers = await catalog_api.course_instructor_ids(session, cid)
        bulk = await catalog_api.get_version_structures(
            session, [uuid.UUID(course["currentVersion"]["id"]), uuid.uuid4()]
        )
        by_slug = await catalog_api.find_course_ids_by_slugs(
            session, [course["slug"], draft["slug"], "no-such-course"]
        )
        assert await catalog_api.is_course_staff(session, principal(cast.co), cid)
        assert not await catalog_api.is_course_staff(session, principal(cast.other), cid)
        roleless_co = Principal(cast.co.id, frozenset(), frozenset())
        assert not await catalog_api.is_course_staff(session, roleless_co, cid)
        assert await catalog_api.get_course_summary(session, uuid.uuid4()) is None
        assert await catalog_api.get_version_structure(session, uuid.uuid4()) is None
        assert await catalog_api.get_lesson_content(session, uuid.uuid4()) is None
    assert set(summaries) == {cid, uuid.UUID(draft["id"])}
    summary = summaries[cid]
    assert summary.is_published
    assert summary.price is not None
    assert (summary.price.minor, summary.price.currency) == (1250, "EUR")
    assert teachers == (cast.owner.id, cast.co.id)
    assert structure is not None
    assert [len(m.lessons) for m in structure.modules] == [2, 2]
    assert structure.required_lesson_ids == {x.id for x in structure.lessons}
    assert structure.duration_seconds == 4 * 5 * 60
    assert all(x.lineage_id == x.id for x in structure.lessons)  # version 1: originals
    assert bulk == {structure.id: structure}
    assert by_slug == {course["slug"]: cid, draft["slug"]: uuid.UUID(draft["id"])}


async def test_enrollment_counts_and_ratings_are_maintained_atomically(
    catalog: CatalogFactory, db: Database, client: AsyncClient
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    cid = uuid.UUID(course["id"])
    async with db.session() as session:
        assert await catalog_api.adjust_enrollment_count(session, cid, 3) == 3
        assert await catalog_api.adjust_enrollment_count(session, cid, -1) == 2
        assert await catalog_api.adjust_enrollment_count(session, cid, -10) == 0  # never negative
        await catalog_api.set_enrollment_count(session, cid, 41)
        await catalog_api.set_rating(session, cid, Decimal("4.456"), 12)
    async with db.read_session() as session:
        summary = await catalog_api.get_course_summary(session, cid)
        with pytest.raises(NotFound):
            await catalog_api.adjust_enrollment_count(session, uuid.uuid4(), 1)
        with pytest.raises(ValidationFailed):
            await catalog_api.set_rating(session, cid, Decimal("5.5"), 1)
        with pytest.raises(ValidationFailed):
            await catalog_api.set_enrollment_count(session, cid, -1)
    assert summary is not None
    assert (summary.enrollment_count, summary.rating_average, summary.rating_count) == (
        41,
        Decimal("4.46"),
        12,
    )
    listed = ok(await client.get(f"{API}/courses"))["items"][0]
    assert (listed["enrollmentCount"], listed["ratingAverage"]) == (41, "4.46")
