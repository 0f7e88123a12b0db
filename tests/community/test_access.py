"""The access matrix of the forum and review routes (anonymous, not enrolled, enrolled
learner, another course's learner, instructor, another instructor, course moderator,
platform moderator, admin): every denied call changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.community.models import Post, Review, Topic
from tests.community.conftest import FORUMS, ForumFactory, People
from tests.fixtures.catalog import API, ok_object

ROLES = People.ROLES


def statuses(**by_role: int) -> dict[str, int]:
    assert set(by_role) == set(ROLES)
    return by_role


MEMBERS_ONLY = statuses(
    anonymous=401,
    outsider=403,
    learner=200,
    other_learner=403,
    instructor=200,
    other_instructor=403,
    course_moderator=200,
    moderator=200,
    admin=200,
)


async def count(forum: ForumFactory, model: Any) -> int:
    async with forum.db.read_session() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


async def matrix(
    forum: ForumFactory, p: People, call: Any, expected: dict[str, int], what: str
) -> None:
    seen = {}
    for role in ROLES:
        response = await call(p.by_role(role), role)
        seen[role] = response.status_code
    assert seen == expected, what


async def test_the_course_forum_is_for_its_learners_staff_and_moderators(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    post = await forum.post(p.learner, topic["id"])
    topics_url = f"{FORUMS}/courses/{p.course_id}/topics"

    async def get(url: str) -> Any:
        return lambda who, _role: forum.client.get(url, headers=forum.headers(who))

    for url in (
        topics_url,
        f"{FORUMS}/topics/{topic['id']}",
        f"{FORUMS}/topics/{topic['id']}/posts",
        f"{FORUMS}/topics/{topic['id']}/history",
        f"{FORUMS}/courses/{p.course_id}/settings",
    ):
        await matrix(forum, p, await get(url), MEMBERS_ONLY, url)

    async def new_topic(who: Any, role: str) -> Any:
        return await forum.topic_response(who, p.course_id, title=f"By {role}")

    async def new_post(who: Any, role: str) -> Any:
        return await forum.post_response(who, topic["id"], body=f"By {role}")

    writes = {**MEMBERS_ONLY, **{r: 201 for r, s in MEMBERS_ONLY.items() if s == 200}}
    await matrix(forum, p, new_topic, writes, "create topic")
    await matrix(forum, p, new_post, writes, "create post")
    assert await count(forum, Topic) == 1 + 5
    assert await count(forum, Post) == 1 + 5

    async def pin(who: Any, _role: str) -> Any:
        return await client.put(
            f"{FORUMS}/topics/{topic['id']}/flags",
            json={"isPinned": True},
            headers=forum.headers(who),
        )

    moderators = {**MEMBERS_ONLY, "learner": 403}
    await matrix(forum, p, pin, moderators, "pin")

    async def solution(who: Any, _role: str) -> Any:
        return await client.put(f"{FORUMS}/posts/{post['id']}/solution", headers=forum.headers(who))

    # The topic's author (the learner), its instructors and moderators.
    await matrix(forum, p, solution, MEMBERS_ONLY, "accept a solution")

    async def settings(who: Any, _role: str) -> Any:
        return await client.put(
            f"{FORUMS}/courses/{p.course_id}/settings",
            json={"publicPreview": False},
            headers=forum.headers(who),
        )

    staff = {**MEMBERS_ONLY, "learner": 403, "course_moderator": 403}
    await matrix(forum, p, settings, staff, "forum settings")

    async def edit_others(who: Any, role: str) -> Any:
        return await client.patch(
            f"{FORUMS}/posts/{post['id']}",
            json={"body": f"edited by {role}"},
            headers=forum.headers(who),
        )

    # The author (the learner) and the forum's moderators.
    await matrix(forum, p, edit_others, {**MEMBERS_ONLY, "outsider": 403}, "edit a post")
    async with forum.db.read_session() as session:
        body = await session.scalar(
            sa.select(Post.body_markdown).where(Post.id == uuid.UUID(post["id"]))
        )
    assert body == "edited by admin"


async def test_a_public_preview_opens_reading_but_not_writing(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    await forum.settings(p.instructor, p.course_id, publicPreview=True)
    url = f"{FORUMS}/topics/{topic['id']}/posts"
    assert (await client.get(url)).status_code == 200
    assert (await client.get(url, headers=p.outsider.headers)).status_code == 200
    denied = await forum.post_response(p.outsider, topic["id"])
    assert denied.status_code == 403
    assert denied.json()["error"]["code"] == "forum_access_denied"
    assert (await forum.posts(None, topic["id"]))["total"] == 0


async def test_review_routes_follow_enrolment_moderation_and_teaching(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    reviews = f"{API}/courses/{p.course_id}/reviews"

    async def rate(who: Any, _role: str) -> Any:
        return await client.post(
            reviews,
            json={"rating": 4, "title": "Good", "text": "Clear"},
            headers=forum.headers(who),
        )

    enrolled = statuses(
        anonymous=401,
        outsider=403,
        learner=201,
        other_learner=403,
        instructor=403,
        other_instructor=403,
        course_moderator=201,
        moderator=403,
        admin=403,
    )
    await matrix(forum, p, rate, enrolled, "rate")
    assert await count(forum, Review) == 2
    async with forum.db.read_session() as session:
        review_id = await session.scalar(sa.select(Review.id).where(Review.user_id == p.learner.id))

    async def moderate(who: Any, _role: str) -> Any:
        return await client.put(
            f"{API}/reviews/{review_id}/moderation",
            json={"status": "approved"},
            headers=forum.headers(who),
        )

    only_moderators = {r: (401 if r == "anonymous" else 403) for r in ROLES} | {
        "moderator": 200,
        "admin": 200,
    }
    await matrix(forum, p, moderate, only_moderators, "moderate a review")

    async def read(who: Any, _role: str) -> Any:
        return await client.get(reviews, headers=forum.headers(who))

    await matrix(forum, p, read, dict.fromkeys(ROLES, 200), "list reviews")

    async def reply(who: Any, role: str) -> Any:
        return await client.post(
            f"{API}/reviews/{review_id}/reply",
            json={"text": f"Thanks from {role}"},
            headers=forum.headers(who),
        )

    # Only the course's own instructors answer its reviews, once.
    teaching = {r: (401 if r == "anonymous" else 403) for r in ROLES} | {"instructor": 200}
    await matrix(forum, p, reply, teaching, "reply")
    again = await reply(p.instructor, "instructor")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_replied"
    found = ok_object(await client.get(reviews))
    assert found["items"][0]["replyText"] == "Thanks from instructor"
