"""Query budgets: the topic list and the posts of a 200-post topic run a fixed number of
statements whatever their size."""

from __future__ import annotations

import uuid
from datetime import timedelta

from httpx import AsyncClient

from campus.community.models import Post, Topic
from campus.kernel.clock import utcnow
from tests.community.conftest import FORUMS, ForumFactory, People
from tests.fixtures.catalog import ok_object
from tests.fixtures.queries import assert_same_count, count_queries

#: Sign-in (1), the forum's access for an enrolled learner (the caller's sanction, course
#: moderation and the forum's preview in one statement; the course and its instructors, 2;
#: the enrollment: 4), the count (1), the page with the caller's votes (1), the authors (1).
TOPIC_LIST = 8
#: Sign-in (1), the topic (1), access (4), the page with its total and votes (1), authors (1).
TOPIC_POSTS = 8


async def many_topics(forum: ForumFactory, p: People, n: int) -> list[uuid.UUID]:
    authors = [p.learner.id, p.instructor.id, p.course_moderator.id]
    now = utcnow()
    async with forum.db.session() as session:
        topics = [
            Topic(
                course_id=uuid.UUID(p.course_id),
                author_id=authors[i % 3],
                title=f"Topic {i}",
                body_markdown="text",
                body_html="<p>text</p>",
                tags=[],
                last_activity_at=now + timedelta(seconds=i),
            )
            for i in range(n)
        ]
        session.add_all(topics)
        await session.flush()
        return [t.id for t in topics]


async def test_the_topic_list_runs_a_fixed_number_of_queries(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    url = f"{FORUMS}/courses/{p.course_id}/topics"
    await many_topics(forum, p, 1)
    await client.get(url, headers=p.learner.headers)  # warm the routes
    with count_queries(forum.db) as one:
        assert ok_object(await client.get(url, headers=p.learner.headers))["total"] == 1
    await many_topics(forum, p, 40)
    with count_queries(forum.db) as page:
        found = ok_object(await client.get(url, params={"limit": 20}, headers=p.learner.headers))
    assert (found["total"], len(found["items"])) == (41, 20)
    one.assert_count(TOPIC_LIST)
    assert_same_count(one, page, "topic list")


async def test_a_topic_with_200_posts_runs_a_fixed_number_of_queries(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    [topic_id] = await many_topics(forum, p, 1)
    authors = [p.learner.id, p.instructor.id, p.course_moderator.id, p.moderator.id]
    start = utcnow()
    async with forum.db.session() as session:
        parents: list[Post] = []
        for i in range(200):
            parent = parents[i // 2] if i and i % 3 else None
            post = Post(
                topic_id=topic_id,
                parent_id=parent.id if parent else None,
                depth=parent.depth + 1 if parent and parent.depth < 4 else 0,
                author_id=authors[i % 4],
                body_markdown=f"post {i}",
                body_html=f"<p>post {i}</p>",
                created_at=start + timedelta(milliseconds=i),
                updated_at=start,
            )
            post.parent_id = post.parent_id if post.depth else None
            session.add(post)
            await session.flush()
            parents.append(post)
    url = f"{FORUMS}/topics/{topic_id}/posts"
    await client.get(url, headers=p.learner.headers)
    pages = []
    for page in (1, 2):
        with count_queries(forum.db) as queries:
            found = ok_object(
                await client.get(
                    url, params={"limit": 100, "page": page}, headers=p.learner.headers
                )
            )
        assert (found["total"], len(found["items"])) == (200, 100)
        pages.append(queries)
    pages[0].assert_count(TOPIC_POSTS)
    assert_same_count(pages[0], pages[1], "posts of a 200-post topic")
