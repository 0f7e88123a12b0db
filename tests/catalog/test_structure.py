"""Curriculum structure: positions stay a gap-free 0..n-1 sequence through creates, deletes,
reorders and moves (also under 20 concurrent reorders on PostgreSQL); a reorder must name exactly
the current children. Also the concurrency invariants of drafts and slugs (PostgreSQL)."""

from __future__ import annotations

import asyncio
import random
import uuid
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.catalog.models import Lesson, Module
from campus.kernel.db import Database
from tests.conftest import postgres_only
from tests.fixtures.catalog import API, CatalogFactory, ok
from tests.fixtures.identity import AppUser


async def positions(db: Database, version_id: str) -> dict[str, list[tuple[str, int]]]:
    """{module id: [(lesson id, position), ...]} plus "modules": [(module id, position)]."""
    vid = uuid.UUID(version_id)
    async with db.read_session() as session:
        modules = (
            await session.execute(
                sa.select(Module.id, Module.position)
                .where(Module.version_id == vid)
                .order_by(Module.position)
            )
        ).all()
        lessons = (
            await session.execute(
                sa.select(Lesson.module_id, Lesson.id, Lesson.position)
                .where(Lesson.version_id == vid)
                .order_by(Lesson.module_id, Lesson.position)
            )
        ).all()
    out: dict[str, list[tuple[str, int]]] = {"modules": [(str(m), p) for m, p in modules]}
    for module_id, _ in modules:
        out[str(module_id)] = [(str(i), p) for mid, i, p in lessons if mid == module_id]
    return out


def assert_gap_free(state: dict[str, list[tuple[str, int]]]) -> None:
    for key, rows in state.items():
        assert [p for _, p in rows] == list(range(len(rows))), (key, rows)


async def working_version(catalog: CatalogFactory, who: AppUser, course_id: str) -> str:
    course = await catalog.authoring(who, course_id)
    version = course["draftVersion"] or course["currentVersion"]
    return str(version["id"])


async def test_reorder_must_name_exactly_the_current_modules(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner, modules=3, lessons=1)
    cid = course["id"]
    ids = [m["id"] for m in course["curriculum"]]
    url = f"{API}/courses/{cid}/modules/reorder"
    before = await positions(db, course["draftVersion"]["id"])

    for bad, status, code in (
        ({"ids": ids[:2]}, 409, "order_mismatch"),  # one missing
        ({"ids": [*ids, str(uuid.uuid4())]}, 409, "order_mismatch"),  # one unknown
        ({"ids": [ids[0], ids[0], ids[1]]}, 422, "validation_error"),  # a duplicate
        ({"ids": []}, 422, "validation_error"),
        ({"ids": ["not-a-uuid"]}, 422, "validation_error"),
    ):
        response = await client.post(url, json=bad, headers=cast.owner.headers)
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code
    assert await positions(db, course["draftVersion"]["id"]) == before

    reordered = ok(await client.post(url, json={"ids": ids[::-1]}, headers=cast.owner.headers))
    assert reordered["ids"] == ids[::-1]
    state = await positions(db, course["draftVersion"]["id"])
    assert [m for m, _ in state["modules"]] == ids[::-1]
    assert_gap_free(state)


async def test_moving_a_lesson_keeps_both_modules_gap_free(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner, modules=2, lessons=3)
    cid, vid = course["id"], course["draftVersion"]["id"]
    first, second = course["curriculum"]
    moving = first["lessons"][1]["id"]
    moved = ok(
        await client.post(
            f"{API}/courses/{cid}/lessons/{moving}/move",
            json={"targetModuleId": second["id"], "position": 1},
            headers=cast.owner.headers,
        )
    )
    assert moved["lesson"]["moduleId"] == second["id"]
    assert moved["sourceModuleOrder"] == [first["lessons"][0]["id"], first["lessons"][2]["id"]]
    assert moved["targetModuleOrder"][1] == moving
    state = await positions(db, vid)
    assert_gap_free(state)
    assert len(state[first["id"]]) == 2
    assert len(state[second["id"]]) == 4
    # Within the same module, to the end (a position past the end means the end).
    ok(
        await client.post(
            f"{API}/courses/{cid}/lessons/{moving}/move",
            json={"targetModuleId": second["id"], "position": 99},
            headers=cast.owner.headers,
        )
    )
    state = await positions(db, vid)
    assert state[second["id"]][-1][0] == moving
    assert_gap_free(state)


async def test_random_edits_keep_every_sequence_gap_free(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    """Property-style: a seeded random mix of creates, deletes, reorders and moves."""
    rng = random.Random(20261122)
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner, modules=3, lessons=2)
    cid, vid = course["id"], course["draftVersion"]["id"]
    headers = cast.owner.headers
    for _ in range(30):
        state = await positions(db, vid)
        module_ids = [m for m, _ in state["modules"]]
        lesson_ids = [(mid, lid) for mid in module_ids for lid, _ in state[mid]]
        action = rng.choice(["add_module", "add_lesson", "delete", "reorder", "move"])
        if action == "add_module" or not module_ids:
            await catalog.module(cast.owner, cid)
        elif action == "add_lesson":
            await catalog.lesson(cast.owner, cid, rng.choice(module_ids))
        elif action == "delete":
            if lesson_ids and rng.random() < 0.7:
                _, lid = rng.choice(lesson_ids)
                ok(await client.delete(f"{API}/courses/{cid}/lessons/{lid}", headers=headers), 204)
            elif len(module_ids) > 1:
                mid = rng.choice(module_ids)
                ok(await client.delete(f"{API}/courses/{cid}/modules/{mid}", headers=headers), 204)
        elif action == "reorder":
            if rng.random() < 0.5:
                order = rng.sample(module_ids, len(module_ids))
                url = f"{API}/courses/{cid}/modules/reorder"
            else:
                mid = rng.choice(module_ids)
                children = [lid for lid, _ in state[mid]]
                if not children:
                    continue
                order = rng.sample(children, len(children))
                url = f"{API}/courses/{cid}/modules/{mid}/lessons/reorder"
            assert ok(await client.post(url, json={"ids": order}, headers=headers))["ids"] == order
        elif action == "move" and lesson_ids:
            _, lid = rng.choice(lesson_ids)
            body: dict[str, Any] = {"targetModuleId": rng.choice(module_ids)}
            if rng.random() < 0.5:
                body["position"] = rng.randint(0, 4)
            ok(
                await client.post(
                    f"{API}/courses/{cid}/lessons/{lid}/move", json=body, headers=headers
                )
            )
        assert_gap_free(await positions(db, vid))


async def test_lessons_cannot_move_to_a_module_of_another_course(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    mine = await catalog.draft(cast.owner)
    other = await catalog.draft(cast.owner)
    lesson = mine["curriculum"][0]["lessons"][0]["id"]
    response = await client.post(
        f"{API}/courses/{mine['id']}/lessons/{lesson}/move",
        json={"targetModuleId": other["curriculum"][0]["id"]},
        headers=cast.owner.headers,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "module_not_found"


@postgres_only
async def test_20_concurrent_reorders_each_apply_fully_and_positions_stay_gap_free(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner, modules=6, lessons=1)
    cid, vid = course["id"], course["draftVersion"]["id"]
    ids = [m["id"] for m in course["curriculum"]]
    rng = random.Random(7)
    orders = [rng.sample(ids, len(ids)) for _ in range(20)]
    url = f"{API}/courses/{cid}/modules/reorder"

    responses = await asyncio.gather(
        *(client.post(url, json={"ids": order}, headers=cast.owner.headers) for order in orders)
    )
    assert [r.status_code for r in responses] == [200] * 20
    # Each answer shows its own order fully applied (the writers ran one at a time).
    assert [r.json()["ids"] for r in responses] == orders
    state = await positions(db, vid)
    assert_gap_free(state)
    assert [m for m, _ in state["modules"]] in orders


@postgres_only
async def test_concurrent_reorders_and_inserts_either_apply_fully_or_are_rejected(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.draft(cast.owner, modules=4, lessons=1)
    cid, vid = course["id"], course["draftVersion"]["id"]
    module = course["curriculum"][0]
    lessons = [module["lessons"][0]["id"]]
    for n in range(4):
        created = await catalog.lesson(cast.owner, cid, module["id"], title=f"Extra {n}")
        lessons.append(created["id"])
    rng = random.Random(11)
    reorder_url = f"{API}/courses/{cid}/modules/{module['id']}/lessons/reorder"
    create_url = f"{API}/courses/{cid}/modules/{module['id']}/lessons"
    orders = [rng.sample(lessons, len(lessons)) for _ in range(15)]
    calls = [
        client.post(reorder_url, json={"ids": order}, headers=cast.owner.headers)
        for order in orders
    ] + [
        client.post(
            create_url, json={"title": f"Racer {n}", "type": "article"}, headers=cast.owner.headers
        )
        for n in range(5)
    ]
    responses = await asyncio.gather(*calls)
    reorders, creates = responses[:15], responses[15:]
    assert [r.status_code for r in creates] == [201] * 5
    for order, response in zip(orders, reorders, strict=True):
        if response.status_code == 409:  # a lesson arrived first: refused, nothing applied
            assert response.json()["error"]["code"] == "order_mismatch"
        else:  # applied in full: exactly the order asked for
            assert response.status_code == 200
            assert response.json()["ids"] == order
    state = await positions(db, vid)
    assert_gap_free(state)
    assert len(state[module["id"]]) == len(lessons) + 5


@postgres_only
async def test_concurrent_first_edits_of_a_published_course_share_one_new_draft_version(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin, modules=3, lessons=1)
    cid = course["id"]
    lineage = [m["lineageId"] for m in course["curriculum"]]
    rng = random.Random(3)
    orders = [rng.sample(lineage, len(lineage)) for _ in range(20)]
    url = f"{API}/courses/{cid}/modules/reorder"
    responses = await asyncio.gather(
        *(client.post(url, json={"ids": order}, headers=cast.owner.headers) for order in orders)
    )
    assert [r.status_code for r in responses] == [200] * 20
    assert len({r.json()["versionId"] for r in responses}) == 1
    versions = ok(await client.get(f"{API}/courses/{cid}/versions", headers=cast.owner.headers))
    assert [v["number"] for v in versions["items"]] == [2, 1]
    assert_gap_free(await positions(db, responses[0].json()["versionId"]))


@postgres_only
async def test_20_concurrent_creations_with_the_same_title_get_20_distinct_slugs(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    responses = await asyncio.gather(
        *(
            client.post(f"{API}/courses", json={"title": "Same Title"}, headers=cast.owner.headers)
            for _ in range(20)
        )
    )
    assert [r.status_code for r in responses] == [201] * 20
    slugs = [r.json()["slug"] for r in responses]
    assert len(set(slugs)) == 20
    assert all(slug == "same-title" or slug.startswith("same-title-") for slug in slugs)
    assert "same-title" in slugs
