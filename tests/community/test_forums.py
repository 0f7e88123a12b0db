"""Forum flows through HTTP: topics, threads, solutions, pin and lock, votes, follows,
mentions, edit history, soft delete, sorts and search."""

from __future__ import annotations

from collections import Counter

from httpx import AsyncClient

from tests.community.conftest import FORUMS, ForumFactory, mention, new_id
from tests.fixtures.catalog import ok, ok_object


async def test_a_thread_with_a_switched_solution_notifies_once_per_event(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id, lessonId=p.lesson_id, tags=["loops"])
    assert topic["following"] is True
    assert topic["bodyHtml"] == "<p>I am <strong>stuck</strong>.</p>\n"
    first = await forum.post(p.instructor, topic["id"])
    reply = await forum.post(
        p.course_moderator, topic["id"], parentId=first["id"], body="Or `while`."
    )
    assert (first["depth"], reply["depth"], reply["parentId"]) == (0, 1, first["id"])

    url = f"{FORUMS}/topics/{topic['id']}/solution"
    accepted = ok_object(
        await client.put(url, json={"postId": first["id"]}, headers=p.learner.headers)
    )
    assert accepted["solutionPostId"] == first["id"]
    # Switching: an instructor picks the other post; accepting the same post again is a no-op.
    switched = await client.put(
        f"{FORUMS}/posts/{reply['id']}/solution", headers=p.instructor.headers
    )
    assert ok_object(switched)["solutionPostId"] == reply["id"]
    await client.put(f"{FORUMS}/posts/{reply['id']}/solution", headers=p.instructor.headers)
    listed = await forum.posts(p.learner, topic["id"])
    assert [x["isSolution"] for x in listed["items"]] == [False, True]

    events = await forum.events()
    names = Counter(name for name, _ in events)
    assert names == Counter(
        {
            "community.post_created": 2,
            "community.reply_created": 1,
            "community.solution_accepted": 2,
        }
    )
    created = [payload for name, payload in events if name == "community.post_created"]
    # The topic's author follows it; each poster follows from their post on, never notified
    # of their own.
    assert created[0]["recipientIds"] == [str(p.learner.id)]
    assert sorted(created[1]["recipientIds"]) == sorted([str(p.learner.id), str(p.instructor.id)])
    reply_event = next(payload for name, payload in events if name == "community.reply_created")
    assert reply_event["parentAuthorId"] == str(p.instructor.id)
    solutions = [payload for name, payload in events if name == "community.solution_accepted"]
    assert [s["postAuthorId"] for s in solutions] == [
        str(p.instructor.id),
        str(p.course_moderator.id),
    ]


async def test_mentions_of_course_members_are_notified_once_and_others_are_not(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    body = f"Thanks {mention(p.instructor)} and {mention(p.outsider)}, {mention(p.instructor)}"
    post = await forum.post(p.learner, topic["id"], body=body)
    assert "@Ines" in post["bodyHtml"]
    assert "](" not in post["bodyHtml"]
    # An edit mentioning the same person again notifies nobody new; a new member mention does.
    edited = await client.patch(
        f"{FORUMS}/posts/{post['id']}",
        json={"body": body + " " + mention(p.course_moderator)},
        headers=p.learner.headers,
    )
    ok(edited)
    mentioned = [
        payload["mentionedUserId"]
        for name, payload in await forum.events()
        if name == "community.mentioned"
    ]
    assert mentioned == [str(p.instructor.id), str(p.course_moderator.id)]


async def test_replies_are_bounded_in_depth_and_deleted_posts_keep_their_place(
    forum: ForumFactory, client: AsyncClient, settings: object
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    parent = await forum.post(p.learner, topic["id"])
    for _ in range(4):  # the default max depth is 4
        parent = await forum.post(p.learner, topic["id"], parentId=parent["id"])
    too_deep = await forum.post_response(p.learner, topic["id"], parentId=parent["id"])
    assert too_deep.status_code == 409
    assert too_deep.json()["error"]["code"] == "thread_too_deep"

    deleted = await client.delete(f"{FORUMS}/posts/{parent['id']}", headers=p.learner.headers)
    assert deleted.status_code == 204
    listed = await forum.posts(p.learner, topic["id"])
    gone = listed["items"][-1]
    assert gone["isDeleted"] is True
    assert gone["bodyMarkdown"] is None
    assert gone["author"] is None
    assert listed["total"] == 5
    reply = await forum.post_response(p.learner, topic["id"], parentId=parent["id"])
    assert reply.status_code == 409
    assert reply.json()["error"]["code"] == "post_deleted"


async def test_edits_keep_the_history_and_only_the_author_or_a_moderator_edits(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id, body="first text")
    url = f"{FORUMS}/topics/{topic['id']}"
    other = await client.patch(url, json={"body": "hijack"}, headers=p.course_moderator.headers)
    assert other.status_code == 200  # a course moderator may edit
    denied = await client.patch(url, json={"body": "x"}, headers=p.other_learner.headers)
    assert denied.status_code == 403
    ok(await client.patch(url, json={"title": "Loops, solved"}, headers=p.learner.headers))
    history = ok_object(await client.get(f"{url}/history", headers=p.learner.headers))["items"]
    assert [h["bodyMarkdown"] for h in history] == ["first text", "hijack"]
    now = ok_object(await client.get(url, headers=p.learner.headers))
    assert (now["title"], now["bodyMarkdown"]) == ("Loops, solved", "hijack")
    assert now["editedAt"] is not None


async def test_pinned_topics_lead_and_a_locked_topic_accepts_no_posts(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    old = await forum.topic(p.learner, p.course_id, title="Old question")
    new = await forum.topic(p.learner, p.course_id, title="New question")
    await forum.post(p.learner, new["id"])
    flags = f"{FORUMS}/topics/{old['id']}/flags"
    assert (
        await client.put(flags, json={"isPinned": True}, headers=p.learner.headers)
    ).status_code == 403
    pinned = ok_object(
        await client.put(
            flags, json={"isPinned": True, "isLocked": True}, headers=p.instructor.headers
        )
    )
    assert (pinned["isPinned"], pinned["isLocked"]) == (True, True)
    listed = ok_object(
        await client.get(f"{FORUMS}/courses/{p.course_id}/topics", headers=p.learner.headers)
    )
    assert [t["title"] for t in listed["items"]] == ["Old question", "New question"]
    unanswered = ok_object(
        await client.get(
            f"{FORUMS}/courses/{p.course_id}/topics",
            params={"sort": "unanswered"},
            headers=p.learner.headers,
        )
    )
    assert [t["title"] for t in unanswered["items"]] == ["Old question"]
    locked = await forum.post_response(p.learner, old["id"])
    assert locked.status_code == 409
    assert locked.json()["error"]["code"] == "topic_locked"
    assert (await forum.posts(p.learner, old["id"]))["total"] == 0
    log = ok_object(
        await client.get(
            f"{API_MOD}/log", params={"courseId": p.course_id}, headers=p.instructor.headers
        )
    )
    assert sorted(e["action"] for e in log["items"]) == ["lock", "pin"]


API_MOD = FORUMS.replace("/forums", "/moderation")


async def test_votes_count_once_per_user_and_sort_the_list(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    quiet = await forum.topic(p.learner, p.course_id, title="Quiet topic")
    loved = await forum.topic(p.learner, p.course_id, title="Loved topic")
    await forum.topic(p.learner, p.course_id, title="Newest topic")
    for voter in (p.learner, p.learner, p.instructor):
        ok(await client.put(f"{FORUMS}/votes/{loved['id']}", headers=voter.headers))
    ok(await client.put(f"{FORUMS}/votes/{quiet['id']}", headers=p.instructor.headers))
    ok(await client.delete(f"{FORUMS}/votes/{quiet['id']}", headers=p.instructor.headers))
    ok(await client.delete(f"{FORUMS}/votes/{quiet['id']}", headers=p.instructor.headers))
    by_votes = ok_object(
        await client.get(
            f"{FORUMS}/courses/{p.course_id}/topics",
            params={"sort": "votes"},
            headers=p.learner.headers,
        )
    )
    assert [(t["title"], t["voteCount"]) for t in by_votes["items"]][:2] == [
        ("Loved topic", 2),
        ("Newest topic", 0),
    ]
    assert by_votes["items"][0]["voted"] is True
    newest = ok_object(
        await client.get(
            f"{FORUMS}/courses/{p.course_id}/topics",
            params={"sort": "newest"},
            headers=p.learner.headers,
        )
    )
    assert [t["title"] for t in newest["items"]] == ["Newest topic", "Loved topic", "Quiet topic"]


async def test_search_finds_topics_of_the_course_by_folded_words(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    await forum.topic(p.learner, p.course_id, title="Décorateurs en Python", body="functools.wraps")
    await forum.topic(p.learner, p.course_id, title="List comprehensions", body="nested loops")
    await forum.topic(p.other_learner, p.other_course_id, title="Decorators elsewhere")
    url = f"{FORUMS}/courses/{p.course_id}/topics"
    for q, expected in (
        ("decorateurs", ["Décorateurs en Python"]),
        ("loop", ["List comprehensions"]),
        ("!!", []),
    ):
        found = ok_object(await client.get(url, params={"q": q}, headers=p.learner.headers))
        assert [t["title"] for t in found["items"]] == expected, q


async def test_the_platform_forum_has_categories_and_announcements_come_from_moderators(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    url = f"{FORUMS}/platform/topics"
    body = {"title": "Welcome", "body": "Hello", "category": "announcements"}
    assert (await client.post(url, json=body, headers=p.learner.headers)).status_code == 403
    assert (await client.post(url, json=body, headers=p.moderator.headers)).status_code == 201
    help_body = {**body, "category": "help", "title": "Help me"}
    assert (await client.post(url, json=help_body, headers=p.learner.headers)).status_code == 201
    assert (await client.post(url, json=help_body)).status_code == 401
    listed = ok_object(await client.get(url, params={"category": "help"}))
    assert [t["title"] for t in listed["items"]] == ["Help me"]


async def test_bad_input_is_refused_and_changes_nothing(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    other_topic = await forum.topic(p.learner, p.course_id, title="Another one")
    other_post = await forum.post(p.learner, other_topic["id"])
    cases = [
        await forum.post_response(p.learner, topic["id"], body=""),
        await forum.post_response(p.learner, topic["id"], body="   "),
        await forum.post_response(p.learner, topic["id"], body="x" * 100_000),
        await forum.post_response(p.learner, topic["id"], parentId=other_post["id"]),
        await forum.post_response(p.learner, topic["id"], parentId=new_id()),
        await forum.post_response(p.learner, topic["id"], extra=1),
        await forum.topic_response(p.learner, p.course_id, title=""),
        await forum.topic_response(p.learner, p.course_id, lessonId=new_id()),
        await forum.topic_response(p.learner, p.course_id, tags=["x"] * 11),
        await client.put(
            f"{FORUMS}/topics/{topic['id']}/solution",
            json={"postId": other_post["id"]},
            headers=p.learner.headers,
        ),
        await client.get(
            f"{FORUMS}/courses/{p.course_id}/topics",
            params={"sort": "best"},
            headers=p.learner.headers,
        ),
    ]
    assert [r.status_code for r in cases] == [422] * len(cases), [r.text for r in cases]
    assert all(r.json()["error"]["code"] for r in cases)
    assert (await forum.posts(p.learner, topic["id"]))["total"] == 0
    assert (
        ok_object(await client.get(f"{FORUMS}/topics/{topic['id']}", headers=p.learner.headers))[
            "solutionPostId"
        ]
        is None
    )
    unknown = await forum.topic_response(p.learner, new_id())
    assert unknown.status_code == 404


async def test_following_is_explicit_and_a_lesson_lists_its_own_discussion(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    about_lesson = await forum.topic(p.learner, p.course_id, lessonId=p.lesson_id)
    await forum.topic(p.learner, p.course_id, title="General question")
    lesson_topics = ok_object(
        await client.get(
            f"{FORUMS}/courses/{p.course_id}/topics",
            params={"lessonId": p.lesson_id},
            headers=p.learner.headers,
        )
    )
    assert [t["id"] for t in lesson_topics["items"]] == [about_lesson["id"]]
    url = f"{FORUMS}/topics/{about_lesson['id']}/follow"
    assert ok_object(await client.put(url, headers=p.instructor.headers))["following"] is True
    assert ok_object(await client.delete(url, headers=p.learner.headers))["following"] is False
    await forum.post(p.course_moderator, about_lesson["id"])
    created = [e for n, e in await forum.events() if n == "community.post_created"]
    # The author unfollowed: only the instructor (who followed) hears of the new post.
    assert created[0]["recipientIds"] == [str(p.instructor.id)]
    assert (await client.put(url, headers=p.outsider.headers)).status_code == 403
