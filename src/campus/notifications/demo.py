"""Notifications' demo data: a few notifications in each demo user's inbox and one scheduled
announcement in the Python course (the shipped templates cover every type in English and
French). Idempotent: the dedupe keys and the announcement's fixed id make a second run a
no-op."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog_api
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.module import SeedState
from campus.kernel.outbox import enqueue_job
from campus.notifications.events import ANNOUNCEMENT_JOB
from campus.notifications.models import Announcement
from campus.notifications.service import pipeline

DEMO_COURSE = "python-programming"
ANNOUNCEMENT_ID = uuid.uuid5(uuid.NAMESPACE_URL, "campus:demo:announcement:python")


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    for email, user_id in state.user_ids.items():
        for code, payload in (
            ("account.welcome", {}),
            ("learning.enrolled", {"course_title": "Python Programming"}),
            (
                "grades.quiz_graded",
                {"course_title": "Python Programming", "score": "92.00", "passed": True},
            ),
        ):
            await pipeline.notify(
                session, settings, pipeline.Intent(user_id, code, f"demo:{code}:{email}", payload)
            )
    course_id = (await catalog_api.find_course_ids_by_slugs(session, [DEMO_COURSE])).get(
        DEMO_COURSE
    )
    if course_id is None:
        return
    summary = await catalog_api.get_course_summary(session, course_id)
    if summary is None:
        return
    send_at = utcnow() + timedelta(days=1)
    created = await session.execute(
        dialect_insert(session, Announcement)
        .values(
            id=ANNOUNCEMENT_ID,
            author_id=summary.primary_instructor_id,
            course_id=course_id,
            title="Live Q&A on Thursday",
            message="Bring your questions about functions and modules: 18:00 UTC.",
            send_at=send_at,
            status="scheduled",
            recipients=0,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    if rowcount(created):
        await enqueue_job(
            session,
            ANNOUNCEMENT_JOB,
            {"announcementId": str(ANNOUNCEMENT_ID), "after": None},
            run_at=send_at,
        )
