"""The notifications demo data: notifications in every demo user's inbox and one scheduled
announcement; seeding twice changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from campus.config import Settings
from campus.kernel.db import Database
from campus.notifications.models import Announcement, Notification
from campus.seed import seed_demo


async def test_the_demo_fills_the_inboxes_and_schedules_an_announcement(
    settings: Settings, db: Database
) -> None:
    await seed_demo(settings)
    await seed_demo(settings)  # idempotent
    async with db.read_session() as session:
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
