"""Queries of assignments, exams, submissions, files, grade history, analyses and course
grading settings."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.models import (
    Assignment,
    AssignmentAnalysis,
    CourseGrading,
    GradeHistory,
    StoredFile,
    Submission,
)
from campus.kernel.db import dialect_insert


async def get_assignment(
    session: AsyncSession, assignment_id: uuid.UUID, kind: str | None = None
) -> Assignment | None:
    query = sa.select(Assignment).where(Assignment.id == assignment_id)
    if kind is not None:
        query = query.where(Assignment.kind == kind)
    return (await session.execute(query)).scalar_one_or_none()


def _course_assignments(course_id: uuid.UUID, kind: str | None, published_only: bool) -> list[Any]:
    where: list[Any] = [Assignment.course_id == course_id]
    if kind is not None:
        where.append(Assignment.kind == kind)
    if published_only:
        where.append(Assignment.status == "published")
    return where


async def assignments_of_course(
    session: AsyncSession, course_id: uuid.UUID, *, kind: str | None, published_only: bool
) -> list[Assignment]:
    query = sa.select(Assignment).where(*_course_assignments(course_id, kind, published_only))
    return list((await session.execute(query.order_by(Assignment.id))).scalars())


async def assignment_page(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    kind: str,
    published_only: bool,
    offset: int,
    limit: int,
) -> tuple[list[Assignment], int]:
    """A page of the course's assignments (or exams), oldest first, and how many there are."""
    where = _course_assignments(course_id, kind, published_only)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Assignment).where(*where))
    rows = await session.execute(
        sa.select(Assignment).where(*where).order_by(Assignment.id).offset(offset).limit(limit)
    )
    return list(rows.scalars()), int(total or 0)


async def add(session: AsyncSession, obj: Any) -> None:
    session.add(obj)
    await session.flush()


# --------------------------------------------------------------------------- submissions


async def get_submission(
    session: AsyncSession, submission_id: uuid.UUID, *, lock: bool = False
) -> Submission | None:
    query = sa.select(Submission).where(Submission.id == submission_id)
    if lock:  # re-read the row under the lock, even if this session loaded it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def open_submission(
    session: AsyncSession, assignment_id: uuid.UUID, user_id: uuid.UUID
) -> Submission | None:
    rows = await session.execute(
        sa.select(Submission).where(
            Submission.assignment_id == assignment_id,
            Submission.user_id == user_id,
            Submission.status.in_(["pending", "in_progress"]),
        )
    )
    return rows.scalar_one_or_none()


async def latest_submission(
    session: AsyncSession, assignment_id: uuid.UUID, user_id: uuid.UUID
) -> Submission | None:
    rows = await session.execute(
        sa.select(Submission)
        .where(Submission.assignment_id == assignment_id, Submission.user_id == user_id)
        .order_by(Submission.attempt_number.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def submissions_of(
    session: AsyncSession,
    assignment_id: uuid.UUID,
    *,
    user_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[Submission], int]:
    where: list[Any] = [Submission.assignment_id == assignment_id]
    if user_id is not None:
        where.append(Submission.user_id == user_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Submission).where(*where))
    rows = await session.execute(
        sa.select(Submission)
        .where(*where)
        .order_by(Submission.started_at.desc(), Submission.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), int(total or 0)


async def queue(
    session: AsyncSession,
    *,
    course_ids: Collection[uuid.UUID] | None,
    assignment_id: uuid.UUID | None,
    statuses: Collection[str],
    late: bool | None,
    offset: int,
    limit: int,
) -> tuple[list[Any], int]:
    """Handed-in submissions with their assignment's title and file count, oldest first."""
    where: list[Any] = [Submission.status.in_(list(statuses))]
    if course_ids is not None:
        where.append(Submission.course_id.in_(list(course_ids)))
    if assignment_id is not None:
        where.append(Submission.assignment_id == assignment_id)
    if late is not None:
        where.append(Submission.is_late.is_(late))
    total = await session.scalar(sa.select(sa.func.count()).select_from(Submission).where(*where))
    files = (
        sa.select(sa.func.count())
        .where(StoredFile.owner_id == Submission.id, StoredFile.owner_type == "submission")
        .scalar_subquery()
    )
    rows = await session.execute(
        sa.select(Submission, Assignment.title, files.label("file_count"))
        .join(Assignment, Assignment.id == Submission.assignment_id)
        .where(*where)
        .order_by(Submission.submitted_at, Submission.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def queue_course_ids(session: AsyncSession) -> list[uuid.UUID]:
    rows = await session.execute(sa.select(Assignment.course_id).distinct())
    return list(rows.scalars())


async def graded_scores(
    session: AsyncSession,
    assignment_ids: Collection[uuid.UUID],
    user_ids: Collection[uuid.UUID] | None,
) -> list[Any]:
    """(assignment_id, user_id, attempt_number, score_percent) of graded submissions."""
    if not assignment_ids:
        return []
    query = sa.select(
        Submission.assignment_id,
        Submission.user_id,
        Submission.attempt_number,
        Submission.score_percent,
    ).where(Submission.assignment_id.in_(list(assignment_ids)), Submission.status == "graded")
    if user_ids is not None:
        query = query.where(Submission.user_id.in_(list(user_ids)))
    return list(await session.execute(query))


# --------------------------------------------------------------------------- files


async def files_of(
    session: AsyncSession, owner_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[StoredFile]]:
    out: dict[uuid.UUID, list[StoredFile]] = {o: [] for o in owner_ids}
    if not owner_ids:
        return out
    rows = await session.execute(
        sa.select(StoredFile)
        .where(StoredFile.owner_id.in_(list(owner_ids)))
        .order_by(StoredFile.created_at, StoredFile.id)
    )
    for f in rows.scalars():
        out.setdefault(f.owner_id, []).append(f)
    return out


async def get_file(session: AsyncSession, file_id: uuid.UUID) -> StoredFile | None:
    return await session.get(StoredFile, file_id)


async def count_files(session: AsyncSession, owner_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(StoredFile)
            .where(StoredFile.owner_id == owner_id)
        )
        or 0
    )


# --------------------------------------------------------------------------- grading


async def history_page(
    session: AsyncSession, submission_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[GradeHistory], int]:
    """A page of a submission's grading history (oldest first) and how long it is."""
    where = GradeHistory.submission_id == submission_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(GradeHistory).where(where))
    rows = await session.execute(
        sa.select(GradeHistory)
        .where(where)
        .order_by(GradeHistory.created_at, GradeHistory.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows.scalars()), int(total or 0)


async def get_course_grading(session: AsyncSession, course_id: uuid.UUID) -> CourseGrading | None:
    return await session.get(CourseGrading, course_id)


async def upsert_course_grading(session: AsyncSession, values: dict[str, Any]) -> None:
    table = CourseGrading.__table__
    statement = dialect_insert(session, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["course_id"],
        set_={k: statement.excluded[k] for k in ("bands", "pass_percent", "updated_at")},
    )
    await session.execute(statement)


async def get_analysis(
    session: AsyncSession, submission_id: uuid.UUID
) -> AssignmentAnalysis | None:
    rows = await session.execute(
        sa.select(AssignmentAnalysis)
        .where(AssignmentAnalysis.submission_id == submission_id)
        .execution_options(populate_existing=True)
    )
    return rows.scalar_one_or_none()


async def upsert_analysis(session: AsyncSession, values: dict[str, Any]) -> None:
    table = AssignmentAnalysis.__table__
    statement = dialect_insert(session, table).values(**values)
    keys = [k for k in values if k not in ("id", "submission_id", "created_at")]
    statement = statement.on_conflict_do_update(
        index_elements=["submission_id"], set_={k: statement.excluded[k] for k in keys}
    )
    await session.execute(statement)


# --------------------------------------------------------------------------- orphan sweep


async def file_owners(
    session: AsyncSession, file_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, tuple[str, uuid.UUID]]:
    """(owner type, owner id) of the file rows among ``file_ids``."""
    if not file_ids:
        return {}
    rows = await session.execute(
        sa.select(StoredFile.id, StoredFile.owner_type, StoredFile.owner_id).where(
            StoredFile.id.in_(list(file_ids))
        )
    )
    return {row.id: (row.owner_type, row.owner_id) for row in rows}


async def existing_owner_ids(
    session: AsyncSession,
    submission_ids: Collection[uuid.UUID],
    assignment_ids: Collection[uuid.UUID],
) -> set[uuid.UUID]:
    """The submissions and assignments among the given ids that exist (two queries at most)."""
    found: set[uuid.UUID] = set()
    if submission_ids:
        rows = await session.execute(
            sa.select(Submission.id).where(Submission.id.in_(list(submission_ids)))
        )
        found.update(rows.scalars())
    if assignment_ids:
        rows = await session.execute(
            sa.select(Assignment.id).where(Assignment.id.in_(list(assignment_ids)))
        )
        found.update(rows.scalars())
    return found


async def delete_file_rows(session: AsyncSession, file_ids: Collection[uuid.UUID]) -> None:
    if file_ids:
        await session.execute(
            sa.delete(StoredFile)
            .where(StoredFile.id.in_(list(file_ids)))
            .execution_options(synchronize_session=False)
        )
