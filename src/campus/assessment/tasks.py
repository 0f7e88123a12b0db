"""Assessment job handlers: automatic submission of quiz attempts and exams whose time is over,
regrading attempts after a question was corrected, sweeping orphaned uploads, and the
gradebook's copy of coding grades (``CodeSubmissionGraded``)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events
from campus.assessment.service import attempts, gradebook, regrade, submissions, sweep
from campus.assessment.settings import AssessmentSettings
from campus.coding.events import CodeSubmissionGraded
from campus.config import Settings
from campus.kernel.ids import parse_id
from campus.kernel.outbox import Delivery, HandlerRegistry
from campus.kernel.storage import local_storage

#: Orphaned uploads are deleted 24 h after they were written; looking four times a day is plenty.
SWEEP_EVERY = timedelta(hours=6)


def register(registry: HandlerRegistry, settings: Settings) -> None:
    grace = AssessmentSettings.of(settings).answer_grace_seconds
    files = local_storage(settings)

    async def auto_submit(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: an attempt already submitted (by the learner or a read) is left alone.
        await attempts.auto_submit(session, uuid.UUID(str(delivery.payload["attemptId"])), grace)

    async def auto_submit_exam(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: an exam already handed in (by the learner or a read) is left alone.
        submission_id = parse_id(str(delivery.payload.get("submissionId")))
        if submission_id is not None:
            await submissions.auto_submit_exam(session, submission_id, grace)

    async def regrade_question(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: attempts whose grading already matches the current keys are left alone.
        question_id = parse_id(str(delivery.payload.get("questionId")))
        after = delivery.payload.get("after")
        if question_id is not None:
            await regrade.regrade_chunk(
                session, question_id, parse_id(after) if isinstance(after, str) else None
            )

    async def sweep_orphan_uploads(session: AsyncSession, delivery: Delivery) -> None:
        await sweep.sweep_orphan_uploads(session, files)

    async def code_graded(session: AsyncSession, event: CodeSubmissionGraded) -> None:
        # Idempotent: an upsert by submission id, newer verdicts win.
        await gradebook.record_code_grade(session, event)

    registry.on(CodeSubmissionGraded, "assessment.gradebook_code_scores", code_graded)
    registry.job(events.AUTO_SUBMIT_JOB, auto_submit)
    registry.job(events.AUTO_SUBMIT_EXAM_JOB, auto_submit_exam)
    registry.job(events.REGRADE_JOB, regrade_question)
    registry.periodic(events.SWEEP_UPLOADS_JOB, SWEEP_EVERY, sweep_orphan_uploads)
