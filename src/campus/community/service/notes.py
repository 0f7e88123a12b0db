"""Private lesson notes: a learner's own, per lesson (with an optional video timestamp),
listed per course and exported as Markdown."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community.exceptions import NoteNotFound, NotEnrolled
from campus.community.models import LessonNote
from campus.community.repository import testimonials as repo
from campus.community.service.records import NoteRecord
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.learning import api as learning


def _record(n: LessonNote) -> NoteRecord:
    return NoteRecord(
        id=n.id,
        course_id=n.course_id,
        lesson_id=n.lesson_id,
        text=n.text,
        video_seconds=n.video_seconds,
        created_at=n.created_at,
        updated_at=n.updated_at,
    )


async def add(
    session: AsyncSession,
    principal: Principal,
    lesson_id: uuid.UUID,
    *,
    text: str,
    video_seconds: int | None,
) -> NoteRecord:
    lesson = await catalog.get_lesson_content(session, lesson_id)
    if lesson is None:
        raise field_error("lessonId", "No such lesson.")
    if not await learning.is_enrolled(
        session, principal.user_id, lesson.course_id
    ) and not await catalog.is_course_staff(session, principal, lesson.course_id):
        raise NotEnrolled("Take notes in the courses you are enrolled in.")
    now = utcnow()
    note = LessonNote(
        user_id=principal.user_id,
        course_id=lesson.course_id,
        lesson_id=lesson_id,
        text=text,
        video_seconds=video_seconds,
        created_at=now,
        updated_at=now,
    )
    session.add(note)
    await session.flush()
    return _record(note)


async def _own(session: AsyncSession, principal: Principal, note_id: uuid.UUID) -> LessonNote:
    note = await repo.get_note(session, note_id)
    if note is None or note.user_id != principal.user_id:
        raise NoteNotFound()
    return note


async def edit(
    session: AsyncSession,
    principal: Principal,
    note_id: uuid.UUID,
    *,
    text: str | None,
    video_seconds: int | None,
) -> NoteRecord:
    note = await _own(session, principal, note_id)
    if text is not None:
        note.text = text
    if video_seconds is not None:
        note.video_seconds = video_seconds
    note.updated_at = utcnow()
    await session.flush()
    return _record(note)


async def delete(session: AsyncSession, principal: Principal, note_id: uuid.UUID) -> None:
    note = await _own(session, principal, note_id)
    await session.delete(note)


async def list_for_course(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    lesson_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[NoteRecord], int]:
    found = await repo.notes(session, principal.user_id, course_id, lesson_id)
    return [_record(n) for n in found[offset : offset + limit]], len(found)


def _timestamp(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


async def export_markdown(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> str:
    """The learner's notes of a course as one Markdown document, by lesson in the order of
    the course's curriculum (lessons no longer in it last)."""
    course = await catalog.get_course_summary(session, course_id)
    notes = await repo.notes(session, principal.user_id, course_id, None)
    titles: dict[uuid.UUID, str] = {}
    order: dict[uuid.UUID, int] = {}
    version_id = await catalog.get_current_version_id(session, course_id)
    structure = await catalog.get_version_structure(session, version_id) if version_id else None
    if structure is not None:
        for module in structure.modules:
            for lesson in module.lessons:
                order.setdefault(lesson.id, len(order))
                titles[lesson.id] = lesson.title
    lines = [f"# Notes: {course.title if course else course_id}", ""]
    by_lesson: dict[uuid.UUID, list[LessonNote]] = {}
    for note in notes:
        by_lesson.setdefault(note.lesson_id, []).append(note)
    for lesson_id in sorted(by_lesson, key=lambda lid: (order.get(lid, len(order)), str(lid))):
        lines += [f"## {titles.get(lesson_id, 'Lesson ' + str(lesson_id))}", ""]
        for note in by_lesson[lesson_id]:
            prefix = (
                f"**[{_timestamp(note.video_seconds)}]** " if note.video_seconds is not None else ""
            )
            lines += [prefix + note.text, ""]
    return "\n".join(lines).rstrip() + "\n"
