"""Loading what a view needs in a fixed number of queries, then building it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import i18n
from campus.catalog.models import (
    Course,
    CourseTranslation,
    CourseVersion,
    LessonTranslation,
    ModuleTranslation,
)
from campus.catalog.repository import courses as repo
from campus.catalog.repository import structure as structure_repo
from campus.catalog.schemas.courses import AuthoringCourse, CourseCard, CourseDetail
from campus.catalog.schemas.structure import AuthoringModuleOut
from campus.catalog.service import people, views
from campus.catalog.service.access import displayed_version_id


async def course_cards(
    session: AsyncSession, courses: Sequence[Course], prefs: tuple[str, ...]
) -> tuple[list[CourseCard], set[str]]:
    """Cards for a page of courses (category, tags, instructors loaded): two queries at most,
    whatever the page size. Returns the cards and the languages served."""
    translations: list[CourseTranslation] = []
    if prefs and courses:
        translations = await repo.course_translations(
            session,
            [c.id for c in courses],
            i18n.language_filter(CourseTranslation.language, prefs),
        )
    cards = await people.instructor_cards(
        session, [uid for c in courses for uid in c.instructor_ids]
    )
    out: list[CourseCard] = []
    served: set[str] = set()
    for course in courses:
        texts = views.localize_course(course, translations, prefs)
        served.add(texts.language)
        out.append(views.course_card(course, texts, cards))
    return out, served


async def course_detail(
    session: AsyncSession, course: Course, prefs: tuple[str, ...]
) -> CourseDetail:
    """The public page of a published course: a fixed number of queries, whatever the size of
    its curriculum."""
    translations = await repo.course_translations(session, [course.id])
    texts = views.localize_course(course, translations, prefs)
    cards = await people.instructor_cards(session, course.instructor_ids)
    version: CourseVersion | None = None
    curriculum = []
    if course.current_version_id is not None:
        version = await repo.get_version(session, course.current_version_id)
        modules = await structure_repo.modules_of(session, course.current_version_id)
        lessons = await structure_repo.lesson_outlines(
            session, [course.current_version_id], preview_content=True
        )
        module_tr: list[ModuleTranslation] = []
        lesson_tr: list[object] = []
        if prefs:
            module_tr = await structure_repo.module_translations(
                session,
                [m.id for m in modules],
                i18n.language_filter(ModuleTranslation.language, prefs),
            )
            lesson_tr = await structure_repo.lesson_translations(
                session,
                [row.id for row in lessons],
                i18n.language_filter(LessonTranslation.language, prefs),
                bodies="preview",
            )
        curriculum = views.outline(modules, lessons, module_tr, lesson_tr, course.language, prefs)
    languages = sorted({course.language} | {t.language for t in translations})
    return views.course_detail(course, texts, cards, version, curriculum, languages)


async def version_modules(session: AsyncSession, version_id: uuid.UUID) -> list[AuthoringModuleOut]:
    """A version's modules with full lessons and translation references."""
    modules = await structure_repo.modules_of(session, version_id)
    lessons = await structure_repo.lessons_of(session, version_id)
    module_tr = await structure_repo.module_translations(session, [m.id for m in modules])
    lesson_tr = await structure_repo.lesson_translations(
        session, [x.id for x in lessons], bodies="none"
    )
    return views.authoring_modules(modules, lessons, module_tr, lesson_tr)


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
    return views.authoring_course(
        course,
        cards,
        by_id.get(course.current_version_id) if course.current_version_id else None,
        by_id.get(course.draft_version_id) if course.draft_version_id else None,
        curriculum,
        translations,
    )
