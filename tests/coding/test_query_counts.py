"""List and detail reads run a fixed number of queries, whatever the number of exercises,
tests, submissions or results (no lazy loads, no N+1)."""

from __future__ import annotations

from httpx import AsyncClient

from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.catalog import ok
from tests.fixtures.coding import ADDER, API, CodingFactory, call
from tests.fixtures.identity import AppUser
from tests.fixtures.queries import count_queries

ONE = [call("adds", [1, 2], 3)]
MANY = [call(f"adds {i}", [i, 1], i + 1, hidden=i % 2 == 0) for i in range(8)]


async def _queries(client: AsyncClient, db: Database, url: str, user: AppUser) -> int:
    with count_queries(db) as statements:
        ok(await client.get(url, headers=user.headers))
    return len(statements)


# A learner (no instructor role) is never staff, so no membership query is made for them
# (catalog.api.is_course_staff): learner budgets are one below the instructor's.


async def test_exercise_lists_and_details_do_not_grow_with_their_size(
    coding: CodingFactory, client: AsyncClient, db: Database
) -> None:
    world = await coding.world()
    first = await coding.exercise(world, tests=ONE)
    listing = f"{API}/courses/{world.course_id}/coding-exercises"
    small_list = await _queries(client, db, listing, world.learner)
    small_detail = await _queries(
        client, db, f"{API}/coding-exercises/{first['id']}", world.learner
    )
    for _ in range(4):
        await coding.exercise(world, tests=ONE)
    big = await coding.exercise(world, tests=MANY)
    assert await _queries(client, db, listing, world.learner) == small_list == 7
    detail = f"{API}/coding-exercises/{big['id']}"
    assert await _queries(client, db, detail, world.learner) == small_detail == 5
    assert await _queries(client, db, detail, world.instructor) == 5 <= small_detail + 1


async def test_submission_lists_and_details_do_not_grow_with_their_size(
    coding: CodingFactory, client: AsyncClient, db: Database, relay: Relay
) -> None:
    world = await coding.world()
    small = await coding.exercise(world, tests=ONE)
    big = await coding.exercise(world, tests=MANY)
    one = await coding.graded(relay, world.learner, small["id"], ADDER)
    many = await coding.graded(relay, world.learner, big["id"], ADDER)
    for _ in range(3):
        await coding.graded(relay, world.learner, big["id"], ADDER)
    detail_one = await _queries(client, db, f"{API}/code-submissions/{one['id']}", world.learner)
    detail_many = await _queries(client, db, f"{API}/code-submissions/{many['id']}", world.learner)
    assert detail_one == detail_many == 4
    list_one = await _queries(
        client, db, f"{API}/coding-exercises/{small['id']}/submissions", world.instructor
    )
    list_many = await _queries(
        client, db, f"{API}/coding-exercises/{big['id']}/submissions", world.instructor
    )
    assert list_one == list_many == 6
