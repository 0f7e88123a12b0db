"""Assessment job handlers: automatic submission of attempts whose time is over."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events
from campus.assessment.service import attempts
from campus.config import Settings
from campus.kernel.outbox import Delivery, HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    grace = settings.assessment_answer_grace_seconds

    async def auto_submit(session: AsyncSession, delivery: Delivery) -> None:
        # Idempotent: an attempt already submitted (by the learner or a read) is left alone.
        await attempts.auto_submit(session, uuid.UUID(str(delivery.payload["attemptId"])), grace)

    registry.job(events.AUTO_SUBMIT_JOB, auto_submit)
