"""Learning's job and event handlers (wired by ``campus.main`` through ``register``).

Jobs: ``learning.bulk_enroll`` {batchId}, ``learning.roster_export`` {exportId},
``learning.expire_enrollments`` {} (scheduled at each expiry date).
Subscribers: the course enrollment count follows ``learning.enrolled``/``learning.unenrolled``
(recomputed, so replays are harmless); quiz, assignment and coding lessons complete on the
assessment and coding contexts' events. Handler names are stable (the outbox dedupes by
them): never rename one.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.events import AssignmentGraded, QuizPassed
from campus.coding.events import CodeSubmissionPassed
from campus.config import Settings
from campus.kernel.ids import parse_id
from campus.kernel.outbox import Delivery, HandlerRegistry
from campus.learning import events
from campus.learning.data import CompletionSource
from campus.learning.service import bulk, curricula, enrollments, maintenance, progress, roster
from campus.learning.settings import LearningSettings


def _id(payload: dict[str, Any], key: str) -> uuid.UUID | None:
    value = payload.get(key)
    return parse_id(value) if isinstance(value, str) else None


def register(registry: HandlerRegistry, settings: Settings) -> None:
    curricula.configure_cache(LearningSettings.of(settings).curriculum_cache_size)
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

    async def recount(session: AsyncSession, event: events.Enrolled | events.Unenrolled) -> None:
        await maintenance.recount_course(session, event.course_id)

    async def quiz_passed(session: AsyncSession, event: QuizPassed) -> None:
        await progress.assessment_passed(
            session,
            user_id=event.user_id,
            course_id=event.course_id,
            completed_by=CompletionSource.QUIZ,
            lesson_id=event.lesson_id,
            quiz_id=event.quiz_id,
        )

    async def assignment_graded(session: AsyncSession, event: AssignmentGraded) -> None:
        if event.passed:
            await progress.assessment_passed(
                session,
                user_id=event.user_id,
                course_id=event.course_id,
                completed_by=CompletionSource.ASSIGNMENT,
                lesson_id=event.lesson_id,
                assignment_id=event.assignment_id,
            )

    async def code_passed(session: AsyncSession, event: CodeSubmissionPassed) -> None:
        await progress.assessment_passed(
            session,
            user_id=event.user_id,
            course_id=event.course_id,
            completed_by=CompletionSource.CODE,
            lesson_id=event.lesson_id,
        )

    registry.job(bulk.BULK_JOB, bulk_enroll)
    registry.job(roster.EXPORT_JOB, roster_export)
    registry.job(enrollments.EXPIRE_JOB, expire)
    registry.on(events.Enrolled, "learning.course_enrollment_count", recount)
    registry.on(events.Unenrolled, "learning.course_enrollment_count", recount)
    registry.on(QuizPassed, "learning.lesson_progress", quiz_passed)
    registry.on(AssignmentGraded, "learning.lesson_progress", assignment_graded)
    registry.on(CodeSubmissionPassed, "learning.lesson_progress", code_passed)
