"""Learning's job and event handlers (wired by ``campus.main`` through ``register``).

Jobs: ``learning.bulk_enroll`` {batchId}, ``learning.roster_export`` {exportId},
``learning.expire_enrollments`` {} (scheduled at each expiry date).
Subscribers: the course enrollment count follows ``learning.enrolled``/``learning.unenrolled``
(recomputed, so replays are harmless); quiz and assignment lessons complete on the assessment
context's events. Handler names are stable (the outbox dedupes by them): never rename one.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.ids import parse_id
from campus.kernel.logging import get_logger
from campus.kernel.outbox import Delivery, HandlerRegistry
from campus.learning import curriculum, events
from campus.learning.data import CompletionSource
from campus.learning.service import bulk, enrollments, maintenance, progress, roster
from campus.learning.settings import LearningSettings

log = get_logger("campus.learning.tasks")


def _id(payload: dict[str, Any], key: str) -> uuid.UUID | None:
    value = payload.get(key)
    return parse_id(value) if isinstance(value, str) else None


def register(registry: HandlerRegistry, settings: Settings) -> None:
    curriculum.configure_cache(LearningSettings.of(settings).curriculum_cache_size)
    data_dir = settings.data_dir
    chunk = LearningSettings.of(settings).export_chunk_rows

    async def bulk_enroll(session: AsyncSession, delivery: Delivery) -> None:
        batch_id = _id(delivery.payload, "batchId")
        if batch_id is not None:
            await bulk.run_batch(session, batch_id)

    async def roster_export(session: AsyncSession, delivery: Delivery) -> None:
        export_id = _id(delivery.payload, "exportId")
        if export_id is not None:
            await roster.run_export(session, export_id, data_dir, chunk)

    async def expire(session: AsyncSession, delivery: Delivery) -> None:
        await maintenance.expire_due(session)

    async def recount(session: AsyncSession, delivery: Delivery) -> None:
        course_id = _id(delivery.payload, "courseId")
        if course_id is not None:
            await maintenance.recount_course(session, course_id)

    async def assessment(session: AsyncSession, delivery: Delivery) -> None:
        payload = delivery.payload
        user_id, course_id = _id(payload, "userId"), _id(payload, "courseId")
        if user_id is None or course_id is None:
            log.warning("assessment_event_without_ids", message_name=delivery.name)
            return
        if delivery.name == events.QUIZ_PASSED:
            by = CompletionSource.QUIZ
        elif delivery.name == events.ASSIGNMENT_GRADED:
            if payload.get("passed") is not True:
                return
            by = CompletionSource.ASSIGNMENT
        else:
            by = CompletionSource.CODE
        await progress.assessment_passed(
            session,
            user_id=user_id,
            course_id=course_id,
            completed_by=by,
            lesson_id=_id(payload, "lessonId"),
            quiz_id=_id(payload, "quizId"),
            assignment_id=_id(payload, "assignmentId"),
        )

    registry.job(bulk.BULK_JOB, bulk_enroll)
    registry.job(roster.EXPORT_JOB, roster_export)
    registry.job(enrollments.EXPIRE_JOB, expire)
    registry.subscribe(events.ENROLLED, "learning.course_enrollment_count", recount)
    registry.subscribe(events.UNENROLLED, "learning.course_enrollment_count", recount)
    registry.subscribe(events.QUIZ_PASSED, "learning.lesson_progress", assessment)
    registry.subscribe(events.ASSIGNMENT_GRADED, "learning.lesson_progress", assessment)
    registry.subscribe(events.CODE_SUBMISSION_PASSED, "learning.lesson_progress", assessment)
