"""Reviews and ratings: one per learner and course, moderation, edits, helpful votes, the
distribution, and the catalog's average and count equal to a recomputation from the approved
ratings after any sequence of changes and after a replay of the events."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from campus.catalog import api as catalog_api
from campus.community.repository import reviews as reviews_repo
from campus.kernel.jobs import Relay
from campus.kernel.outbox import Delivery
from tests.community.conftest import ForumFactory, People, new_id
from tests.fixtures.catalog import API, ok_object
from tests.fixtures.identity import AppUser


class Reviews:
    def __init__(self, client: AsyncClient, p: People) -> None:
        self.client = client
        self.p = p
        self.url = f"{API}/courses/{p.course_id}/reviews"

    async def rate(self, who: AppUser, status: int = 201, **body: Any) -> dict[str, Any]:
        response = await self.client.post(self.url, json={"rating": 5, **body}, headers=who.headers)
        assert response.status_code == status, response.text
        return dict(response.json())

    async def moderate(self, review_id: str, status: str) -> dict[str, Any]:
        response = await self.client.put(
            f"{API}/reviews/{review_id}/moderation",
            json={"status": status},
            headers=self.p.moderator.headers,
        )
        return ok_object(response)


async def catalog_rating(forum: ForumFactory, course_id: str) -> tuple[Decimal, int]:
    async with forum.db.read_session() as session:
        course = await catalog_api.get_course_summary(session, uuid.UUID(course_id))
    assert course is not None
    return course.rating_average, course.rating_count


async def recomputed(forum: ForumFactory, course_id: str) -> tuple[Decimal, int]:
    async with forum.db.read_session() as session:
        average, count, _ = await reviews_repo.approved_figures(session, uuid.UUID(course_id))
    return average, count


async def test_catalog_rating_equals_the_approved_ratings_after_any_sequence_and_replay(
    forum: ForumFactory, client: AsyncClient, relay: Relay, app: FastAPI
) -> None:
    p = await forum.people()
    reviews = Reviews(client, p)
    extra = [await forum.identity.signed_in(first_name="Lee" + "abc"[i]) for i in range(3)]
    for user in extra:
        await forum.learning.enroll(user, p.course_id)
    bare = await reviews.rate(p.learner, rating=4)  # no text: counts at once
    assert bare["status"] == "approved"
    texted = await reviews.rate(p.course_moderator, rating=2, title="Slow", text="Too slow")
    assert texted["status"] == "pending_moderation"
    second = await reviews.rate(extra[0], rating=5, text="Great")
    third = await reviews.rate(extra[1], rating=1, text="Bad")
    await relay.drain()
    assert await catalog_rating(forum, p.course_id) == (Decimal("4.00"), 1)

    await reviews.moderate(texted["id"], "approved")
    await reviews.moderate(second["id"], "approved")
    await reviews.moderate(third["id"], "rejected")
    await relay.drain()
    assert await catalog_rating(forum, p.course_id) == (Decimal("3.67"), 3)

    # An edit of the text goes back to moderation (and out of the average); a rating change
    # on a bare rating counts at once; a deletion leaves.
    edited = await client.patch(
        f"{API}/reviews/{second['id']}", json={"text": "Great, really"}, headers=extra[0].headers
    )
    assert ok_object(edited)["status"] == "pending_moderation"
    await client.patch(f"{API}/reviews/{bare['id']}", json={"rating": 3}, headers=p.learner.headers)
    deleted = await client.delete(
        f"{API}/reviews/{texted['id']}", headers=p.course_moderator.headers
    )
    assert deleted.status_code == 204
    await reviews.rate(extra[2], rating=5)
    await relay.drain()
    assert await catalog_rating(forum, p.course_id) == (Decimal("4.00"), 2)
    assert await catalog_rating(forum, p.course_id) == await recomputed(forum, p.course_id)

    # Replay every delivered event, oldest last: the figures do not move.
    events = [e for e in await forum.events() if e[0] == "community.course_ratings_changed"]
    assert len(events) >= 6
    handler = app.state.registry.subscribers["community.course_ratings_changed"][
        "community.recompute_course_rating"
    ]
    for name, payload in [*reversed(events), *events]:
        async with forum.db.session() as session:
            await handler(session, Delivery(uuid.uuid4(), name, payload, 1))
    assert await catalog_rating(forum, p.course_id) == (Decimal("4.00"), 2)

    summary = ok_object(await client.get(f"{API}/courses/{p.course_id}/ratings"))
    assert summary["count"] == 2
    assert summary["distribution"] == {"1": 0, "2": 0, "3": 1, "4": 0, "5": 1}
    review_events = [n for n, _ in await forum.events() if n == "community.review_approved"]
    assert len(review_events) == 2  # the two texts a moderator approved; bare ratings none


async def test_listing_sorts_by_newest_helpful_and_rating_and_helpful_votes_count_once(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    reviews = Reviews(client, p)
    first = await reviews.rate(p.learner, rating=2, text="Meh")
    second = await reviews.rate(p.course_moderator, rating=5, text="Superb")
    for review in (first, second):
        await reviews.moderate(review["id"], "approved")
    voter = p.instructor
    for _ in range(2):
        voted = await client.put(f"{API}/reviews/{first['id']}/helpful", headers=voter.headers)
        assert ok_object(voted)["helpfulCount"] == 1
    own = await client.put(f"{API}/reviews/{first['id']}/helpful", headers=p.learner.headers)
    assert own.status_code == 403

    async def order(sort: str) -> list[str]:
        page = ok_object(await client.get(reviews.url, params={"sort": sort}))
        return [r["text"] for r in page["items"]]

    assert await order("newest") == ["Superb", "Meh"]
    assert await order("helpful") == ["Meh", "Superb"]
    assert await order("rating") == ["Superb", "Meh"]
    assert await order("lowest") == ["Meh", "Superb"]


async def test_the_filter_flags_a_review_and_auto_approval_applies_to_clean_texts(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    reviews = Reviews(client, p)
    flagged = await reviews.rate(p.learner, rating=1, text="Visit https://spam.example now")
    assert flagged["status"] == "flagged"  # a link from an account younger than a day
    queue = ok_object(await client.get(f"{API}/moderation/queue", headers=p.moderator.headers))
    assert [(r["targetId"], r["reporterId"]) for r in queue["items"]] == [(flagged["id"], None)]
    pending = ok_object(await client.get(f"{API}/reviews", headers=p.moderator.headers))
    assert pending["total"] == 0
    flagged_list = await client.get(
        f"{API}/reviews", params={"status": "flagged"}, headers=p.moderator.headers
    )
    assert ok_object(flagged_list)["total"] == 1


async def test_bad_ratings_and_reviews_are_refused_and_change_nothing(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    reviews = Reviews(client, p)
    for body in (
        {"rating": 0},
        {"rating": 6},
        {"rating": "5x"},
        {"rating": 4, "text": ""},
        {"rating": 4, "text": "x" * 5001},
        {"rating": 4, "title": "Only a title"},
        {"rating": 3, "extra": True},
    ):
        await reviews.rate(p.learner, 422, **body)
    await reviews.rate(p.outsider, 403)
    unknown = await client.post(
        f"{API}/courses/{new_id()}/reviews", json={"rating": 3}, headers=p.learner.headers
    )
    assert unknown.status_code == 404
    mine = await client.get(f"{reviews.url}/mine", headers=p.learner.headers)
    assert mine.status_code == 404
    await reviews.rate(p.learner, rating=3)
    again = await reviews.rate(p.learner, 409, rating=4)
    assert again["error"]["code"] == "review_exists"
    assert (
        ok_object(await client.get(f"{reviews.url}/mine", headers=p.learner.headers))["rating"] == 3
    )
