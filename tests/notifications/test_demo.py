"""The notifications demo data: notifications in every demo user's inbox and one scheduled
announcement; seeding twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from campus.notifications.models import Announcement, Notification
from tests.fixtures.demo import DemoWorld


async def test_the_demo_fills_the_inboxes_and_schedules_an_announcement(demo: DemoWorld) -> None:
    async with demo.db.read_session() as session:
        per_user = list(
            await session.execute(
                sa.select(Notification.user_id, sa.func.count())
                .where(Notification.dedupe_key.like("demo:%"))
                .group_by(Notification.user_id)
            )
        )
        announcements = list(
            await session.execute(sa.select(Announcement.title, Announcement.status))
        )
    assert len(per_user) >= 8
    assert all(count == 3 for _, count in per_user)
    assert [tuple(a) for a in announcements] == [("Live Q&A on Thursday", "scheduled")]
