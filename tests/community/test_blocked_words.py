"""The configurable filter: blocked words flag a post (kept, queued, shown to its author) and
clean reviews are approved at once when auto-approval is on."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from campus.config import Settings
from tests.community.conftest import ForumFactory
from tests.fixtures.catalog import API, ok_object


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(
        community_blocked_words="casino, free money",
        community_auto_approve_reviews=True,
    )


async def test_blocked_words_flag_and_clean_reviews_are_approved_at_once(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.instructor, p.course_id)
    flagged = await forum.post(p.learner, topic["id"], body="Get FREE MONEY here")
    clean = await forum.post(p.learner, topic["id"], body="Casinos are not the topic")
    assert (flagged["status"], clean["status"]) == ("flagged", "visible")
    queue = ok_object(await client.get(f"{API}/moderation/queue", headers=p.moderator.headers))
    assert [(r["targetId"], r["reason"]) for r in queue["items"]] == [
        (flagged["id"], "filter: blocked_words")
    ]
    reviews = f"{API}/courses/{p.course_id}/reviews"
    approved = await client.post(
        reviews, json={"rating": 5, "text": "Clear and kind"}, headers=p.learner.headers
    )
    assert ok_object(approved, 201)["status"] == "approved"
    held = await client.post(
        reviews, json={"rating": 1, "text": "casino"}, headers=p.course_moderator.headers
    )
    assert ok_object(held, 201)["status"] == "flagged"
