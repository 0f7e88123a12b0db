"""Course rows and what hangs off them: instructors, tags, pricing, translations, versions,
search documents, and the counters other contexts maintain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from campus.catalog.models import (
    Course,
    CourseInstructor,
    CoursePricingTier,
    CourseSearchDocument,
    CourseTag,
    CourseTranslation,
    CourseVersion,
    Lesson,
    Module,
)
from campus.catalog.repository.base import guarded
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount

# --------------------------------------------------------------------------- loading


def _with_links() -> tuple[Any, ...]:
    return (
        selectinload(Course.category),
        selectinload(Course.tags),
        selectinload(Course.instructors),
        selectinload(Course.pricing_tiers),
    )


async def get_course(
    session: AsyncSession, course_id: uuid.UUID, *, lock: bool = False
) -> Course | None:
    """A live (not deleted) course with its links. ``lock`` takes the row lock first
    (``SELECT ... FOR UPDATE``; SQLite transactions are already exclusive)."""
    if lock:
        locked = await session.execute(
            sa.select(Course.id)
            .where(Course.id == course_id, Course.deleted_at.is_(None))
            .with_for_update()
        )
        if locked.scalar_one_or_none() is None:
            return None
    result = await session.execute(
        sa.select(Course)
        .where(Course.id == course_id, Course.deleted_at.is_(None))
        .options(*_with_links())
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def course_ids_by_slugs(
    session: AsyncSession, slugs: Collection[str]
) -> dict[str, uuid.UUID]:
    if not slugs:
        return {}
    result = await session.execute(
        sa.select(Course.slug, Course.id).where(
            Course.slug.in_(list(slugs)), Course.deleted_at.is_(None)
        )
    )
    return {row[0]: row[1] for row in result}


async def get_courses(session: AsyncSession, ids: Collection[uuid.UUID]) -> list[Course]:
    if not ids:
        return []
    result = await session.execute(
        sa.select(Course)
        .where(Course.id.in_(list(ids)), Course.deleted_at.is_(None))
        .options(selectinload(Course.instructors))
    )
    return list(result.scalars())


async def instructor_ids(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        sa.select(CourseInstructor.user_id)
        .join(Course, Course.id == CourseInstructor.course_id)
        .where(CourseInstructor.course_id == course_id, Course.deleted_at.is_(None))
        .order_by(CourseInstructor.position)
    )
    return list(result.scalars())


async def authoring_page(
    session: AsyncSession,
    *,
    teacher_id: uuid.UUID | None,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[list[Course], int]:
    """Courses of one teacher (or all, for catalog staff), newest change first."""
    conditions: list[sa.ColumnElement[bool]] = [Course.deleted_at.is_(None)]
    if teacher_id is not None:
        taught = sa.select(CourseInstructor.course_id).where(CourseInstructor.user_id == teacher_id)
        conditions.append(Course.id.in_(taught))
    if status is not None:
        conditions.append(Course.status == status)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Course).where(*conditions))
    result = await session.execute(
        sa.select(Course)
        .where(*conditions)
        .order_by(Course.updated_at.desc(), Course.id.desc())
        .offset(offset)
        .limit(limit)
        .options(selectinload(Course.instructors))
    )
    return list(result.scalars()), int(total or 0)


# --------------------------------------------------------------------------- writing


async def try_insert_course(session: AsyncSession, values: dict[str, Any]) -> IntegrityError | None:
    return await guarded(session, sa.insert(Course).values(**values))


async def try_update_course(
    session: AsyncSession, course_id: uuid.UUID, values: dict[str, Any]
) -> IntegrityError | None:
    return await guarded(
        session,
        sa.update(Course)
        .where(Course.id == course_id)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False),
    )


async def slugs_like(session: AsyncSession, base: str) -> set[str]:
    """Course slugs equal to ``base`` or ``base-*`` (slugs hold no LIKE wildcards)."""
    result = await session.execute(
        sa.select(Course.slug)
        .where(sa.or_(Course.slug == base, Course.slug.startswith(f"{base}-", autoescape=True)))
        .limit(5000)
    )
    return set(result.scalars())


async def transition_course(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    from_status: Collection[str],
    values: dict[str, Any],
    extra: Sequence[sa.ColumnElement[bool]] = (),
) -> bool:
    """Atomic conditional update: applies only if the course is still in ``from_status``."""
    result = await session.execute(
        sa.update(Course)
        .where(
            Course.id == course_id,
            Course.status.in_(list(from_status)),
            Course.deleted_at.is_(None),
            *extra,
        )
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def soft_delete_draft(session: AsyncSession, course_id: uuid.UUID) -> bool:
    """Deletes only a never-published draft without enrollments, in one conditional update."""
    now = utcnow()
    result = await session.execute(
        sa.update(Course)
        .where(
            Course.id == course_id,
            Course.status == "draft",
            Course.deleted_at.is_(None),
            Course.published_at.is_(None),
            Course.current_version_id.is_(None),
            Course.enrollment_count == 0,
        )
        .values(deleted_at=now, updated_at=now, track_slug=None)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def replace_instructors(
    session: AsyncSession,
    course_id: uuid.UUID,
    primary_id: uuid.UUID,
    co_ids: Sequence[uuid.UUID],
) -> None:
    await session.execute(
        sa.delete(CourseInstructor).where(CourseInstructor.course_id == course_id)
    )
    rows = [{"course_id": course_id, "user_id": primary_id, "is_primary": True, "position": 0}]
    rows += [
        {"course_id": course_id, "user_id": uid, "is_primary": False, "position": i}
        for i, uid in enumerate(co_ids, start=1)
    ]
    await session.execute(sa.insert(CourseInstructor), rows)


async def replace_course_tags(
    session: AsyncSession, course_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
) -> None:
    await session.execute(sa.delete(CourseTag).where(CourseTag.course_id == course_id))
    if tag_ids:
        await session.execute(
            sa.insert(CourseTag),
            [{"course_id": course_id, "tag_id": t, "position": i} for i, t in enumerate(tag_ids)],
        )


async def replace_pricing_tiers(
    session: AsyncSession, course_id: uuid.UUID, rows: Sequence[dict[str, Any]]
) -> None:
    await session.execute(
        sa.delete(CoursePricingTier).where(CoursePricingTier.course_id == course_id)
    )
    if rows:
        await session.execute(
            sa.insert(CoursePricingTier), [{**row, "course_id": course_id} for row in rows]
        )


# --------------------------------------------------------------------------- counters


async def adjust_enrollment_count(
    session: AsyncSession, course_id: uuid.UUID, delta: int
) -> int | None:
    new_value = Course.enrollment_count + delta
    result = await session.execute(
        sa.update(Course)
        .where(Course.id == course_id)
        .values(enrollment_count=sa.case((new_value < 0, 0), else_=new_value))
        .returning(Course.enrollment_count)
        .execution_options(synchronize_session=False)
    )
    return result.scalar_one_or_none()


async def set_counters(session: AsyncSession, course_id: uuid.UUID, values: dict[str, Any]) -> bool:
    result = await session.execute(
        sa.update(Course)
        .where(Course.id == course_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


# --------------------------------------------------------------------------- translations


async def course_translations(
    session: AsyncSession,
    course_ids: Collection[uuid.UUID],
    language_clause: sa.ColumnElement[bool] | None = None,
) -> list[CourseTranslation]:
    if not course_ids:
        return []
    conditions: list[sa.ColumnElement[bool]] = [CourseTranslation.course_id.in_(list(course_ids))]
    if language_clause is not None:
        conditions.append(language_clause)
    result = await session.execute(
        sa.select(CourseTranslation).where(*conditions).order_by(CourseTranslation.language)
    )
    return list(result.scalars())


async def upsert_course_translation(
    session: AsyncSession, course_id: uuid.UUID, language: str, values: dict[str, Any]
) -> None:
    stmt = dialect_insert(session, CourseTranslation).values(
        course_id=course_id, language=language, updated_at=utcnow(), **values
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["course_id", "language"],
            set_={**values, "updated_at": utcnow()},
        )
    )


async def delete_course_translation(
    session: AsyncSession, course_id: uuid.UUID, language: str
) -> bool:
    result = await session.execute(
        sa.delete(CourseTranslation).where(
            CourseTranslation.course_id == course_id, CourseTranslation.language == language
        )
    )
    return rowcount(result) == 1


# --------------------------------------------------------------------------- versions


async def get_version(session: AsyncSession, version_id: uuid.UUID) -> CourseVersion | None:
    result = await session.execute(
        sa.select(CourseVersion)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(CourseVersion.id == version_id, Course.deleted_at.is_(None))
        .execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def get_versions(
    session: AsyncSession, version_ids: Collection[uuid.UUID]
) -> list[CourseVersion]:
    ids = [v for v in version_ids if v is not None]
    if not ids:
        return []
    result = await session.execute(
        sa.select(CourseVersion)
        .where(CourseVersion.id.in_(ids))
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def list_versions(session: AsyncSession, course_id: uuid.UUID) -> list[CourseVersion]:
    result = await session.execute(
        sa.select(CourseVersion)
        .where(CourseVersion.course_id == course_id)
        .order_by(CourseVersion.number.desc())
    )
    return list(result.scalars())


async def next_version_number(session: AsyncSession, course_id: uuid.UUID) -> int:
    current = await session.scalar(
        sa.select(sa.func.max(CourseVersion.number)).where(CourseVersion.course_id == course_id)
    )
    return int(current or 0) + 1


async def insert_version(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(CourseVersion).values(**values))


async def transition_version(
    session: AsyncSession, version_id: uuid.UUID, *, from_status: str, values: dict[str, Any]
) -> bool:
    result = await session.execute(
        sa.update(CourseVersion)
        .where(CourseVersion.id == version_id, CourseVersion.status == from_status)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def lesson_seconds() -> sa.ColumnElement[int]:
    """A lesson's duration: the video's length, else its estimate, else nothing."""
    return sa.func.coalesce(Lesson.video_duration_seconds, Lesson.estimated_minutes * 60, 0)


async def refresh_version_stats(session: AsyncSession, version_id: uuid.UUID) -> None:
    published = (Lesson.version_id == version_id) & (Lesson.status == "published")
    await session.execute(
        sa.update(CourseVersion)
        .where(CourseVersion.id == version_id)
        .values(
            duration_seconds=sa.select(sa.func.coalesce(sa.func.sum(lesson_seconds()), 0))
            .where(published)
            .scalar_subquery(),
            lesson_count=sa.select(sa.func.count(Lesson.id)).where(published).scalar_subquery(),
            module_count=sa.select(sa.func.count(Module.id))
            .where(Module.version_id == version_id)
            .scalar_subquery(),
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )


# --------------------------------------------------------------------------- search documents


async def upsert_search_document(
    session: AsyncSession, course_id: uuid.UUID, headline: str, body: str
) -> None:
    stmt = dialect_insert(session, CourseSearchDocument).values(
        course_id=course_id, headline=headline, body=body, updated_at=utcnow()
    )
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=["course_id"],
            set_={"headline": headline, "body": body, "updated_at": utcnow()},
        )
    )


async def delete_search_document(session: AsyncSession, course_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(CourseSearchDocument).where(CourseSearchDocument.course_id == course_id)
    )


async def published_course_ids_with_tag(
    session: AsyncSession, tag_id: uuid.UUID
) -> list[uuid.UUID]:
    result = await session.execute(
        sa.select(CourseTag.course_id)
        .join(Course, Course.id == CourseTag.course_id)
        .where(CourseTag.tag_id == tag_id, Course.status == "published")
    )
    return list(result.scalars())


async def counted_course_ids(
    session: AsyncSession, after: uuid.UUID | None, limit: int
) -> list[uuid.UUID]:
    stmt = sa.select(Course.id).where(Course.enrollment_count > 0).order_by(Course.id).limit(limit)
    if after is not None:
        stmt = stmt.where(Course.id > after)
    return list((await session.execute(stmt)).scalars())


async def count_counted_courses(session: AsyncSession) -> int:
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(Course).where(Course.enrollment_count > 0)
    )
    return int(count or 0)
