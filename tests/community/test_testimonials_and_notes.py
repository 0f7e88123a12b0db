"""Testimonials (submit, approve, feature, public list) and private lesson notes (per course,
video timestamps, Markdown export)."""

from __future__ import annotations

from httpx import AsyncClient

from tests.community.conftest import ForumFactory, new_id
from tests.fixtures.catalog import API, ok, ok_object


async def test_only_approved_featured_testimonials_are_public(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    url = f"{API}/testimonials"
    body = {"text": "Campus changed how I learn.", "authorTitle": "Data analyst"}
    first = ok_object(await client.post(url, json=body, headers=p.learner.headers), 201)
    second = ok_object(
        await client.post(
            url, json={**body, "courseId": p.course_id}, headers=p.other_learner.headers
        ),
        201,
    )
    assert first["status"] == "pending"
    assert first["authorName"] == "Lena Learner"
    assert (
        await client.post(url, json={"text": "short"}, headers=p.learner.headers)
    ).status_code == 422
    assert (
        await client.post(url, json={**body, "courseId": new_id()}, headers=p.learner.headers)
    ).status_code == 404
    decide = f"{url}/{first['id']}"
    assert (
        await client.patch(decide, json={"status": "approved"}, headers=p.moderator.headers)
    ).status_code == 403
    early = await client.patch(decide, json={"isFeatured": True}, headers=p.admin.headers)
    assert early.status_code == 409
    featured = ok_object(
        await client.patch(
            decide, json={"status": "approved", "isFeatured": True}, headers=p.admin.headers
        )
    )
    assert (featured["status"], featured["isFeatured"]) == ("approved", True)
    ok(
        await client.patch(
            f"{url}/{second['id']}", json={"status": "approved"}, headers=p.admin.headers
        )
    )
    public = ok_object(await client.get(url))
    assert [t["id"] for t in public["items"]] == [first["id"]]
    listed = ok_object(
        await client.get(f"{url}/all", params={"status": "approved"}, headers=p.admin.headers)
    )
    assert listed["total"] == 2
    assert (await client.get(f"{url}/all", headers=p.learner.headers)).status_code == 403


async def test_lesson_notes_are_private_ordered_by_time_and_exported_as_markdown(
    forum: ForumFactory, client: AsyncClient
) -> None:
    p = await forum.people()
    url = f"{API}/notes/lessons/{p.lesson_id}"
    later = ok_object(
        await client.post(
            url, json={"text": "Remember *this*", "videoSeconds": 125}, headers=p.learner.headers
        ),
        201,
    )
    ok_object(
        await client.post(
            url, json={"text": "Intro idea", "videoSeconds": 5}, headers=p.learner.headers
        ),
        201,
    )
    assert (
        await client.post(url, json={"text": "x"}, headers=p.outsider.headers)
    ).status_code == 403
    assert (await client.post(url, json={"text": ""}, headers=p.learner.headers)).status_code == 422
    assert (
        await client.post(url, json={"text": "x", "videoSeconds": -1}, headers=p.learner.headers)
    ).status_code == 422
    course_notes = f"{API}/notes/courses/{p.course_id}"
    mine = ok_object(await client.get(course_notes, headers=p.learner.headers))["items"]
    assert [n["text"] for n in mine] == ["Intro idea", "Remember *this*"]
    assert (
        ok_object(await client.get(course_notes, headers=p.course_moderator.headers))["total"] == 0
    )
    other = await client.patch(
        f"{API}/notes/{later['id']}", json={"text": "mine now"}, headers=p.course_moderator.headers
    )
    assert other.status_code == 404
    ok(
        await client.patch(
            f"{API}/notes/{later['id']}",
            json={"text": "Remember **this**"},
            headers=p.learner.headers,
        )
    )
    export = await client.get(f"{course_notes}/export", headers=p.learner.headers)
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/markdown")
    assert export.text.splitlines()[2:] == [
        "## Lesson 1.1",
        "",
        "**[0:05]** Intro idea",
        "",
        "**[2:05]** Remember **this**",
    ]
    assert (
        await client.delete(f"{API}/notes/{later['id']}", headers=p.learner.headers)
    ).status_code == 204
    assert ok_object(await client.get(course_notes, headers=p.learner.headers))["total"] == 1
