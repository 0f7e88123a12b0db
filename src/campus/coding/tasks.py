"""Job handlers of coding exercises (wired by ``campus.main`` through ``register``), and the
start-up of the code runner.

Jobs: ``assessment.coding.grade_submission`` {submissionId} (see ``service/grading.py``),
``assessment.coding.regrade_exercise`` {exerciseId, testsVersion}. Job names are stable.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding.events import GRADE_JOB, REGRADE_JOB
from campus.coding.runners.engine import GradingEngine, engine_for
from campus.coding.service import grading
from campus.config import Settings
from campus.kernel.outbox import Delivery, HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    lease = float(settings.outbox_lease_seconds)

    async def grade(session: AsyncSession, delivery: Delivery) -> None:
        engine = engine_for(settings)
        await grading.grade_submission(session, delivery, engine, lease_seconds=lease)

    async def regrade(session: AsyncSession, delivery: Delivery) -> None:
        await grading.regrade_exercise(session, delivery)

    registry.job(GRADE_JOB, grade)
    registry.job(REGRADE_JOB, regrade)


async def start_engine(settings: Settings) -> GradingEngine:
    """Build (once per process) and probe the code runner; logs the active sandbox layers."""
    engine = engine_for(settings)
    await engine.start()
    return engine
