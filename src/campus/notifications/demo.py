"""Notifications' demo data: a few notifications in each demo user's inbox and one scheduled
announcement (the shipped templates cover every type in English and French)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.module import SeedState
from campus.notifications.service import pipeline


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    for email, user_id in state.user_ids.items():
        for code, payload in (
            ("account.welcome", {}),
            ("learning.enrolled", {"course_title": "Python for Everyone"}),
            (
                "grades.quiz_graded",
                {"course_title": "Python for Everyone", "score": "92.00", "passed": True},
            ),
        ):
            await pipeline.notify(
                session, settings, pipeline.Intent(user_id, code, f"demo:{code}:{email}", payload)
            )
