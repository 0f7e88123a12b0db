"""Editing a curriculum: modules and lessons, reorders, moves, translations.

Every write locks the course row first, so writers of one course run one at a time and a
reorder rewrites a complete, current sequence: positions stay a gap-free 0..n-1 sequence and a
request either applies in full or is refused. Edits go to the course's working version
(``access.working_version``); a published version is never changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.exceptions import (
    LessonNotFound,
    ModuleNotFound,
    OrderMismatch,
    TranslationNotFound,
)
from campus.catalog.models import Course, CourseVersion, Lesson, Module
from campus.catalog.policies import Action
from campus.catalog.repository import courses as courses_repo
from campus.catalog.repository import structure as repo
from campus.catalog.service import access, assemble
from campus.catalog.service.inputs import LessonTexts, ModuleTexts, NewModule, SentFields
from campus.catalog.service.records import LessonRecord, ModuleRecord, MoveRecord, OrderRecord
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.ids import new_id

MAX_MODULES = 200
MAX_LESSONS_PER_MODULE = 300


async def _editable(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> tuple[Course, CourseVersion]:
    course = await access.course_for(session, principal, course_id, Action.EDIT, lock=True)
    version = await access.working_version(session, course)
    return course, version


async def _module(session: AsyncSession, version: CourseVersion, ref: uuid.UUID) -> Module:
    module = await repo.find_module(session, version.id, ref)
    if module is None:
        raise ModuleNotFound()
    return module


async def _lesson(session: AsyncSession, version: CourseVersion, ref: uuid.UUID) -> Lesson:
    lesson = await repo.find_lesson(session, version.id, ref)
    if lesson is None:
        raise LessonNotFound()
    return lesson


async def _module_out(session: AsyncSession, module_id: uuid.UUID) -> ModuleRecord:
    module = await repo.get_module(session, module_id)
    assert module is not None
    lessons = await repo.lessons_of_module(session, module.id)
    module_tr = await repo.module_translations(session, [module.id])
    lesson_tr = await repo.lesson_translations(session, [x.id for x in lessons], bodies="none")
    return assemble.module_records([module], lessons, module_tr, lesson_tr)[0]


async def _lesson_out(session: AsyncSession, lesson_id: uuid.UUID) -> LessonRecord:
    loaded = await repo.get_lesson(session, lesson_id)
    assert loaded is not None
    lesson = loaded[0]
    refs = await repo.lesson_translations(session, [lesson.id], bodies="none")
    return assemble.lesson_record(lesson, sorted(refs, key=lambda r: r.language))


# --------------------------------------------------------------------------- modules


async def create_module(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, data: NewModule
) -> ModuleRecord:
    _, version = await _editable(session, principal, course_id)
    siblings = await repo.module_ids_in_order(session, version.id)
    if len(siblings) >= MAX_MODULES:
        raise field_error(
            "modules", f"A course has at most {MAX_MODULES} modules.", code="too_many"
        )
    module_id, now = new_id(), utcnow()
    await repo.insert_module(
        session,
        {
            "id": module_id,
            "lineage_id": module_id,
            "version_id": version.id,
            "position": len(siblings),
            "title": data.title,
            "description": data.description,
            "estimated_minutes": data.estimated_minutes,
            "is_locked": data.is_locked,
            "is_sequential": data.is_sequential,
            "created_at": now,
            "updated_at": now,
        },
    )
    await courses_repo.refresh_version_stats(session, version.id)
    return await _module_out(session, module_id)


async def update_module(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    module_ref: uuid.UUID,
    data: SentFields,
) -> ModuleRecord:
    _, version = await _editable(session, principal, course_id)
    module = await _module(session, version, module_ref)
    values = {key: getattr(data, key) for key in data.model_fields_set}
    for key, field_name in (
        ("title", "title"),
        ("is_locked", "isLocked"),
        ("is_sequential", "isSequential"),
    ):
        if key in values and values[key] is None:
            raise field_error(field_name, "This field cannot be null.")
    if values:
        await repo.update_module(session, module.id, values)
    return await _module_out(session, module.id)


async def delete_module(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, module_ref: uuid.UUID
) -> None:
    _, version = await _editable(session, principal, course_id)
    module = await _module(session, version, module_ref)
    await repo.delete_module(session, module.id)
    remaining = await repo.module_ids_in_order(session, version.id)
    await repo.rewrite_module_positions(session, version.id, remaining)
    await courses_repo.refresh_version_stats(session, version.id)


def _resolve_order(
    refs: Sequence[tuple[uuid.UUID, uuid.UUID]], requested: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Map a requested order (ids or lineage ids) onto current ids; it must name each current
    item exactly once."""
    by_ref: dict[uuid.UUID, uuid.UUID] = {}
    for row_id, lineage_id in refs:
        by_ref[row_id] = row_id
        by_ref[lineage_id] = row_id
    resolved = [by_ref.get(ref) for ref in requested]
    current = [row_id for row_id, _ in refs]
    if None in resolved or len(resolved) != len(current) or set(resolved) != set(current):
        raise OrderMismatch(details={"expected": [str(x) for x in current]})
    return [x for x in resolved if x is not None]


async def reorder_modules(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, ids: Sequence[uuid.UUID]
) -> OrderRecord:
    """``ids``: every module once (ids or lineage ids), in the new order."""
    _, version = await _editable(session, principal, course_id)
    order = _resolve_order(await repo.module_refs(session, version.id), ids)
    await repo.rewrite_module_positions(session, version.id, order)
    return OrderRecord(
        version_id=version.id, ids=tuple(await repo.module_ids_in_order(session, version.id))
    )


# --------------------------------------------------------------------------- lessons


def _lesson_values(data: SentFields) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in data.model_fields_set:
        value = getattr(data, key)
        if key == "content_urls":
            value = [{"type": u.type.value, "url": u.url} for u in value or []]
        elif key == "attachments":
            value = [
                {"name": a.name, "url": a.url, "size_bytes": a.size_bytes, "mime_type": a.mime_type}
                for a in value or []
            ]
        elif key in {"type", "status"} and value is not None:
            value = value.value
        values[key] = value
    for key, field_name in (
        ("title", "title"),
        ("type", "type"),
        ("status", "status"),
        ("is_preview", "isPreview"),
        ("is_required", "isRequired"),
    ):
        if key in values and values[key] is None:
            raise field_error(field_name, "This field cannot be null.")
    return values


async def create_lesson(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    module_ref: uuid.UUID,
    data: SentFields,
) -> LessonRecord:
    _, version = await _editable(session, principal, course_id)
    module = await _module(session, version, module_ref)
    siblings = await repo.lesson_ids_in_order(session, module.id)
    if len(siblings) >= MAX_LESSONS_PER_MODULE:
        raise field_error("lessons", "The module is full.", code="too_many")
    lesson_id, now = new_id(), utcnow()
    values = {
        "status": "published",
        "content_urls": [],
        "attachments": [],
        "is_preview": False,
        "is_required": True,
        **_lesson_values(data),
        "id": lesson_id,
        "lineage_id": lesson_id,
        "module_id": module.id,
        "version_id": version.id,
        "position": len(siblings),
        "created_at": now,
        "updated_at": now,
    }
    await repo.insert_lesson(session, values)
    await courses_repo.refresh_version_stats(session, version.id)
    return await _lesson_out(session, lesson_id)


async def update_lesson(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    lesson_ref: uuid.UUID,
    data: SentFields,
) -> LessonRecord:
    _, version = await _editable(session, principal, course_id)
    lesson = await _lesson(session, version, lesson_ref)
    values = _lesson_values(data)
    if values:
        await repo.update_lesson(session, lesson.id, values)
        await courses_repo.refresh_version_stats(session, version.id)
    return await _lesson_out(session, lesson.id)


async def delete_lesson(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, lesson_ref: uuid.UUID
) -> None:
    _, version = await _editable(session, principal, course_id)
    lesson = await _lesson(session, version, lesson_ref)
    await repo.delete_lesson(session, lesson.id)
    remaining = await repo.lesson_ids_in_order(session, lesson.module_id)
    await repo.rewrite_lesson_positions(session, {lesson.module_id: remaining})
    await courses_repo.refresh_version_stats(session, version.id)


async def reorder_lessons(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    module_ref: uuid.UUID,
    ids: Sequence[uuid.UUID],
) -> OrderRecord:
    """``ids``: every lesson of the module once (ids or lineage ids), in the new order."""
    _, version = await _editable(session, principal, course_id)
    module = await _module(session, version, module_ref)
    order = _resolve_order(await repo.lesson_refs(session, module.id), ids)
    await repo.rewrite_lesson_positions(session, {module.id: order})
    return OrderRecord(
        version_id=version.id, ids=tuple(await repo.lesson_ids_in_order(session, module.id))
    )


async def move_lesson(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    lesson_ref: uuid.UUID,
    target_module_ref: uuid.UUID,
    position: int | None = None,
) -> MoveRecord:
    """Move a lesson to another module of the same version (or within its own) at
    ``position`` (0-based; ``None``: at the end), keeping both sequences gap-free."""
    _, version = await _editable(session, principal, course_id)
    lesson = await _lesson(session, version, lesson_ref)
    target = await _module(session, version, target_module_ref)
    source_id = lesson.module_id
    source_ids = [x for x in await repo.lesson_ids_in_order(session, source_id) if x != lesson.id]
    if target.id == source_id:
        target_ids = source_ids
    else:
        target_ids = await repo.lesson_ids_in_order(session, target.id)
        if len(target_ids) >= MAX_LESSONS_PER_MODULE:
            raise field_error("targetModuleId", "The module is full.", code="too_many")
    position = len(target_ids) if position is None else min(position, len(target_ids))
    target_ids = [*target_ids[:position], lesson.id, *target_ids[position:]]
    orders: dict[uuid.UUID, Sequence[uuid.UUID]] = {target.id: target_ids}
    if target.id != source_id:
        orders[source_id] = source_ids
    await repo.rewrite_lesson_positions(session, orders)
    return MoveRecord(
        lesson=await _lesson_out(session, lesson.id),
        source_module_order=tuple(await repo.lesson_ids_in_order(session, source_id)),
        target_module_order=tuple(await repo.lesson_ids_in_order(session, target.id)),
    )


# --------------------------------------------------------------------------- translations


async def put_module_translation(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    module_ref: uuid.UUID,
    language: str,
    data: ModuleTexts,
) -> ModuleRecord:
    _, version = await _editable(session, principal, course_id)
    module = await _module(session, version, module_ref)
    await repo.upsert_module_translation(
        session, module.id, language, {"title": data.title, "description": data.description}
    )
    return await _module_out(session, module.id)


async def delete_module_translation(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    module_ref: uuid.UUID,
    language: str,
) -> None:
    _, version = await _editable(session, principal, course_id)
    module = await _module(session, version, module_ref)
    if not await repo.delete_module_translation(session, module.id, language):
        raise TranslationNotFound()


async def put_lesson_translation(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    lesson_ref: uuid.UUID,
    language: str,
    data: LessonTexts,
) -> LessonRecord:
    _, version = await _editable(session, principal, course_id)
    lesson = await _lesson(session, version, lesson_ref)
    await repo.upsert_lesson_translation(
        session, lesson.id, language, {"title": data.title, "body": data.body}
    )
    return await _lesson_out(session, lesson.id)


async def delete_lesson_translation(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    lesson_ref: uuid.UUID,
    language: str,
) -> None:
    _, version = await _editable(session, principal, course_id)
    lesson = await _lesson(session, version, lesson_ref)
    if not await repo.delete_lesson_translation(session, lesson.id, language):
        raise TranslationNotFound()
