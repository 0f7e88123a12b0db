"""The in-app inbox: cursor pages, unread first, unread count, read/unread, read-all,
archive; only one's own (404 otherwise); the dedupe key (the same event three times notifies
once)."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from campus.community.events import ReviewApproved
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import IdentityFactory
from tests.notifications.helpers import deliveries_of, emit, notifications_of

TYPE = "community.review_approved"


def approved(user_id: uuid.UUID, review_id: uuid.UUID | None = None) -> ReviewApproved:
    return ReviewApproved(
        review_id=review_id or uuid.uuid4(),
        course_id=uuid.uuid4(),
        user_id=user_id,
        rating=5,
        approved_at=utcnow(),
    )


async def test_the_same_event_delivered_three_times_notifies_once(
    identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    learner = await identity.user()
    event = approved(learner.id)
    await emit(db, event, event, event)
    await relay.drain()
    reviews = [n for n in await notifications_of(db, learner.id) if n.type_code == TYPE]
    assert len(reviews) == 1
    sent = [d.status for d in await deliveries_of(db, learner.id) if d.type_code == TYPE]
    assert sent == ["sent"]


async def test_the_inbox_pages_by_cursor_counts_unread_and_marks_read_and_archives(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    learner = await identity.signed_in()
    await emit(db, *(approved(learner.id) for _ in range(5)))
    await relay.drain()
    h = learner.headers
    # Six in all: the five reviews and, oldest, the welcome of the new account.

    first = (await client.get("/api/v1/notifications?limit=2", headers=h)).json()
    assert len(first["items"]) == 2
    assert first["nextCursor"]
    second = (
        await client.get(f"/api/v1/notifications?limit=2&cursor={first['nextCursor']}", headers=h)
    ).json()
    third = (
        await client.get(f"/api/v1/notifications?limit=2&cursor={second['nextCursor']}", headers=h)
    ).json()
    ids = [i["id"] for page in (first, second, third) for i in page["items"]]
    assert len(set(ids)) == 6
    assert third["nextCursor"] is None
    assert ids == sorted(ids, reverse=True)  # newest first
    assert first["items"][0]["title"] == "Your review is published"

    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "unread": 6
    }
    oldest = ids[-1]
    read = await client.post(f"/api/v1/notifications/{ids[0]}/read", headers=h)
    assert read.status_code == 200
    assert read.json()["read"] is True
    unread_first = (await client.get("/api/v1/notifications?order=unread_first", headers=h)).json()
    assert unread_first["items"][-1]["id"] == ids[0]
    again = await client.post(f"/api/v1/notifications/{ids[0]}/unread", headers=h)
    assert again.json()["read"] is False

    archived = await client.post(f"/api/v1/notifications/{oldest}/archive", headers=h)
    assert archived.status_code == 200
    assert archived.json()["archived"] is True
    listed = (await client.get("/api/v1/notifications", headers=h)).json()["items"]
    assert oldest not in [i["id"] for i in listed]
    shelf = (await client.get("/api/v1/notifications?archived=true", headers=h)).json()["items"]
    assert [i["id"] for i in shelf] == [oldest]

    marked = await client.post("/api/v1/notifications/read-all", headers=h)
    assert marked.json() == {"marked": 5}
    assert (await client.get("/api/v1/notifications/unread-count", headers=h)).json() == {
        "unread": 0
    }

    bad = await client.get("/api/v1/notifications?cursor=not-a-cursor", headers=h)
    assert bad.status_code == 422


async def test_a_user_cannot_read_or_change_another_users_notifications(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    owner = await identity.signed_in()
    other = await identity.signed_in()
    await emit(db, approved(owner.id))
    await relay.drain()
    [note] = [n for n in await notifications_of(db, owner.id) if n.type_code == TYPE]
    for action in ("read", "unread", "archive", "unarchive"):
        response = await client.post(
            f"/api/v1/notifications/{note.id}/{action}", headers=other.headers
        )
        assert response.status_code == 404, action
    seen = (await client.get("/api/v1/notifications", headers=other.headers)).json()["items"]
    assert [i["typeCode"] for i in seen] == ["account.welcome"]  # their own only
    await client.post("/api/v1/notifications/read-all", headers=other.headers)
    [still] = [n for n in await notifications_of(db, owner.id) if n.type_code == TYPE]
    assert still.read_at is None
    assert still.archived_at is None
    assert (await client.get("/api/v1/notifications")).status_code == 401
