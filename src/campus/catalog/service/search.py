"""Keeping ``catalog_course_search`` in step with what the public catalog shows."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.data import CourseStatus
from campus.catalog.models import Course
from campus.catalog.repository import courses as repo
from campus.catalog.text import search_text, search_words

MAX_QUERY_TOKENS = 8


async def reindex(session: AsyncSession, course: Course) -> None:
    """Index a published course (title and tags weigh more than subtitle and description);
    drop anything else from the index. ``course.tags`` must be loaded and current."""
    if course.status != CourseStatus.PUBLISHED or course.deleted_at is not None:
        await repo.delete_search_document(session, course.id)
        return
    headline = search_text(course.title, *(t.label for t in course.tags), course.track_name)
    body = search_text(course.subtitle, course.description)
    await repo.upsert_search_document(session, course.id, headline, body)


def query_tokens(q: str) -> tuple[str, ...]:
    """Folded words of a search query (each must prefix a word of the course's text)."""
    words: list[str] = []
    for word in search_words(q):
        if word not in words:
            words.append(word[:64])
    return tuple(words[:MAX_QUERY_TOKENS])
