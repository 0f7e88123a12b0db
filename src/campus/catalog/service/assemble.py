"""Loading what a view needs in a fixed number of queries, then building it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.models import (
    Course,
)
from campus.catalog.repository import courses as repo
from campus.catalog.repository import structure as structure_repo
from campus.catalog.schemas.courses import AuthoringCourse
from campus.catalog.schemas.structure import AuthoringModuleOut
from campus.catalog.service import people, wire
from campus.catalog.service.access import displayed_version_id


async def version_modules(session: AsyncSession, version_id: uuid.UUID) -> list[AuthoringModuleOut]:
    """A version's modules with full lessons and translation references."""
    modules = await structure_repo.modules_of(session, version_id)
    lessons = await structure_repo.lessons_of(session, version_id)
    module_tr = await structure_repo.module_translations(session, [m.id for m in modules])
    lesson_tr = await structure_repo.lesson_translations(
        session, [x.id for x in lessons], bodies="none"
    )
    return wire.authoring_modules(modules, lessons, module_tr, lesson_tr)


async def authoring_view(session: AsyncSession, course_id: uuid.UUID) -> AuthoringCourse:
    """The author's view of a course, freshly loaded (call after changing it)."""
    course = await repo.get_course(session, course_id)
    assert course is not None
    return await authoring_view_of(session, course)


async def authoring_view_of(session: AsyncSession, course: Course) -> AuthoringCourse:
    """The author's view of an already loaded, current course (links loaded)."""
    versions = await repo.get_versions(
        session, [v for v in (course.current_version_id, course.draft_version_id) if v]
    )
    by_id = {v.id: v for v in versions}
    shown = displayed_version_id(course)
    curriculum = [] if shown is None else await version_modules(session, shown)
    translations = await repo.course_translations(session, [course.id])
    cards = await people.instructor_cards(session, course.instructor_ids)
    return wire.authoring_course(
        course,
        cards,
        by_id.get(course.current_version_id) if course.current_version_id else None,
        by_id.get(course.draft_version_id) if course.draft_version_id else None,
        curriculum,
        translations,
    )
