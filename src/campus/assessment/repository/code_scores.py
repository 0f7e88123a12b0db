"""The gradebook's projection of coding grades (``CodeScore``): every query on it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.models import CodeScore
from campus.kernel.db import dialect_insert


async def record(session: AsyncSession, values: dict[str, Any], *, title_known: bool) -> None:
    """Insert or update one submission's score (a regrade updates it). Idempotent, and a late
    redelivery of an older verdict never overwrites a newer one (``graded_at`` decides). The
    exercise's title (when the event carried it: version 2) is kept current on all its rows."""
    table = CodeScore.__table__
    statement = dialect_insert(session, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.submission_id],
        set_={
            "score_percent": statement.excluded.score_percent,
            "graded_at": statement.excluded.graded_at,
            "exercise_title": statement.excluded.exercise_title,
        },
        where=table.c.graded_at <= statement.excluded.graded_at,
    )
    await session.execute(statement)
    if not title_known:
        return
    await session.execute(
        sa.update(CodeScore)
        .where(
            CodeScore.exercise_id == values["exercise_id"],
            CodeScore.exercise_title != values["exercise_title"],
        )
        .values(exercise_title=values["exercise_title"])
        .execution_options(synchronize_session=False)
    )


async def best_scores(
    session: AsyncSession, course_id: uuid.UUID, user_ids: Sequence[uuid.UUID]
) -> tuple[dict[uuid.UUID, str], dict[tuple[uuid.UUID, uuid.UUID], Decimal]]:
    """(every graded exercise of the course → its title, (user, exercise) → best percent of
    ``user_ids``), in ONE query whatever the number of learners: rows of learners outside
    ``user_ids`` fold into one row per exercise (user ``NULL``), which still names the
    exercise."""
    who = sa.case((CodeScore.user_id.in_(list(user_ids)), CodeScore.user_id), else_=sa.null())
    result = await session.execute(
        sa.select(
            CodeScore.exercise_id,
            who.label("uid"),
            sa.func.max(CodeScore.exercise_title),
            sa.func.max(CodeScore.score_percent),
            sa.func.min(CodeScore.graded_at),
        )
        .where(CodeScore.course_id == course_id)
        .group_by(CodeScore.exercise_id, who)
    )
    titles: dict[uuid.UUID, tuple[datetime, str]] = {}
    best: dict[tuple[uuid.UUID, uuid.UUID], Decimal] = {}
    for exercise_id, uid, title, score, first in result.all():
        known = titles.get(exercise_id)
        if known is None or first < known[0]:
            titles[exercise_id] = (first, title)
        if uid is not None and score is not None:
            best[(uid, exercise_id)] = Decimal(score)
    ordered = sorted(titles.items(), key=lambda kv: (kv[1][0], str(kv[0])))
    return {eid: title for eid, (_, title) in ordered}, best
