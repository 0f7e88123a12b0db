"""Testimonials and lesson notes."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.community.models import LessonNote, Testimonial
from campus.kernel.db import rowcount


async def get(session: AsyncSession, testimonial_id: uuid.UUID) -> Testimonial | None:
    return await session.scalar(
        sa.select(Testimonial)
        .where(Testimonial.id == testimonial_id)
        .execution_options(populate_existing=True)
    )


async def update(
    session: AsyncSession, testimonial_id: uuid.UUID, *where: Any, **values: Any
) -> bool:
    result = await session.execute(
        sa.update(Testimonial)
        .where(Testimonial.id == testimonial_id, *where)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def page(
    session: AsyncSession, where: list[Any], limit: int, offset: int
) -> tuple[list[Testimonial], int]:
    total = await session.scalar(sa.select(sa.func.count()).select_from(Testimonial).where(*where))
    rows = await session.scalars(
        sa.select(Testimonial)
        .where(*where)
        .order_by(Testimonial.created_at.desc(), Testimonial.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def get_note(session: AsyncSession, note_id: uuid.UUID) -> LessonNote | None:
    return await session.scalar(
        sa.select(LessonNote)
        .where(LessonNote.id == note_id)
        .execution_options(populate_existing=True)
    )


async def notes(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID, lesson_id: uuid.UUID | None
) -> list[LessonNote]:
    where = [LessonNote.user_id == user_id, LessonNote.course_id == course_id]
    if lesson_id is not None:
        where.append(LessonNote.lesson_id == lesson_id)
    return list(
        await session.scalars(
            sa.select(LessonNote)
            .where(*where)
            .order_by(
                LessonNote.lesson_id,
                sa.func.coalesce(LessonNote.video_seconds, 0),
                LessonNote.created_at,
                LessonNote.id,
            )
        )
    )
