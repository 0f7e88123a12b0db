"""Moderation: reports and the queue, actions with a log, mutes and bans with an end, and the
content filter that flags (never drops) links and bursts from new accounts."""

from __future__ import annotations

from datetime import timedelta

from httpx import AsyncClient

from campus.kernel.clock import Clock, utcnow
from tests.community.conftest import FORUMS, ForumFactory
from tests.fixtures.catalog import API, ok_object

MOD = f"{API}/moderation"


async def test_a_report_queues_and_a_mute_stops_posting_until_it_ends(
    forum: ForumFactory, client: AsyncClient, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(utcnow())
    p = await forum.people()
    topic = await forum.topic(p.instructor, p.course_id)
    rude = await forum.post(p.learner, topic["id"], body="You are all wrong")
    body = {"targetType": "post", "targetId": rude["id"], "reason": "Rude to others"}
    outsider = await client.post(f"{MOD}/reports", json=body, headers=p.outsider.headers)
    assert outsider.status_code == 403
    report = ok_object(
        await client.post(f"{MOD}/reports", json=body, headers=p.course_moderator.headers), 201
    )
    twice = await client.post(f"{MOD}/reports", json=body, headers=p.course_moderator.headers)
    assert twice.status_code == 409
    reported = [e for n, e in await forum.events() if n == "community.content_reported"]
    assert len(reported) == 1
    assert reported[0]["recipientIds"] == [str(p.instructor.id)]  # not the reporter

    queue_url = f"{MOD}/queue"
    learner_queue = await client.get(
        queue_url, params={"courseId": p.course_id}, headers=p.learner.headers
    )
    assert learner_queue.status_code == 403
    for who in (p.instructor, p.course_moderator):
        page = ok_object(
            await client.get(queue_url, params={"courseId": p.course_id}, headers=who.headers)
        )
        assert [r["id"] for r in page["items"]] == [report["id"]]
    everywhere = ok_object(await client.get(queue_url, headers=p.moderator.headers))
    assert everywhere["total"] == 1

    action = {"action": "mute", "note": "Cool down", "days": 7}
    other = await client.post(
        f"{MOD}/reports/{report['id']}/actions", json=action, headers=p.other_instructor.headers
    )
    assert other.status_code == 403
    done = ok_object(
        await client.post(
            f"{MOD}/reports/{report['id']}/actions", json=action, headers=p.course_moderator.headers
        )
    )
    assert done["status"] == "resolved"
    muted = await forum.post_response(p.learner, topic["id"])
    assert muted.status_code == 403
    assert muted.json()["error"]["code"] == "user_sanctioned"
    assert (await forum.posts(p.learner, topic["id"]))["total"] == 1  # still reads
    frozen_clock.advance(days=8)
    for user in (p.learner, p.instructor):  # their tokens expired meanwhile
        await forum.identity.start_session(user)
    assert (await forum.post_response(p.learner, topic["id"])).status_code == 201
    log = ok_object(
        await client.get(
            f"{MOD}/log", params={"courseId": p.course_id}, headers=p.instructor.headers
        )
    )
    assert [e["action"] for e in log["items"]] == ["mute"]


async def test_a_ban_closes_the_forum_and_hidden_posts_disappear_for_learners(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.instructor, p.course_id)
    post = await forum.post(p.learner, topic["id"], body="spam spam")
    report = ok_object(
        await client.post(
            f"{MOD}/reports",
            json={"targetType": "post", "targetId": post["id"], "reason": "Spam"},
            headers=p.instructor.headers,
        ),
        201,
    )
    hidden = await client.post(
        f"{MOD}/reports/{report['id']}/actions",
        json={"action": "hide"},
        headers=p.moderator.headers,
    )
    assert hidden.status_code == 200
    assert (await forum.posts(p.course_moderator, topic["id"]))["total"] == 1  # moderators see it
    await forum.learning.enroll(p.other_learner, p.course_id)
    assert (await forum.posts(p.other_learner, topic["id"]))["total"] == 0
    ban = {
        "userId": str(p.learner.id),
        "courseId": p.course_id,
        "kind": "ban",
        "reason": "Spam again",
    }
    denied = await client.post(f"{MOD}/sanctions", json=ban, headers=p.learner.headers)
    assert denied.status_code == 403
    past = {**ban, "endsAt": (utcnow() - timedelta(days=1)).isoformat()}
    assert (
        await client.post(f"{MOD}/sanctions", json=past, headers=p.course_moderator.headers)
    ).status_code == 422
    assert (
        await client.post(f"{MOD}/sanctions", json=ban, headers=p.course_moderator.headers)
    ).status_code == 201
    banned = await client.get(f"{FORUMS}/courses/{p.course_id}/topics", headers=p.learner.headers)
    assert banned.status_code == 403
    assert banned.json()["error"]["code"] == "user_sanctioned"
    # Another course's forum is not affected.
    assert (
        await forum.topic_response(p.learner, p.other_course_id)
    ).status_code == 403  # not enrolled there


async def test_new_accounts_are_flagged_for_links_and_bursts_and_nothing_is_dropped(
    forum: ForumFactory, client: AsyncClient, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(utcnow())
    p = await forum.people()
    topic = await forum.topic(p.instructor, p.course_id)
    link = await forum.post(p.learner, topic["id"], body="See https://spam.example")
    assert link["status"] == "flagged"
    titles = []
    for i in range(3):  # new accounts: two topics an hour
        created = await forum.topic(p.learner, p.course_id, title=f"Burst {i}")
        titles.append((created["title"], created["status"]))
    assert titles == [("Burst 0", "visible"), ("Burst 1", "visible"), ("Burst 2", "flagged")]
    # Flagged content is kept: its author sees it, learners do not, moderators queue it.
    mine = ok_object(
        await client.get(f"{FORUMS}/courses/{p.course_id}/topics", headers=p.learner.headers)
    )
    assert mine["total"] == 4
    others = ok_object(
        await client.get(
            f"{FORUMS}/courses/{p.course_id}/topics", headers=p.course_moderator.headers
        )
    )
    assert others["total"] == 4  # a course moderator sees the flagged one too
    queue = ok_object(await client.get(f"{MOD}/queue", headers=p.moderator.headers))
    assert sorted(r["reason"] for r in queue["items"]) == [
        "filter: link_from_new_account",
        "filter: rate_limit",
    ]
    names = await forum.event_names()
    assert names.count("community.post_created") == 0  # the flagged post notified nobody
    # Approving shows it; a day later the same account posts links freely.
    report = next(r for r in queue["items"] if r["targetType"] == "post")
    ok_object(
        await client.post(
            f"{MOD}/reports/{report['id']}/actions",
            json={"action": "approve"},
            headers=p.instructor.headers,
        )
    )
    assert (await forum.posts(p.instructor, topic["id"]))["items"][0]["status"] == "visible"
    frozen_clock.advance(days=2)
    await forum.identity.start_session(p.learner)  # the old token expired meanwhile
    later = await forum.post(p.learner, topic["id"], body="See https://docs.python.org")
    assert later["status"] == "visible"
