"""Queries of the question bank and quizzes."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.models import (
    Question,
    QuestionOption,
    QuestionTranslation,
    Quiz,
    QuizQuestion,
)
from campus.kernel.db import dialect_insert


async def get_question(
    session: AsyncSession, question_id: uuid.UUID, *, lock: bool = False
) -> Question | None:
    query = sa.select(Question).where(Question.id == question_id, Question.archived.is_(False))
    if lock:  # re-read the row under the lock, even if this session loaded it before
        query = query.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(query)).scalar_one_or_none()


async def questions_by_ids(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Question]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(Question).where(Question.id.in_(list(ids))))
    return {q.id: q for q in rows.scalars()}


async def list_questions(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    topic: str | None,
    difficulty: str | None,
    type_: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Question], int]:
    where: list[Any] = [Question.course_id == course_id, Question.archived.is_(False)]
    if difficulty:
        where.append(Question.difficulty == difficulty)
    if type_:
        where.append(Question.type == type_)
    query = sa.select(Question).where(*where).order_by(Question.id)
    if topic is None:
        total = await session.scalar(sa.select(sa.func.count()).select_from(Question).where(*where))
        rows = await session.execute(query.offset(offset).limit(limit))
        return list(rows.scalars()), int(total or 0)
    # Topics are a small JSON list; filter in Python over the course's bank (bounded by course).
    wanted = topic.casefold()
    matching = [
        q
        for q in (await session.execute(query)).scalars()
        if any(t.casefold() == wanted for t in q.topics or [])
    ]
    return matching[offset : offset + limit], len(matching)


async def options_of(
    session: AsyncSession, question_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[QuestionOption]]:
    out: dict[uuid.UUID, list[QuestionOption]] = {q: [] for q in question_ids}
    if not question_ids:
        return out
    rows = await session.execute(
        sa.select(QuestionOption)
        .where(QuestionOption.question_id.in_(list(question_ids)))
        .order_by(QuestionOption.question_id, QuestionOption.position)
    )
    for option in rows.scalars():
        out.setdefault(option.question_id, []).append(option)
    return out


async def translation_languages(
    session: AsyncSession, question_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    out: dict[uuid.UUID, list[str]] = {q: [] for q in question_ids}
    if not question_ids:
        return out
    rows = await session.execute(
        sa.select(QuestionTranslation.question_id, QuestionTranslation.language)
        .where(QuestionTranslation.question_id.in_(list(question_ids)))
        .order_by(QuestionTranslation.language)
    )
    for qid, language in rows:
        out.setdefault(qid, []).append(language)
    return out


async def translations_for(
    session: AsyncSession, question_ids: Collection[uuid.UUID], language: str
) -> dict[uuid.UUID, QuestionTranslation]:
    if not question_ids:
        return {}
    rows = await session.execute(
        sa.select(QuestionTranslation).where(
            QuestionTranslation.question_id.in_(list(question_ids)),
            QuestionTranslation.language == language,
        )
    )
    return {t.question_id: t for t in rows.scalars()}


async def add_question(
    session: AsyncSession, question: Question, options: Sequence[QuestionOption]
) -> None:
    session.add(question)
    await session.flush()
    session.add_all(options)
    await session.flush()


async def replace_options(
    session: AsyncSession,
    question_id: uuid.UUID,
    old: Sequence[QuestionOption],
    options: Sequence[QuestionOption],
) -> None:
    """Replace the question's options (``old``: the loaded ones; new ones may reuse their ids)."""
    await session.execute(
        sa.delete(QuestionOption).where(QuestionOption.question_id == question_id)
    )
    for option in old:
        if option in session:
            session.expunge(option)
    session.add_all(options)
    await session.flush()


async def upsert_translation(session: AsyncSession, values: dict[str, Any]) -> None:
    table = QuestionTranslation.__table__
    statement = dialect_insert(session, table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=["question_id", "language"],
        set_={k: statement.excluded[k] for k in ("text", "explanation", "hint", "options")},
    )
    await session.execute(statement)


# --------------------------------------------------------------------------- quizzes


async def get_quiz(session: AsyncSession, quiz_id: uuid.UUID) -> Quiz | None:
    return await session.get(Quiz, quiz_id)


async def quizzes_by_ids(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, Quiz]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(Quiz).where(Quiz.id.in_(list(ids))))
    return {q.id: q for q in rows.scalars()}


def _course_quizzes(course_id: uuid.UUID, published_only: bool) -> list[Any]:
    where: list[Any] = [Quiz.course_id == course_id]
    if published_only:
        where.append(Quiz.status == "published")
    return where


async def quizzes_of_course(
    session: AsyncSession, course_id: uuid.UUID, *, published_only: bool
) -> list[Quiz]:
    query = sa.select(Quiz).where(*_course_quizzes(course_id, published_only))
    return list((await session.execute(query.order_by(Quiz.id))).scalars())


async def quiz_page(
    session: AsyncSession, course_id: uuid.UUID, *, published_only: bool, offset: int, limit: int
) -> tuple[list[Quiz], int]:
    """A page of the course's quizzes (oldest first) and how many there are."""
    where = _course_quizzes(course_id, published_only)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Quiz).where(*where))
    rows = await session.execute(
        sa.select(Quiz).where(*where).order_by(Quiz.id).offset(offset).limit(limit)
    )
    return list(rows.scalars()), int(total or 0)


async def pool_ids(session: AsyncSession, quiz_id: uuid.UUID) -> list[uuid.UUID]:
    rows = await session.execute(
        sa.select(QuizQuestion.question_id)
        .where(QuizQuestion.quiz_id == quiz_id)
        .order_by(QuizQuestion.position)
    )
    return list(rows.scalars())


async def pool_sizes(
    session: AsyncSession, quiz_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, int]:
    if not quiz_ids:
        return {}
    rows = await session.execute(
        sa.select(QuizQuestion.quiz_id, sa.func.count())
        .where(QuizQuestion.quiz_id.in_(list(quiz_ids)))
        .group_by(QuizQuestion.quiz_id)
    )
    return {qid: int(n) for qid, n in rows}


async def set_pool(session: AsyncSession, quiz_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
    await session.execute(sa.delete(QuizQuestion).where(QuizQuestion.quiz_id == quiz_id))
    if ids:
        await session.execute(
            sa.insert(QuizQuestion),
            [{"quiz_id": quiz_id, "question_id": q, "position": i} for i, q in enumerate(ids)],
        )


async def course_question_ids(
    session: AsyncSession, course_id: uuid.UUID, ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    if not ids:
        return set()
    rows = await session.execute(
        sa.select(Question.id).where(
            Question.id.in_(list(ids)),
            Question.course_id == course_id,
            Question.archived.is_(False),
        )
    )
    return set(rows.scalars())


async def touch_quizzes_of(session: AsyncSession, question_id: uuid.UUID, now: Any) -> None:
    """Bump the revision of every quiz whose pool holds the question (invalidates cached
    sheets, see ``service.sheets``)."""
    holders = sa.select(QuizQuestion.quiz_id).where(QuizQuestion.question_id == question_id)
    await session.execute(
        sa.update(Quiz)
        .where(Quiz.id.in_(holders))
        .values(updated_at=now, revision=Quiz.revision + 1)
        .execution_options(synchronize_session=False)
    )
