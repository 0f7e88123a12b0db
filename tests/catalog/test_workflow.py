"""Authoring and publication: drafts, review with notes, versions that stay intact for learners,
archive, deletion rules, and the events each step records."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.catalog import api as catalog_api
from campus.kernel.db import Database
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.catalog import API, CatalogFactory, ok


async def catalog_events(db: Database) -> list[tuple[str, dict[str, Any]]]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(OutboxMessage.name, OutboxMessage.payload)
            .where(OutboxMessage.name.like("catalog.%"))
            .order_by(OutboxMessage.id)
        )
        return [(name, payload) for name, payload in rows]


async def test_instructor_creates_a_draft_with_a_slug_from_the_title_and_a_first_draft_version(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(cast.owner, title="Café Crème: Intro to C++ & C#")
    assert course["slug"] == "cafe-creme-intro-to-c-plus-plus-and-c-sharp"
    assert course["status"] == "draft"
    assert course["currentVersion"] is None
    assert course["draftVersion"]["number"] == 1
    assert course["draftVersion"]["status"] == "draft"
    assert course["primaryInstructorId"] == str(cast.owner.id)
    assert course["instructors"] == [
        {
            "userId": str(cast.owner.id),
            "displayName": f"{cast.owner.first_name} {cast.owner.last_name}",
            "headline": None,
            "avatarUrl": None,
            "isPrimary": True,
        }
    ]
    # Invisible to the public until published.
    ok(await client.get(f"{API}/courses/{course['id']}"), 404)
    assert ok(await client.get(f"{API}/courses"))["total"] == 0


async def test_review_sends_back_with_notes_then_approval_publishes_version_one(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    draft = await catalog.draft(cast.owner, modules=2, lessons=2, title="Rust for Pythonistas")
    course_id = draft["id"]

    submitted = await catalog.submit(cast.owner, course_id, changelog="First cut")
    assert submitted["status"] == "pending_review"
    assert submitted["draftVersion"]["status"] == "pending_review"

    url = f"{API}/courses/{course_id}/send-back"
    back = ok(await client.post(url, json={"notes": "Add exercises"}, headers=cast.admin.headers))
    assert back["status"] == "draft"
    assert back["draftVersion"]["status"] == "draft"
    assert back["draftVersion"]["reviewNotes"] == "Add exercises"
    listing = ok(await client.get(f"{API}/authoring/courses", headers=cast.owner.headers))
    assert listing["items"][0]["reviewNotes"] == "Add exercises"

    await catalog.submit(cast.owner, course_id, minQuizScoreForCertificate=70)
    published = await catalog.approve(cast.admin, course_id, notes="Great")
    assert published["status"] == "published"
    assert published["draftVersion"] is None
    version = published["currentVersion"]
    assert version["number"] == 1
    assert version["status"] == "published"
    assert version["minQuizScoreForCertificate"] == 70
    assert version["lessonCount"] == 4
    assert published["durationSeconds"] == 4 * 5 * 60
    assert published["publishedAt"] is not None

    public = ok(await client.get(f"{API}/courses/{published['slug']}"))
    assert public["currentVersion"]["id"] == version["id"]
    assert [m["title"] for m in public["curriculum"]] == ["Module 1", "Module 2"]

    names = [name for name, _ in await catalog_events(db)]
    assert names == [
        "catalog.course_submitted",
        "catalog.course_sent_back",
        "catalog.course_submitted",
        "catalog.course_published",
    ]
    payload = (await catalog_events(db))[-1][1]
    assert payload["courseId"] == course_id
    assert payload["versionId"] == version["id"]
    assert payload["firstPublication"] is True
    assert payload["instructorIds"] == [str(cast.owner.id)]


async def test_invalid_transitions_are_409_with_a_stable_code_and_change_nothing(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    draft = await catalog.draft(cast.owner)
    cid = draft["id"]

    async def attempt(action: str, who: Any, body: dict[str, Any] | None = None) -> None:
        response = await client.post(
            f"{API}/courses/{cid}/{action}", json=body, headers=who.headers
        )
        assert response.status_code == 409, (action, response.text)
        assert response.json()["error"]["code"] == "invalid_transition"

    before = await catalog.authoring(cast.admin, cid)
    await attempt("approve", cast.admin)
    await attempt("send-back", cast.admin, {"notes": "x"})
    await attempt("archive", cast.owner)
    await attempt("restore", cast.owner)
    assert await catalog.authoring(cast.admin, cid) == before

    await catalog.submit(cast.owner, cid)
    await attempt("submit", cast.owner)  # already under review
    await catalog.approve(cast.admin, cid)
    await attempt("approve", cast.admin)  # nothing under review any more
    await attempt("submit", cast.owner)  # nothing changed since publication
    await attempt("restore", cast.owner)  # not archived


async def test_a_course_without_lessons_cannot_be_submitted(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(cast.owner)
    response = await client.post(f"{API}/courses/{course['id']}/submit", headers=cast.owner.headers)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "course_incomplete"


async def test_editing_a_published_course_drafts_a_new_version_and_leaves_learners_version_intact(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    v1_course = await catalog.published(cast.owner, cast.admin, modules=2, lessons=2)
    cid = v1_course["id"]
    v1_id = uuid.UUID(v1_course["currentVersion"]["id"])
    async with db.read_session() as session:
        learner_view = await catalog_api.get_version_structure(session, v1_id)
    assert learner_view is not None
    assert learner_view.is_current
    v1_module = v1_course["curriculum"][0]
    v1_lesson = v1_module["lessons"][0]

    # The first edit copies v1 into a draft v2; the ids of v1 still address the copies.
    url = f"{API}/courses/{cid}/lessons/{v1_lesson['id']}"
    edited = ok(await client.patch(url, json={"title": "Renamed"}, headers=cast.owner.headers))
    assert edited["versionId"] != str(v1_id)
    assert edited["lineageId"] == v1_lesson["lineageId"]
    assert edited["id"] != v1_lesson["id"]
    await catalog.lesson(cast.owner, cid, v1_module["id"], title="Brand new")
    url = f"{API}/courses/{cid}/modules/reorder"
    ids = [m["lineageId"] for m in reversed(v1_course["curriculum"])]
    ok(await client.post(url, json={"ids": ids}, headers=cast.owner.headers))

    authoring = await catalog.authoring(cast.owner, cid)
    assert authoring["status"] == "published"
    assert authoring["draftVersion"]["number"] == 2
    assert [m["title"] for m in authoring["curriculum"]] == ["Module 2", "Module 1"]

    # Learners and the public still get v1, unchanged.
    public = ok(await client.get(f"{API}/courses/{cid}"))
    assert public["currentVersion"]["id"] == str(v1_id)
    assert public["curriculum"][0]["lessons"][0]["title"] == v1_lesson["title"]
    async with db.read_session() as session:
        assert await catalog_api.get_version_structure(session, v1_id) == learner_view

    await catalog.publish(cast.owner, cast.admin, cid)
    async with db.read_session() as session:
        old = await catalog_api.get_version_structure(session, v1_id)
        current_id = await catalog_api.get_current_version_id(session, uuid.UUID(cid))
        assert current_id is not None
        assert current_id != v1_id
        new = await catalog_api.get_version_structure(session, current_id)
    assert old is not None
    assert new is not None
    assert old.modules == learner_view.modules  # frozen for good
    assert not old.is_current
    assert new.is_current
    assert new.number == 2
    # Progress can follow lineage ids from v1 to v2.
    renamed = new.lesson_by_lineage(uuid.UUID(v1_lesson["lineageId"]))
    assert renamed is not None
    assert renamed.title == "Renamed"
    assert {x.lineage_id for x in old.lessons} < {x.lineage_id for x in new.lessons}
    public = ok(await client.get(f"{API}/courses/{cid}"))
    assert [m["title"] for m in public["curriculum"]] == ["Module 2", "Module 1"]
    versions = ok(await client.get(f"{API}/courses/{cid}/versions", headers=cast.owner.headers))
    assert [(v["number"], v["isCurrent"]) for v in versions["items"]] == [(2, True), (1, False)]
    v1_detail = ok(
        await client.get(f"{API}/courses/{cid}/versions/{v1_id}", headers=cast.owner.headers)
    )
    assert v1_detail["modules"][0]["lessons"][0]["title"] == v1_lesson["title"]


async def test_a_curriculum_under_review_cannot_be_edited(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    draft = await catalog.draft(cast.owner)
    await catalog.submit(cast.owner, draft["id"])
    response = await client.post(
        f"{API}/courses/{draft['id']}/modules", json={"title": "Late"}, headers=cast.owner.headers
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "version_under_review"


async def test_archive_hides_the_course_but_learners_keep_reading_their_version(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.published(cast.owner, cast.admin, title="Old Course")
    cid, vid = course["id"], uuid.UUID(course["currentVersion"]["id"])
    archived = ok(await client.post(f"{API}/courses/{cid}/archive", headers=cast.owner.headers))
    assert archived["status"] == "archived"
    ok(await client.get(f"{API}/courses/{cid}"), 404)
    assert ok(await client.get(f"{API}/courses"))["total"] == 0
    assert ok(await client.get(f"{API}/courses?q=old"))["total"] == 0
    async with db.read_session() as session:
        structure = await catalog_api.get_version_structure(session, vid)
        summary = await catalog_api.get_course_summary(session, uuid.UUID(cid))
    assert structure is not None
    assert len(structure.lessons) == 1
    assert summary is not None
    assert summary.status == "archived"
    # Editing an archived curriculum is refused; restoring brings it back.
    response = await client.post(
        f"{API}/courses/{cid}/modules", json={"title": "x"}, headers=cast.owner.headers
    )
    assert response.json()["error"]["code"] == "course_archived"
    ok(await client.post(f"{API}/courses/{cid}/restore", headers=cast.owner.headers))
    assert ok(await client.get(f"{API}/courses?q=old"))["total"] == 1
    names = [name for name, _ in await catalog_events(db)]
    assert "catalog.course_archived" in names


async def test_only_never_published_drafts_without_enrollments_can_be_deleted(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    draft = await catalog.draft(cast.owner)
    with_learners = await catalog.draft(cast.owner)
    published = await catalog.published(cast.owner, cast.admin)
    async with db.session() as session:
        await catalog_api.set_enrollment_count(session, uuid.UUID(with_learners["id"]), 3)

    for course in (with_learners, published):
        response = await client.delete(f"{API}/courses/{course['id']}", headers=cast.owner.headers)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "course_not_deletable"
    ok(await client.delete(f"{API}/courses/{draft['id']}", headers=cast.owner.headers), 204)
    ok(await client.get(f"{API}/authoring/courses/{draft['id']}", headers=cast.owner.headers), 404)
    ok(await client.get(f"{API}/authoring/courses/{published['id']}", headers=cast.owner.headers))


async def test_title_changes_regenerate_the_slug_until_the_first_publication(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    await catalog.course(cast.other, title="Deep Learning")
    course = await catalog.course(cast.owner, title="Draft Title")
    url = f"{API}/courses/{course['id']}"
    renamed = ok(
        await client.patch(url, json={"title": "Deep Learning"}, headers=cast.owner.headers)
    )
    assert renamed["slug"] == "deep-learning-2"
    custom = ok(await client.patch(url, json={"slug": "dl-basics"}, headers=cast.owner.headers))
    assert custom["slug"] == "dl-basics"
    taken = await client.patch(url, json={"slug": "deep-learning"}, headers=cast.owner.headers)
    assert taken.status_code == 409
    assert taken.json()["error"]["code"] == "slug_taken"

    await catalog.module(cast.owner, course["id"])
    draft = await catalog.authoring(cast.owner, course["id"])
    await catalog.lesson(cast.owner, course["id"], draft["curriculum"][0]["id"])
    await catalog.publish(cast.owner, cast.admin, course["id"])
    after = ok(
        await client.patch(url, json={"title": "Brand New Name"}, headers=cast.owner.headers)
    )
    assert after["slug"] == "dl-basics"
    assert after["title"] == "Brand New Name"


async def test_prices_and_pricing_tiers_use_minor_units_and_decimal_strings(
    client: AsyncClient, catalog: CatalogFactory, db: Database
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(
        cast.owner,
        title="Paid",
        price={"amount": "19.99", "currency": "usd"},
        pricingTiers=[
            {"tier": "basic", "price": {"amount": "19.99", "currency": "USD"}},
            {
                "tier": "pro",
                "price": {"amount": "39.00", "currency": "USD"},
                "originalPrice": {"amount": "59.00", "currency": "USD"},
                "features": ["Certificate", "Mentor chat"],
            },
        ],
    )
    assert course["isFree"] is False
    assert course["price"] == {"amount": "19.99", "currency": "USD"}
    assert [t["tier"] for t in course["pricingTiers"]] == ["basic", "pro"]
    assert course["pricingTiers"][1]["originalPrice"] == {"amount": "59.00", "currency": "USD"}
    async with db.read_session() as session:
        summary = await catalog_api.get_course_summary(session, uuid.UUID(course["id"]))
    assert summary is not None
    assert summary.price is not None
    assert (summary.price.minor, summary.price.currency) == (1999, "USD")

    url = f"{API}/courses/{course['id']}"
    yen = {"price": {"amount": "2400", "currency": "JPY"}, "pricingTiers": []}
    updated = ok(await client.patch(url, json=yen, headers=cast.owner.headers))
    assert updated["price"] == {"amount": "2400", "currency": "JPY"}
    free = ok(await client.patch(url, json={"isFree": True}, headers=cast.owner.headers))
    assert free["isFree"] is True
    assert free["price"] is None


async def test_co_instructors_edit_but_cannot_delete_or_transfer_and_ownership_moves(
    client: AsyncClient, catalog: CatalogFactory
) -> None:
    cast = await catalog.cast()
    course = await catalog.course(cast.owner)
    cid = course["id"]
    updated = await catalog.set_co_instructors(cast.owner, cid, cast.co)
    assert [(i["userId"], i["isPrimary"]) for i in updated["instructors"]] == [
        (str(cast.owner.id), True),
        (str(cast.co.id), False),
    ]
    ok(
        await client.patch(
            f"{API}/courses/{cid}", json={"subtitle": "By co"}, headers=cast.co.headers
        )
    )
    ok(await client.delete(f"{API}/courses/{cid}", headers=cast.co.headers), 403)
    transfer = {"newPrimaryInstructorId": str(cast.co.id)}
    url = f"{API}/courses/{cid}/transfer-ownership"
    ok(await client.post(url, json=transfer, headers=cast.co.headers), 403)
    # Students are not instructors: they cannot be made co-instructors.
    bad = await client.put(
        f"{API}/courses/{cid}/instructors",
        json={"coInstructorIds": [str(cast.student.id)]},
        headers=cast.owner.headers,
    )
    assert bad.status_code == 422
    moved = ok(await client.post(url, json=transfer, headers=cast.owner.headers))
    assert moved["primaryInstructorId"] == str(cast.co.id)
    assert [(i["userId"], i["isPrimary"]) for i in moved["instructors"]] == [
        (str(cast.co.id), True),
        (str(cast.owner.id), False),
    ]
    # The former owner is a co-instructor now: may edit, may not delete.
    ok(await client.delete(f"{API}/courses/{cid}", headers=cast.owner.headers), 403)
    ok(
        await client.patch(
            f"{API}/courses/{cid}", json={"subtitle": "x"}, headers=cast.owner.headers
        )
    )
