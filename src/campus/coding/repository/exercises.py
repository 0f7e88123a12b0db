"""Every query about coding exercises, their test cases and hint reveals. State changes that
must hold under concurrency are single conditional statements (hint reveals, regrade requests)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.coding.data import ExerciseStatus
from campus.coding.models import CodeExercise, CodeHintReveal, CodeTestCase
from campus.coding.repository.tables import table_of
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.pagination import PageParams


async def get_exercise(session: AsyncSession, exercise_id: uuid.UUID) -> CodeExercise | None:
    """Fresh from the database (conditional updates bypass the identity map)."""
    found = await session.scalars(
        sa.select(CodeExercise)
        .where(CodeExercise.id == exercise_id)
        .execution_options(populate_existing=True)
    )
    return found.one_or_none()


async def list_exercises(
    session: AsyncSession, course_id: uuid.UUID, *, published_only: bool, page: PageParams
) -> tuple[list[CodeExercise], int]:
    where = [CodeExercise.course_id == course_id]
    if published_only:
        where.append(CodeExercise.status == ExerciseStatus.PUBLISHED.value)
    total = await session.scalar(sa.select(sa.func.count()).select_from(CodeExercise).where(*where))
    rows = await session.scalars(
        sa.select(CodeExercise)
        .where(*where)
        .order_by(CodeExercise.created_at, CodeExercise.id)
        .offset(page.offset)
        .limit(page.limit)
    )
    return list(rows), int(total or 0)


async def test_counts(
    session: AsyncSession, exercise_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[int, int]]:
    """``{exercise id: (all tests, hidden tests)}`` in one query."""
    if not exercise_ids:
        return {}
    hidden = sa.func.sum(sa.case((CodeTestCase.hidden.is_(True), 1), else_=0))
    rows = await session.execute(
        sa.select(CodeTestCase.exercise_id, sa.func.count(), hidden)
        .where(CodeTestCase.exercise_id.in_(exercise_ids))
        .group_by(CodeTestCase.exercise_id)
    )
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in rows}


async def tests_of(session: AsyncSession, exercise_id: uuid.UUID) -> list[CodeTestCase]:
    rows = await session.scalars(
        sa.select(CodeTestCase)
        .where(CodeTestCase.exercise_id == exercise_id)
        .order_by(CodeTestCase.position)
    )
    return list(rows)


async def update_exercise_if_unchanged(
    session: AsyncSession, exercise_id: uuid.UUID, seen_version: int, values: dict[str, Any]
) -> bool:
    """Apply ``values`` only if nobody changed the grading inputs since ``seen_version``."""
    table = table_of(CodeExercise)
    result = await session.execute(
        sa.update(table)
        .where(table.c.id == exercise_id, table.c.tests_version == seen_version)
        .values(**values)
    )
    return rowcount(result) == 1


async def replace_tests(
    session: AsyncSession, exercise_id: uuid.UUID, rows: Iterable[dict[str, Any]]
) -> None:
    await session.execute(sa.delete(CodeTestCase).where(CodeTestCase.exercise_id == exercise_id))
    values = [dict(row, exercise_id=exercise_id) for row in rows]
    if values:
        await session.execute(sa.insert(table_of(CodeTestCase)), values)


async def request_regrade(session: AsyncSession, exercise_id: uuid.UUID) -> int | None:
    """Record a regrade request for the current tests version; ``None`` if one was already
    requested for it (the request is idempotent)."""
    table = table_of(CodeExercise)
    result = await session.execute(
        sa.update(table)
        .where(
            table.c.id == exercise_id,
            sa.or_(
                table.c.regrade_version.is_(None),
                table.c.regrade_version < table.c.tests_version,
            ),
        )
        .values(regrade_version=table.c.tests_version)
        .returning(table.c.tests_version)
    )
    version = result.scalar_one_or_none()
    return None if version is None else int(version)


# --------------------------------------------------------------------------- hints


async def revealed_hints(session: AsyncSession, exercise_id: uuid.UUID, user_id: uuid.UUID) -> int:
    found = await session.scalar(
        sa.select(CodeHintReveal.revealed).where(
            CodeHintReveal.exercise_id == exercise_id, CodeHintReveal.user_id == user_id
        )
    )
    return int(found or 0)


async def reveal_next_hint(
    session: AsyncSession, exercise_id: uuid.UUID, user_id: uuid.UUID, total: int, now: datetime
) -> int | None:
    """Reveal one more hint atomically (an upsert bounded by ``total``); the new count, or
    ``None`` when every hint was already revealed."""
    table = table_of(CodeHintReveal)
    statement = dialect_insert(session, table).values(
        exercise_id=exercise_id, user_id=user_id, revealed=1, updated_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.exercise_id, table.c.user_id],
        set_={"revealed": table.c.revealed + 1, "updated_at": now},
        where=table.c.revealed < total,
    ).returning(table.c.revealed)
    if total < 1:
        return None
    found = (await session.execute(statement)).scalar_one_or_none()
    return None if found is None else int(found)


async def exercises_of_course(session: AsyncSession, course_id: uuid.UUID) -> list[CodeExercise]:
    rows = await session.scalars(
        sa.select(CodeExercise)
        .where(CodeExercise.course_id == course_id)
        .order_by(CodeExercise.created_at, CodeExercise.id)
    )
    return list(rows)
