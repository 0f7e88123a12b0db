"""Modules and lessons of a version: loading, writing, gap-free positions, deep copies.

Positions are protected by unique constraints ``(version_id, position)`` and
``(module_id, position)``. Rewrites go in two steps (first to distinct negatives, then to the
final 0..n-1 values) so no intermediate row ever collides, on either backend.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.models import (
    CourseVersion,
    Lesson,
    LessonTranslation,
    Module,
    ModuleTranslation,
)
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id

# --------------------------------------------------------------------------- reading


async def modules_of(session: AsyncSession, version_id: uuid.UUID) -> list[Module]:
    result = await session.execute(
        sa.select(Module)
        .where(Module.version_id == version_id)
        .order_by(Module.position)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def lessons_of(session: AsyncSession, version_id: uuid.UUID) -> list[Lesson]:
    """Every lesson of a version (full rows), ordered by position within its module."""
    result = await session.execute(
        sa.select(Lesson)
        .where(Lesson.version_id == version_id)
        .order_by(Lesson.module_id, Lesson.position)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


#: Outline columns: everything but the body, which only preview lessons reveal publicly.
_OUTLINE_COLUMNS = (
    Lesson.id,
    Lesson.lineage_id,
    Lesson.module_id,
    Lesson.position,
    Lesson.title,
    Lesson.type,
    Lesson.status,
    Lesson.video_duration_seconds,
    Lesson.estimated_minutes,
    Lesson.is_required,
    Lesson.is_preview,
    Lesson.quiz_id,
    Lesson.assignment_id,
)


async def lesson_outlines(
    session: AsyncSession, version_ids: Collection[uuid.UUID], *, preview_content: bool = False
) -> list[sa.Row[Any]]:
    """Published lessons of the versions, without bodies (or with bodies of preview lessons
    only, when ``preview_content``)."""
    if not version_ids:
        return []
    columns: list[Any] = [*_OUTLINE_COLUMNS, Lesson.version_id]
    if preview_content:
        columns += [
            sa.case((Lesson.is_preview, Lesson.body), else_=sa.null()).label("preview_body"),
            sa.case((Lesson.is_preview, Lesson.video_url), else_=sa.null()).label("preview_video"),
            sa.case((Lesson.is_preview, Lesson.content_urls), else_=sa.null()).label(
                "preview_urls"
            ),
        ]
    result = await session.execute(
        sa.select(*columns)
        .where(Lesson.version_id.in_(list(version_ids)), Lesson.status == "published")
        .order_by(Lesson.module_id, Lesson.position)
    )
    return list(result.all())


async def modules_of_versions(
    session: AsyncSession, version_ids: Collection[uuid.UUID]
) -> list[Module]:
    if not version_ids:
        return []
    result = await session.execute(
        sa.select(Module)
        .where(Module.version_id.in_(list(version_ids)))
        .order_by(Module.version_id, Module.position)
    )
    return list(result.scalars())


async def find_module(
    session: AsyncSession, version_id: uuid.UUID, ref: uuid.UUID
) -> Module | None:
    """The module of ``version_id`` whose id or lineage id is ``ref`` (ids from an older
    version keep working after the curriculum was copied into a new draft)."""
    result = await session.execute(
        sa.select(Module)
        .where(Module.version_id == version_id, sa.or_(Module.id == ref, Module.lineage_id == ref))
        .execution_options(populate_existing=True)
    )
    return result.scalars().first()


async def find_lesson(
    session: AsyncSession, version_id: uuid.UUID, ref: uuid.UUID
) -> Lesson | None:
    result = await session.execute(
        sa.select(Lesson)
        .where(Lesson.version_id == version_id, sa.or_(Lesson.id == ref, Lesson.lineage_id == ref))
        .execution_options(populate_existing=True)
    )
    return result.scalars().first()


async def get_module(session: AsyncSession, module_id: uuid.UUID) -> Module | None:
    result = await session.execute(
        sa.select(Module).where(Module.id == module_id).execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def lessons_of_module(session: AsyncSession, module_id: uuid.UUID) -> list[Lesson]:
    result = await session.execute(
        sa.select(Lesson)
        .where(Lesson.module_id == module_id)
        .order_by(Lesson.position)
        .execution_options(populate_existing=True)
    )
    return list(result.scalars())


async def get_lesson(
    session: AsyncSession, lesson_id: uuid.UUID
) -> tuple[Lesson, CourseVersion] | None:
    result = await session.execute(
        sa.select(Lesson, CourseVersion)
        .join(CourseVersion, CourseVersion.id == Lesson.version_id)
        .where(Lesson.id == lesson_id)
        .execution_options(populate_existing=True)
    )
    row = result.first()
    return None if row is None else (row[0], row[1])


async def module_ids_in_order(session: AsyncSession, version_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        sa.select(Module.id).where(Module.version_id == version_id).order_by(Module.position)
    )
    return list(result.scalars())


async def lesson_ids_in_order(session: AsyncSession, module_id: uuid.UUID) -> list[uuid.UUID]:
    result = await session.execute(
        sa.select(Lesson.id).where(Lesson.module_id == module_id).order_by(Lesson.position)
    )
    return list(result.scalars())


async def lesson_refs(
    session: AsyncSession, module_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(id, lineage id) of a module's lessons, in order."""
    result = await session.execute(
        sa.select(Lesson.id, Lesson.lineage_id)
        .where(Lesson.module_id == module_id)
        .order_by(Lesson.position)
    )
    return [(row[0], row[1]) for row in result]


async def module_refs(
    session: AsyncSession, version_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    result = await session.execute(
        sa.select(Module.id, Module.lineage_id)
        .where(Module.version_id == version_id)
        .order_by(Module.position)
    )
    return [(row[0], row[1]) for row in result]


# --------------------------------------------------------------------------- writing


async def insert_module(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(Module).values(**values))


async def insert_lesson(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(sa.insert(Lesson).values(**values))


async def update_module(
    session: AsyncSession, module_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        sa.update(Module)
        .where(Module.id == module_id)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def update_lesson(
    session: AsyncSession, lesson_id: uuid.UUID, values: dict[str, Any]
) -> None:
    await session.execute(
        sa.update(Lesson)
        .where(Lesson.id == lesson_id)
        .values(**values, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def delete_module(session: AsyncSession, module_id: uuid.UUID) -> None:
    await session.execute(sa.delete(Lesson).where(Lesson.module_id == module_id))
    await session.execute(sa.delete(Module).where(Module.id == module_id))


async def delete_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> None:
    await session.execute(sa.delete(Lesson).where(Lesson.id == lesson_id))


async def rewrite_module_positions(
    session: AsyncSession, version_id: uuid.UUID, ordered_ids: Sequence[uuid.UUID]
) -> None:
    """Positions of a version's modules become 0..n-1 in ``ordered_ids`` order (all of them)."""
    table = cast(sa.Table, Module.__table__)
    await session.execute(
        sa.update(table)
        .where(table.c.version_id == version_id)
        .values(position=-1 - table.c.position)
    )
    if ordered_ids:
        await session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values(position=sa.bindparam("new_position"), updated_at=utcnow()),
            [{"row_id": mid, "new_position": i} for i, mid in enumerate(ordered_ids)],
        )


async def rewrite_lesson_positions(
    session: AsyncSession, orders: dict[uuid.UUID, Sequence[uuid.UUID]]
) -> None:
    """For each module, its lessons become ``orders[module]`` at 0..n-1 (lessons may arrive
    from another module of the same version: their ``module_id`` changes too)."""
    table = cast(sa.Table, Lesson.__table__)
    await session.execute(
        sa.update(table)
        .where(table.c.module_id.in_(list(orders)))
        .values(position=-1 - table.c.position)
    )
    params = [
        {"row_id": lesson_id, "new_module": module_id, "new_position": i}
        for module_id, ids in orders.items()
        for i, lesson_id in enumerate(ids)
    ]
    if params:
        await session.execute(
            sa.update(table)
            .where(table.c.id == sa.bindparam("row_id"))
            .values(
                module_id=sa.bindparam("new_module"),
                position=sa.bindparam("new_position"),
                updated_at=utcnow(),
            ),
            params,
        )


async def copy_structure(
    session: AsyncSession, source_version_id: uuid.UUID, target_version_id: uuid.UUID
) -> None:
    """Deep-copy modules, lessons and their translations into another version: new ids, same
    lineage ids and positions."""
    modules = await modules_of(session, source_version_id)
    lessons = await lessons_of(session, source_version_id)
    module_map = {m.id: new_id() for m in modules}
    lesson_map = {lesson.id: new_id() for lesson in lessons}
    now = utcnow()
    skip = {"id", "version_id", "module_id", "created_at", "updated_at"}
    if modules:
        await session.execute(
            sa.insert(Module),
            [
                {
                    **{
                        c.key: getattr(m, c.key)
                        for c in Module.__table__.columns
                        if c.key not in skip
                    },
                    "id": module_map[m.id],
                    "version_id": target_version_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for m in modules
            ],
        )
    if lessons:
        await session.execute(
            sa.insert(Lesson),
            [
                {
                    **{
                        c.key: getattr(x, c.key)
                        for c in Lesson.__table__.columns
                        if c.key not in skip
                    },
                    "id": lesson_map[x.id],
                    "module_id": module_map[x.module_id],
                    "version_id": target_version_id,
                    "created_at": now,
                    "updated_at": now,
                }
                for x in lessons
            ],
        )
    if module_map:
        result = await session.execute(
            sa.select(ModuleTranslation).where(ModuleTranslation.module_id.in_(list(module_map)))
        )
        rows = [
            {
                "module_id": module_map[t.module_id],
                "language": t.language,
                "title": t.title,
                "description": t.description,
            }
            for t in result.scalars()
        ]
        if rows:
            await session.execute(sa.insert(ModuleTranslation), rows)
    if lesson_map:
        result2 = await session.execute(
            sa.select(LessonTranslation).where(LessonTranslation.lesson_id.in_(list(lesson_map)))
        )
        rows = [
            {
                "lesson_id": lesson_map[t.lesson_id],
                "language": t.language,
                "title": t.title,
                "body": t.body,
            }
            for t in result2.scalars()
        ]
        if rows:
            await session.execute(sa.insert(LessonTranslation), rows)


# --------------------------------------------------------------------------- translations


async def module_translations(
    session: AsyncSession,
    module_ids: Collection[uuid.UUID],
    language_clause: sa.ColumnElement[bool] | None = None,
) -> list[ModuleTranslation]:
    if not module_ids:
        return []
    conditions: list[sa.ColumnElement[bool]] = [ModuleTranslation.module_id.in_(list(module_ids))]
    if language_clause is not None:
        conditions.append(language_clause)
    result = await session.execute(sa.select(ModuleTranslation).where(*conditions))
    return list(result.scalars())


async def lesson_translations(
    session: AsyncSession,
    lesson_ids: Collection[uuid.UUID],
    language_clause: sa.ColumnElement[bool] | None = None,
    *,
    bodies: str = "all",
) -> list[Any]:
    """Rows (lesson_id, language, title, body). ``bodies``: "all", "none", or "preview" (only
    bodies of preview lessons, for the public outline)."""
    if not lesson_ids:
        return []
    conditions: list[sa.ColumnElement[bool]] = [LessonTranslation.lesson_id.in_(list(lesson_ids))]
    if language_clause is not None:
        conditions.append(language_clause)
    body: Any = LessonTranslation.body
    if bodies == "none":
        body = sa.null()
    elif bodies == "preview":
        body = sa.case((Lesson.is_preview, LessonTranslation.body), else_=sa.null())
    stmt = sa.select(
        LessonTranslation.lesson_id,
        LessonTranslation.language,
        LessonTranslation.title,
        body.label("body"),
    ).where(*conditions)
    if bodies == "preview":
        stmt = stmt.join(Lesson, Lesson.id == LessonTranslation.lesson_id)
    result = await session.execute(stmt)
    return list(result.all())


async def upsert_module_translation(
    session: AsyncSession, module_id: uuid.UUID, language: str, values: dict[str, Any]
) -> None:
    stmt = dialect_insert(session, ModuleTranslation).values(
        module_id=module_id, language=language, **values
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["module_id", "language"], set_=values)
    )


async def upsert_lesson_translation(
    session: AsyncSession, lesson_id: uuid.UUID, language: str, values: dict[str, Any]
) -> None:
    stmt = dialect_insert(session, LessonTranslation).values(
        lesson_id=lesson_id, language=language, **values
    )
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["lesson_id", "language"], set_=values)
    )


async def delete_module_translation(
    session: AsyncSession, module_id: uuid.UUID, language: str
) -> bool:
    result = await session.execute(
        sa.delete(ModuleTranslation).where(
            ModuleTranslation.module_id == module_id, ModuleTranslation.language == language
        )
    )
    return rowcount(result) == 1


async def delete_lesson_translation(
    session: AsyncSession, lesson_id: uuid.UUID, language: str
) -> bool:
    result = await session.execute(
        sa.delete(LessonTranslation).where(
            LessonTranslation.lesson_id == lesson_id, LessonTranslation.language == language
        )
    )
    return rowcount(result) == 1
