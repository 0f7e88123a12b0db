"""Curriculum editing: modules and lessons of the course's working version.

Module and lesson path ids may be row ids of the working version or lineage ids (stable across
versions), so ids read before a published course got its new draft keep working.
"""

from __future__ import annotations

import uuid

from campus.catalog.endpoints.dependencies import LanguagePath, write_router
from campus.catalog.endpoints.errors import WRITE_ERRORS, errors
from campus.catalog.httpcache import CatalogNoContent
from campus.catalog.schemas.structure import (
    AuthoringLessonOut,
    AuthoringModuleOut,
    LessonCreate,
    LessonTranslationIn,
    LessonUpdate,
    ModuleCreate,
    ModuleTranslationIn,
    ModuleUpdate,
    MoveLessonRequest,
    MoveOut,
    OrderOut,
    ReorderRequest,
)
from campus.catalog.service import structure
from campus.kernel.auth import CurrentPrincipal, DbSession

router = write_router(tags=["curriculum"])
DELETE_ERRORS = errors(401, 403, 404, 409, 422)


@router.post(
    "/courses/{course_id}/modules",
    status_code=201,
    summary="Add a module at the end of the curriculum",
    response_model=AuthoringModuleOut,
    responses=WRITE_ERRORS,
)
async def create_module(
    course_id: uuid.UUID, body: ModuleCreate, session: DbSession, principal: CurrentPrincipal
) -> AuthoringModuleOut:
    return AuthoringModuleOut.of(await structure.create_module(session, principal, course_id, body))


@router.post(
    "/courses/{course_id}/modules/reorder",
    summary="Reorder all modules (the request lists every module exactly once)",
    response_model=OrderOut,
    responses=WRITE_ERRORS,
)
async def reorder_modules(
    course_id: uuid.UUID, body: ReorderRequest, session: DbSession, principal: CurrentPrincipal
) -> OrderOut:
    return OrderOut.of(await structure.reorder_modules(session, principal, course_id, body.ids))


@router.patch(
    "/courses/{course_id}/modules/{module_id}",
    summary="Edit a module",
    response_model=AuthoringModuleOut,
    responses=WRITE_ERRORS,
)
async def update_module(
    course_id: uuid.UUID,
    module_id: uuid.UUID,
    body: ModuleUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AuthoringModuleOut:
    module = await structure.update_module(session, principal, course_id, module_id, body)
    return AuthoringModuleOut.of(module)


@router.delete(
    "/courses/{course_id}/modules/{module_id}",
    status_code=204,
    summary="Delete a module and its lessons",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_module(
    course_id: uuid.UUID, module_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await structure.delete_module(session, principal, course_id, module_id)
    return CatalogNoContent()


@router.put(
    "/courses/{course_id}/modules/{module_id}/translations/{language}",
    summary="Add or replace a module's title and description in another language",
    response_model=AuthoringModuleOut,
    responses=WRITE_ERRORS,
)
async def put_module_translation(
    course_id: uuid.UUID,
    module_id: uuid.UUID,
    language: LanguagePath,
    body: ModuleTranslationIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AuthoringModuleOut:
    module = await structure.put_module_translation(
        session, principal, course_id, module_id, language, body
    )
    return AuthoringModuleOut.of(module)


@router.delete(
    "/courses/{course_id}/modules/{module_id}/translations/{language}",
    status_code=204,
    summary="Remove a module translation",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_module_translation(
    course_id: uuid.UUID,
    module_id: uuid.UUID,
    language: LanguagePath,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CatalogNoContent:
    await structure.delete_module_translation(session, principal, course_id, module_id, language)
    return CatalogNoContent()


@router.post(
    "/courses/{course_id}/modules/{module_id}/lessons",
    status_code=201,
    summary="Add a lesson at the end of a module",
    response_model=AuthoringLessonOut,
    responses=WRITE_ERRORS,
)
async def create_lesson(
    course_id: uuid.UUID,
    module_id: uuid.UUID,
    body: LessonCreate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AuthoringLessonOut:
    lesson = await structure.create_lesson(session, principal, course_id, module_id, body)
    return AuthoringLessonOut.of(lesson)


@router.post(
    "/courses/{course_id}/modules/{module_id}/lessons/reorder",
    summary="Reorder a module's lessons (the request lists every lesson exactly once)",
    response_model=OrderOut,
    responses=WRITE_ERRORS,
)
async def reorder_lessons(
    course_id: uuid.UUID,
    module_id: uuid.UUID,
    body: ReorderRequest,
    session: DbSession,
    principal: CurrentPrincipal,
) -> OrderOut:
    order = await structure.reorder_lessons(session, principal, course_id, module_id, body.ids)
    return OrderOut.of(order)


@router.patch(
    "/courses/{course_id}/lessons/{lesson_id}",
    summary="Edit a lesson",
    response_model=AuthoringLessonOut,
    responses=WRITE_ERRORS,
)
async def update_lesson(
    course_id: uuid.UUID,
    lesson_id: uuid.UUID,
    body: LessonUpdate,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AuthoringLessonOut:
    lesson = await structure.update_lesson(session, principal, course_id, lesson_id, body)
    return AuthoringLessonOut.of(lesson)


@router.delete(
    "/courses/{course_id}/lessons/{lesson_id}",
    status_code=204,
    summary="Delete a lesson",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_lesson(
    course_id: uuid.UUID, lesson_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await structure.delete_lesson(session, principal, course_id, lesson_id)
    return CatalogNoContent()


@router.post(
    "/courses/{course_id}/lessons/{lesson_id}/move",
    summary="Move a lesson to another module (or position)",
    response_model=MoveOut,
    responses=WRITE_ERRORS,
)
async def move_lesson(
    course_id: uuid.UUID,
    lesson_id: uuid.UUID,
    body: MoveLessonRequest,
    session: DbSession,
    principal: CurrentPrincipal,
) -> MoveOut:
    move = await structure.move_lesson(
        session, principal, course_id, lesson_id, body.target_module_id, body.position
    )
    return MoveOut.of(move)


@router.put(
    "/courses/{course_id}/lessons/{lesson_id}/translations/{language}",
    summary="Add or replace a lesson's title and body in another language",
    response_model=AuthoringLessonOut,
    responses=WRITE_ERRORS,
)
async def put_lesson_translation(
    course_id: uuid.UUID,
    lesson_id: uuid.UUID,
    language: LanguagePath,
    body: LessonTranslationIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> AuthoringLessonOut:
    lesson = await structure.put_lesson_translation(
        session, principal, course_id, lesson_id, language, body
    )
    return AuthoringLessonOut.of(lesson)


@router.delete(
    "/courses/{course_id}/lessons/{lesson_id}/translations/{language}",
    status_code=204,
    summary="Remove a lesson translation",
    response_class=CatalogNoContent,
    responses=DELETE_ERRORS,
)
async def delete_lesson_translation(
    course_id: uuid.UUID,
    lesson_id: uuid.UUID,
    language: LanguagePath,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CatalogNoContent:
    await structure.delete_lesson_translation(session, principal, course_id, lesson_id, language)
    return CatalogNoContent()
