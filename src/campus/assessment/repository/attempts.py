"""Queries of quiz attempts, their answers and the per-learner attempt counters."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.models import Attempt, AttemptAnswer, AttemptCounter
from campus.kernel.db import dialect_insert


async def bump_counter(session: AsyncSession, user_id: uuid.UUID, subject_id: uuid.UUID) -> int:
    """Count one more start and return the new count. The upsert takes the counter row's lock
    until the transaction ends, so starts of one learner on one subject run one at a time; a
    failed start rolls the increment back with everything else."""
    table = AttemptCounter.__table__
    statement = dialect_insert(session, table).values(
        user_id=user_id, subject_id=subject_id, started=1
    )
    statement = statement.on_conflict_do_update(
        index_elements=["user_id", "subject_id"],
        set_={"started": table.c.started + 1},
    ).returning(table.c.started)
    return int((await session.execute(statement)).scalar_one())


async def started_counts(
    session: AsyncSession, user_id: uuid.UUID, subject_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not subject_ids:
        return {}
    rows = await session.execute(
        sa.select(AttemptCounter.subject_id, AttemptCounter.started).where(
            AttemptCounter.user_id == user_id,
            AttemptCounter.subject_id.in_(list(subject_ids)),
        )
    )
    return {sid: int(n) for sid, n in rows}


async def get_attempt(
    session: AsyncSession, attempt_id: uuid.UUID, *, lock: bool = False
) -> Attempt | None:
    query = sa.select(Attempt).where(Attempt.id == attempt_id)
    if lock:  # re-read the row under the lock, even if this session loaded it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def open_attempt(
    session: AsyncSession, user_id: uuid.UUID, quiz_id: uuid.UUID, *, lock: bool = False
) -> Attempt | None:
    query = sa.select(Attempt).where(
        Attempt.user_id == user_id, Attempt.quiz_id == quiz_id, Attempt.status == "in_progress"
    )
    if lock:  # re-read the row under the lock, even if this session loaded it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def insert_attempt(session: AsyncSession, attempt: Attempt) -> None:
    """Insert a new (transient, never added) attempt with one Core statement: cheaper than a
    unit-of-work flush on the hot start path. Every column is given explicitly."""
    columns = Attempt.__table__.columns
    await session.execute(
        sa.insert(Attempt).values({c.key: getattr(attempt, c.key) for c in columns})
    )


async def answers_of(session: AsyncSession, attempt_id: uuid.UUID) -> list[AttemptAnswer]:
    rows = await session.execute(
        sa.select(AttemptAnswer).where(AttemptAnswer.attempt_id == attempt_id)
    )
    return list(rows.scalars())


async def upsert_answer(
    session: AsyncSession,
    attempt_id: uuid.UUID,
    question_id: uuid.UUID,
    response: dict[str, Any],
    saved_at: datetime,
) -> None:
    table = AttemptAnswer.__table__
    statement = dialect_insert(session, table).values(
        attempt_id=attempt_id, question_id=question_id, response=response, saved_at=saved_at
    )
    statement = statement.on_conflict_do_update(
        index_elements=["attempt_id", "question_id"],
        set_={"response": statement.excluded.response, "saved_at": statement.excluded.saved_at},
    )
    await session.execute(statement)


async def attempts_of(
    session: AsyncSession,
    quiz_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[Attempt], int]:
    where: list[Any] = [Attempt.quiz_id == quiz_id]
    if user_id is not None:
        where.append(Attempt.user_id == user_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Attempt).where(*where))
    rows = await session.execute(
        sa.select(Attempt)
        .where(*where)
        .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), int(total or 0)


async def submitted_scores(
    session: AsyncSession, quiz_ids: Collection[uuid.UUID], user_ids: Collection[uuid.UUID] | None
) -> list[Any]:
    """(quiz_id, user_id, attempt_number, score_percent, passed) of submitted attempts."""
    if not quiz_ids:
        return []
    query = sa.select(
        Attempt.quiz_id,
        Attempt.user_id,
        Attempt.attempt_number,
        Attempt.score_percent,
        Attempt.passed,
    ).where(Attempt.quiz_id.in_(list(quiz_ids)), Attempt.status == "submitted")
    if user_ids is not None:
        query = query.where(Attempt.user_id.in_(list(user_ids)))
    return list(await session.execute(query))


async def submitted_attempts_with_answers(
    session: AsyncSession, quiz_id: uuid.UUID
) -> tuple[list[Any], list[Any]]:
    """Every submitted attempt's score and every answer of them (two queries)."""
    attempts = list(
        await session.execute(
            sa.select(Attempt.id, Attempt.score_percent, Attempt.passed).where(
                Attempt.quiz_id == quiz_id, Attempt.status == "submitted"
            )
        )
    )
    answers = list(
        await session.execute(
            sa.select(
                AttemptAnswer.attempt_id,
                AttemptAnswer.question_id,
                AttemptAnswer.response,
                AttemptAnswer.fraction,
            )
            .join(Attempt, Attempt.id == AttemptAnswer.attempt_id)
            .where(Attempt.quiz_id == quiz_id, Attempt.status == "submitted")
        )
    )
    return attempts, answers


async def submitted_holding(
    session: AsyncSession,
    course_id: uuid.UUID,
    question_id: uuid.UUID,
    *,
    after: uuid.UUID | None,
    limit: int,
) -> list[Attempt]:
    """The next ``limit`` submitted attempts (by id, after ``after``) whose drawn questions
    include ``question_id``, locked. Attempts keep their question ids as a JSON list; the
    course's index bounds the scan (a background job runs this, never a request)."""
    query = sa.select(Attempt).where(
        Attempt.course_id == course_id,
        Attempt.status == "submitted",
        sa.cast(Attempt.question_ids, sa.Text).contains(str(question_id), autoescape=True),
    )
    if after is not None:
        query = query.where(Attempt.id > after)
    query = (
        query.order_by(Attempt.id)
        .limit(limit)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return list((await session.execute(query)).scalars())


async def answers_of_attempts(
    session: AsyncSession, attempt_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[AttemptAnswer]]:
    out: dict[uuid.UUID, list[AttemptAnswer]] = {a: [] for a in attempt_ids}
    if not attempt_ids:
        return out
    rows = await session.execute(
        sa.select(AttemptAnswer)
        .where(AttemptAnswer.attempt_id.in_(list(attempt_ids)))
        .execution_options(populate_existing=True)
    )
    for answer in rows.scalars():
        out.setdefault(answer.attempt_id, []).append(answer)
    return out
