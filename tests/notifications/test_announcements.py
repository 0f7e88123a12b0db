"""Course announcements: an instructor announces to the learners of a course they teach (not
to another's: 404), in their inbox and by email per their preferences; a scheduled
announcement goes out at its time and can be cancelled before; learners fan out in batches."""

from __future__ import annotations

from datetime import timedelta

import pytest
from httpx import AsyncClient

from campus.config import Settings
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import read_emails
from tests.fixtures.learning import LearningFactory
from tests.notifications.helpers import notifications_of

TYPE = "learning.course_announcement"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(notifications_announcement_batch=10)


async def test_instructors_announce_to_their_own_course_in_batches_and_cancel_scheduled_ones(
    client: AsyncClient,
    learning: LearningFactory,
    db: Database,
    relay: Relay,
    settings: Settings,
    frozen_clock: Clock,
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, title="Rust & Friends")
    learners = [await learning.learner() for _ in range(12)]
    for learner in learners:
        await learning.enroll(learner, course)
    await relay.drain()
    url = f"/api/v1/courses/{course.id}/announcements"
    body = {"title": "Live session", "message": "Thursday at <b>18:00</b>"}

    for stranger in (cast.other, cast.student):
        refused = await client.post(url, json=body, headers=stranger.headers)
        assert refused.status_code == 404, refused.text
    assert (
        await client.post(url, json={"title": ""}, headers=cast.owner.headers)
    ).status_code == 422

    made = await client.post(url, json=body, headers=cast.owner.headers)
    assert made.status_code == 201, made.text
    await relay.drain()  # two batches: ten learners, then two
    for learner in learners:
        [note] = [n for n in await notifications_of(db, learner.id) if n.type_code == TYPE]
        assert note.title == "Rust & Friends: Live session"
        assert note.body == "Thursday at <b>18:00</b>"  # stored as text; escaped when shown in HTML
    mail = read_emails(settings, learners[0].email)[-1]
    assert mail["Subject"] == "Rust & Friends: Live session"
    html = mail.get_body(preferencelist=("html",))
    assert html is not None
    assert "&lt;b&gt;18:00&lt;/b&gt;" in str(html.get_content())

    later = (frozen_clock.now() + timedelta(days=7)).isoformat()
    scheduled = await client.post(
        url, json={**body, "title": "Next week", "sendAt": later}, headers=cast.owner.headers
    )
    assert scheduled.status_code == 201, scheduled.text
    assert scheduled.json()["status"] == "scheduled"
    announcement_id = scheduled.json()["id"]
    other_cancel = await client.post(
        f"/api/v1/notifications/announcements/{announcement_id}/cancel", headers=cast.other.headers
    )
    assert other_cancel.status_code == 404
    cancelled = await client.post(
        f"/api/v1/notifications/announcements/{announcement_id}/cancel", headers=cast.owner.headers
    )
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(
        f"/api/v1/notifications/announcements/{announcement_id}/cancel", headers=cast.owner.headers
    )
    assert again.status_code == 409
    frozen_clock.advance(days=8)
    await relay.drain()
    titles = [n.title for n in await notifications_of(db, learners[0].id) if n.type_code == TYPE]
    assert titles == ["Rust & Friends: Live session"]
