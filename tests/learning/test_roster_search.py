"""Roster search by name or email: resolved in SQL by ``identity.api.search_user_ids`` (literal
wildcards, case-insensitive, hostile input harmless) with a fixed number of queries."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import pytest
from httpx import AsyncClient

from campus.identity import api as identity_api
from campus.kernel.db import Database
from campus.learning.service import roster
from tests.fixtures.catalog import API, ok
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import Course, LearningFactory
from tests.fixtures.queries import Queries, assert_same_count, count_queries


async def _person(learning: LearningFactory, first: str, last: str, email: str) -> AppUser:
    return await learning.identity.signed_in(first_name=first, last_name=last, email=email)


async def _search(client: AsyncClient, course: Course, owner: AppUser, text: str) -> list[str]:
    url = f"{API}/courses/{course.id}/roster?limit=100&search={quote(text, safe='')}"
    return sorted(x["email"] for x in ok(await client.get(url, headers=owner.headers))["items"])


async def test_roster_search_treats_percent_and_underscore_literally(
    learning: LearningFactory, client: AsyncClient
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    people = [
        await _person(learning, "Percy", "Cent", "per%cent@example.com"),
        await _person(learning, "Percy", "Dent", "perxcent@example.com"),
        await _person(learning, "Una", "Score", "under_score@example.com"),
        await _person(learning, "Una", "Xcore", "underxscore@example.com"),
        await _person(learning, "Back", "Slash", "back/slash@example.com"),
    ]
    for person in people:
        await learning.enroll(person, course)

    assert await _search(client, course, cast.owner, "%") == ["per%cent@example.com"]
    assert await _search(client, course, cast.owner, "r%c") == ["per%cent@example.com"]
    assert await _search(client, course, cast.owner, "r_s") == ["under_score@example.com"]
    assert await _search(client, course, cast.owner, "_") == ["under_score@example.com"]
    assert await _search(client, course, cast.owner, "k/s") == ["back/slash@example.com"]
    assert await _search(client, course, cast.owner, "%%") == []
    assert await _search(client, course, cast.owner, "'; DROP TABLE users; --") == []
    # Names are matched as "First Last", whatever the case.
    assert await _search(client, course, cast.owner, "percy d") == ["perxcent@example.com"]
    assert await _search(client, course, cast.owner, "UNA XC") == ["underxscore@example.com"]
    assert len(await _search(client, course, cast.owner, "example.COM")) == 5


async def test_roster_search_matches_unicode_names_and_refuses_oversized_input(
    learning: LearningFactory, client: AsyncClient, db: Database
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    zoe = await _person(learning, "Zoë", "Ünal", "z.u@example.com")
    plain = await _person(learning, "Zoe", "Unal", "plain@example.com")
    for person in (zoe, plain):
        await learning.enroll(person, course)

    assert await _search(client, course, cast.owner, "Zoë") == [zoe.email]
    assert await _search(client, course, cast.owner, "zoë") == [zoe.email]
    assert await _search(client, course, cast.owner, "Zoe\u0308") == [zoe.email]  # decomposed
    assert await _search(client, course, cast.owner, "ë Ü") == [zoe.email]
    assert await _search(client, course, cast.owner, "Ünal") == [zoe.email]
    assert await _search(client, course, cast.owner, "zoe") == [plain.email]
    # Every letter is folded, on SQLite too (its built-in lower() folds ASCII letters only).
    assert await _search(client, course, cast.owner, "ÜNAL") == [zoe.email]
    assert await _search(client, course, cast.owner, "ünal") == [zoe.email]
    assert await _search(client, course, cast.owner, "ZOË ÜNAL") == [zoe.email]
    assert await _search(client, course, cast.owner, "🙂") == []
    assert await _search(client, course, cast.owner, "\x00") == []
    assert await _search(client, course, cast.owner, "   ") == sorted([plain.email, zoe.email])
    url = f"{API}/courses/{course.id}/roster?search={'a' * 101}"
    assert (await client.get(url, headers=cast.owner.headers)).status_code == 422


async def test_search_user_ids_is_literal_bounded_and_searches_among_many_ids(
    learning: LearningFactory, db: Database
) -> None:
    ada = await _person(learning, "Ada", "Lovelace", "ada_l@example.com")
    other = await _person(learning, "Adam", "Smith", "adam@example.com")
    async with db.read_session() as session:
        assert await identity_api.search_user_ids(session, "ADA") == sorted([ada.id, other.id])
        assert await identity_api.search_user_ids(session, "a_l") == [ada.id]
        assert await identity_api.search_user_ids(session, "ada", limit=1) == [
            min(ada.id, other.id)
        ]
        for hostile in ("a" * 255, "%" * 10_000, "ada\x00", "\t", "", "\u202e" * 3):
            assert await identity_api.search_user_ids(session, hostile) == [], hostile[:8]
        # Far more ids than a statement can bind one by one: still one query.
        crowd = [uuid.uuid4() for _ in range(40_000)] + [ada.id]
        with count_queries(db, expect=1):
            found = await identity_api.search_user_ids(session, "ada", among=crowd)
        assert found == [ada.id]
        assert await identity_api.search_user_ids(session, "ada", among=[]) == []
        assert await identity_api.search_user_ids(session, "ada", among=[other.id]) == [other.id]


#: Queries of a roster search whose matches all fit under the cap (one or many of them).
ROSTER_SEARCH_BUDGET = 8
#: Queries of a roster search with more matching accounts than the cap: identity is asked again
#: among the course's learners.
BROAD_ROSTER_SEARCH_BUDGET = 10


async def _roster_queries(
    client: AsyncClient, db: Database, course: Course, owner: AppUser, search: str
) -> tuple[Queries, dict[str, Any]]:
    url = f"{API}/courses/{course.id}/roster?search={search}"
    with count_queries(db) as seen:
        page = ok(await client.get(url, headers=owner.headers))
    return seen, page


async def test_a_roster_search_costs_the_same_queries_for_one_match_or_many(
    learning: LearningFactory, client: AsyncClient, db: Database
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    counts: list[Queries] = []
    for batch in (1, 6):
        for _ in range(batch):
            await learning.enroll(await learning.learner("Searchable"), course)
            await learning.enroll(await learning.learner("Hidden"), course)
        count, page = await _roster_queries(client, db, course, cast.owner, "searchab")
        counts.append(count)
        assert {x["name"].split()[0] for x in page["items"]} == {"Searchable"}
    assert page["total"] == 7
    assert_same_count(counts[0], counts[1])
    counts[1].assert_count(ROSTER_SEARCH_BUDGET)


async def test_a_broad_roster_search_narrows_among_the_course_learners_in_fixed_queries(
    learning: LearningFactory, client: AsyncClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # More accounts match than the search keeps (the cap, lowered here): identity is asked
    # again among the course's learners only.
    monkeypatch.setattr(roster, "_SEARCH_MAX_MATCHES", 2)
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    for _ in range(4):
        await learning.learner("Broad")  # matching accounts outside the course
    counts: list[Queries] = []
    for expected in (1, 2):
        await learning.enroll(await learning.learner("Broad"), course)
        count, page = await _roster_queries(client, db, course, cast.owner, "broad")
        counts.append(count)
        assert page["total"] == expected
    assert_same_count(counts[0], counts[1])
    counts[1].assert_count(BROAD_ROSTER_SEARCH_BUDGET)
    await learning.enroll(await learning.learner("Broad"), course)
    _, capped = await _roster_queries(client, db, course, cast.owner, "broad")
    assert capped["total"] == 2  # at most the cap, all of them learners of the course
