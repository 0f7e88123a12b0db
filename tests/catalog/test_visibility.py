"""Scope first: drafts, courses under review and archived courses never reach the public catalog;
mass assignment through update payloads is refused and changes nothing (AC-03/04)."""

from __future__ import annotations

import pytest
from httpx import AsyncClient

from tests.fixtures.catalog import API, CatalogFactory, ok


async def public_ids(client: AsyncClient, path: str = "/courses") -> set[str]:
    body = ok(await client.get(f"{API}{path}?limit=100"))
    return {c["id"] for c in body["items"]}


async def test_only_published_courses_are_public_anywhere(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    track = {"slug": "visible", "name": "Visible"}
    published = await catalog.published(cast.owner, cast.admin, title="Shown", track=track)
    draft = await catalog.draft(cast.owner, title="Shown draft", track={"slug": "d", "name": "D"})
    pending = await catalog.draft(cast.owner, title="Shown pending")
    await catalog.submit(cast.owner, pending["id"])
    archived = await catalog.published(
        cast.owner, cast.admin, title="Shown archived", track={"slug": "gone", "name": "Gone"}
    )
    ok(await client.post(f"{API}/courses/{archived['id']}/archive", headers=cast.owner.headers))

    assert await public_ids(client) == {published["id"]}
    assert await public_ids(client, f"/instructors/{cast.owner.id}/courses") == {published["id"]}
    body = ok(await client.get(f"{API}/courses?q=shown"))
    assert [c["id"] for c in body["items"]] == [published["id"]]
    tracks = ok(await client.get(f"{API}/tracks"))["items"]
    assert [t["slug"] for t in tracks] == ["visible"]
    for hidden in (draft, pending, archived):
        for ref in (hidden["id"], hidden["slug"]):
            response = await client.get(f"{API}/courses/{ref}")
            assert response.status_code == 404
            assert response.json()["error"]["code"] == "course_not_found"
    for slug in ("d", "gone"):
        ok(await client.get(f"{API}/tracks/{slug}"), 404)
    # Signed-in strangers see no more than the public.
    other = await client.get(f"{API}/courses/{draft['id']}", headers=cast.other.headers)
    assert other.status_code == 404
    mine = ok(await client.get(f"{API}/authoring/courses", headers=cast.other.headers))
    assert mine["items"] == []


async def test_the_review_queue_lists_every_pending_course_for_publishers_only(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    pending = await catalog.draft(cast.owner)
    await catalog.submit(cast.owner, pending["id"])
    await catalog.draft(cast.other)
    queue = ok(
        await client.get(
            f"{API}/authoring/courses?status=pending_review", headers=cast.admin.headers
        )
    )
    assert [c["id"] for c in queue["items"]] == [pending["id"]]
    theirs = ok(
        await client.get(
            f"{API}/authoring/courses?status=pending_review", headers=cast.other.headers
        )
    )
    assert theirs["items"] == []


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("enrollmentCount", 10_000),
        ("ratingAverage", "5.00"),
        ("ratingCount", 999),
        ("status", "published"),
        ("primaryInstructorId", "00000000-0000-0000-0000-000000000001"),
        ("publishedAt", "2020-01-01T00:00:00Z"),
        ("currentVersionId", "00000000-0000-0000-0000-000000000001"),
        ("deletedAt", None),
        ("id", "00000000-0000-0000-0000-000000000001"),
    ],
)
async def test_update_payloads_cannot_set_server_owned_fields(
    client: AsyncClient, catalog: CatalogFactory, field: str, value: object
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin)
    before = await catalog.authoring(cast.admin, course["id"])
    for who in (cast.owner, cast.admin):
        response = await client.patch(
            f"{API}/courses/{course['id']}",
            json={"title": "Sneaky", field: value},
            headers=who.headers,
        )
        assert response.status_code == 422, response.text
        fields = response.json()["error"]["details"]["fields"]
        assert any(field in f["field"] for f in fields)
    assert await catalog.authoring(cast.admin, course["id"]) == before


async def test_the_slug_of_a_published_course_cannot_change(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin, title="Stable Slug")
    before = await catalog.authoring(cast.admin, course["id"])
    response = await client.patch(
        f"{API}/courses/{course['id']}",
        json={"slug": "new-slug", "title": "Other"},
        headers=cast.admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "slug_frozen"
    assert await catalog.authoring(cast.admin, course["id"]) == before
    ok(await client.get(f"{API}/courses/stable-slug"))


async def test_lesson_bodies_are_public_for_preview_lessons_only(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(cast.owner)
    module = await catalog.module(cast.owner, course["id"])
    await catalog.lesson(
        cast.owner,
        course["id"],
        module["id"],
        title="Free",
        body="Open **text**",
        isPreview=True,
        videoUrl="https://cdn.example.com/free.mp4",
    )
    await catalog.lesson(cast.owner, course["id"], module["id"], title="Paid", body="Secret")
    await catalog.lesson(
        cast.owner, course["id"], module["id"], title="Hidden", body="WIP", status="draft"
    )
    await catalog.publish(cast.owner, cast.admin, course["id"])
    detail = ok(await client.get(f"{API}/courses/{course['id']}"))
    lessons = detail["curriculum"][0]["lessons"]
    assert [x["title"] for x in lessons] == ["Free", "Paid"]  # draft lessons stay hidden
    assert lessons[0]["body"] == "Open **text**"
    assert lessons[0]["videoUrl"] == "https://cdn.example.com/free.mp4"
    assert lessons[1]["body"] is None
    assert "Secret" not in str(detail)
