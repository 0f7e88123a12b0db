"""Every query about code submissions, their per-test results and analyses. State changes that
must hold under concurrency are single conditional statements (claims, verdicts)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding.data import CodeSubmissionStatus
from campus.coding.models import CodeAnalysis, CodeSubmission, CodeTestResult
from campus.coding.repository.tables import table_of
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.pagination import PageParams

FINAL = [
    CodeSubmissionStatus.PASSED.value,
    CodeSubmissionStatus.FAILED.value,
    CodeSubmissionStatus.ERROR.value,
]


async def get_submission(session: AsyncSession, submission_id: uuid.UUID) -> CodeSubmission | None:
    """Fresh from the database (conditional updates bypass the identity map)."""
    found = await session.scalars(
        sa.select(CodeSubmission)
        .where(CodeSubmission.id == submission_id)
        .execution_options(populate_existing=True)
    )
    return found.one_or_none()


async def list_submissions(
    session: AsyncSession,
    exercise_id: uuid.UUID,
    page: PageParams,
    *,
    user_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[CodeSubmission], int]:
    where = [CodeSubmission.exercise_id == exercise_id]
    if user_id is not None:
        where.append(CodeSubmission.user_id == user_id)
    if status is not None:
        where.append(CodeSubmission.status == status)
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(CodeSubmission).where(*where)
    )
    rows = await session.scalars(
        sa.select(CodeSubmission)
        .where(*where)
        .order_by(CodeSubmission.submitted_at.desc(), CodeSubmission.id.desc())
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)


async def results_of(session: AsyncSession, submission_id: uuid.UUID) -> list[CodeTestResult]:
    rows = await session.scalars(
        sa.select(CodeTestResult)
        .where(CodeTestResult.submission_id == submission_id)
        .order_by(CodeTestResult.position)
    )
    return list(rows)


async def analysis_of(session: AsyncSession, submission_id: uuid.UUID) -> CodeAnalysis | None:
    found = await session.scalars(
        sa.select(CodeAnalysis)
        .where(CodeAnalysis.submission_id == submission_id)
        .execution_options(populate_existing=True)
    )
    return found.one_or_none()


async def claim_submission(
    session: AsyncSession,
    submission_id: uuid.UUID,
    *,
    token: uuid.UUID,
    message_id: uuid.UUID,
    now: datetime,
    deadline: datetime,
) -> bool:
    """PENDING -> RUNNING, or take over a RUNNING claim that is ours (a redelivery of the same
    outbox message: its previous delivery is over) or whose deadline has passed."""
    table = table_of(CodeSubmission)
    running = CodeSubmissionStatus.RUNNING.value
    result = await session.execute(
        sa.update(table)
        .where(
            table.c.id == submission_id,
            sa.or_(
                table.c.status == CodeSubmissionStatus.PENDING.value,
                sa.and_(
                    table.c.status == running,
                    sa.or_(
                        table.c.grading_message_id == message_id,
                        table.c.grading_deadline < now,
                    ),
                ),
            ),
        )
        .values(
            status=running,
            grading_token=token,
            grading_message_id=message_id,
            grading_deadline=deadline,
            grading_attempts=table.c.grading_attempts + 1,
            started_at=now,
        )
    )
    return rowcount(result) == 1


async def finish_submission(
    session: AsyncSession, submission_id: uuid.UUID, token: uuid.UUID, values: dict[str, Any]
) -> bool:
    """RUNNING -> final, only for the holder of the current claim."""
    table = table_of(CodeSubmission)
    result = await session.execute(
        sa.update(table)
        .where(
            table.c.id == submission_id,
            table.c.status == CodeSubmissionStatus.RUNNING.value,
            table.c.grading_token == token,
        )
        .values(**values)
    )
    return rowcount(result) == 1


async def replace_results(
    session: AsyncSession, submission_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await session.execute(
        sa.delete(CodeTestResult).where(CodeTestResult.submission_id == submission_id)
    )
    if rows:
        await session.execute(
            sa.insert(table_of(CodeTestResult)),
            [dict(row, submission_id=submission_id) for row in rows],
        )


#: The label of machine-made analyses: metrics and lint (ruff, etc.) computed in the sandbox.
#: No model writes them, so they are not "AI" (the label they had before migration 0011).
AUTOMATED = "AUTOMATED"


async def save_automated_analysis(
    session: AsyncSession, submission_id: uuid.UUID, values: dict[str, Any], now: datetime
) -> None:
    """Insert or refresh the machine-made part; instructor feedback is kept (``HYBRID``)."""
    table = table_of(CodeAnalysis)
    statement = dialect_insert(session, table).values(
        submission_id=submission_id,
        analysis_type=AUTOMATED,
        created_at=now,
        updated_at=now,
        strengths=[],
        weaknesses=[],
        suggestions=[],
        **values,
    )
    has_feedback = sa.or_(table.c.analyzed_by.is_not(None), table.c.feedback.is_not(None))
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.submission_id],
        set_={
            **values,
            "updated_at": now,
            "analysis_type": sa.case((has_feedback, "HYBRID"), else_=AUTOMATED),
        },
    )
    await session.execute(statement)


async def save_feedback(
    session: AsyncSession, submission_id: uuid.UUID, values: dict[str, Any], now: datetime
) -> None:
    """Insert or update the instructor's part: ``MANUAL`` alone, ``HYBRID`` with metrics."""
    table = table_of(CodeAnalysis)
    statement = dialect_insert(session, table).values(
        submission_id=submission_id,
        analysis_type="MANUAL",
        created_at=now,
        updated_at=now,
        functions=[],
        lint_findings=[],
        **values,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.submission_id],
        set_={
            **values,
            "updated_at": now,
            "analysis_type": sa.case(
                (table.c.automated_status.is_not(None), "HYBRID"), else_="MANUAL"
            ),
        },
    )
    await session.execute(statement)


async def mark_for_regrade(
    session: AsyncSession, exercise_id: uuid.UUID, version: int
) -> list[uuid.UUID]:
    """Final submissions graded against an older tests version go back to PENDING (one
    statement, so a second regrade request finds nothing left to do)."""
    table = table_of(CodeSubmission)
    result = await session.execute(
        sa.update(table)
        .where(
            table.c.exercise_id == exercise_id,
            table.c.status.in_(FINAL),
            sa.or_(table.c.tests_version.is_(None), table.c.tests_version < version),
        )
        .values(
            status=CodeSubmissionStatus.PENDING.value,
            grading_token=None,
            grading_message_id=None,
            grading_deadline=None,
            grading_attempts=0,
            regrades=table.c.regrades + 1,
        )
        .returning(table.c.id)
    )
    return [row[0] for row in result]


async def requeue_submission(
    session: AsyncSession, submission_id: uuid.UUID, token: uuid.UUID
) -> bool:
    """RUNNING -> PENDING for the claim holder (the tests changed while it was graded)."""
    return await finish_submission(
        session,
        submission_id,
        token,
        {
            "status": CodeSubmissionStatus.PENDING.value,
            "grading_token": None,  # a column, not a secret  # nosec B105
            "grading_message_id": None,
            "grading_deadline": None,
            "grading_attempts": 0,
        },
    )


async def best_results(
    session: AsyncSession, exercise_ids: Sequence[uuid.UUID], user_id: uuid.UUID
) -> list[tuple[uuid.UUID, int, Any, bool]]:
    """Per exercise: submissions, best score, whether one passed (one query)."""
    if not exercise_ids:
        return []
    passed = sa.func.max(
        sa.case((CodeSubmission.status == CodeSubmissionStatus.PASSED.value, 1), else_=0)
    )
    rows = await session.execute(
        sa.select(
            CodeSubmission.exercise_id,
            sa.func.count(),
            sa.func.max(CodeSubmission.score),
            passed,
        )
        .where(CodeSubmission.exercise_id.in_(exercise_ids), CodeSubmission.user_id == user_id)
        .group_by(CodeSubmission.exercise_id)
    )
    return [(row[0], int(row[1]), row[2], bool(row[3])) for row in rows]
