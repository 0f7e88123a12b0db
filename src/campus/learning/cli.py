"""``campus learning ...``: learning's commands (declared in ``campus.learning.module``)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

import typer
from rich.console import Console

from campus.catalog import api as catalog
from campus.config import get_settings
from campus.kernel.db import Database
from campus.learning import api as learning
from campus.learning.data import CourseRecount

app = typer.Typer(help="Learning: enrollments and their aggregates.", no_args_is_help=True)
console = Console(stderr=True)


class UnknownCourseError(Exception):
    """``--course`` names no course (neither an id nor a slug of a live course)."""


async def _resolve_course(db: Database, ref: str) -> tuple[uuid.UUID, str]:
    """The id and slug of the course ``ref`` names (an id or a slug)."""
    async with db.read_session() as session:
        try:
            course_id: uuid.UUID | None = uuid.UUID(ref)
        except ValueError:
            course_id = None
        if course_id is not None:
            found = await catalog.get_course_summary(session, course_id)
            if found is not None:
                return found.id, found.slug
        by_slug = await catalog.find_course_ids_by_slugs(session, [ref.strip().lower()])
        if by_slug:
            (slug, course_id), *_ = by_slug.items()
            return course_id, slug
    raise UnknownCourseError(ref)


async def recount_enrollment_counts(
    database_url: str,
    *,
    course: str | None = None,
    batch_size: int = 200,
    on_total: Callable[[int], None] = lambda total: None,
    on_batch: Callable[[int], None] = lambda done: None,
) -> list[CourseRecount]:
    """Recompute the catalog's enrollment counts from the enrollments: of one course (id or
    slug; ``UnknownCourseError`` when there is none) or of every course with enrollments or a
    non-zero count, one
    transaction per batch of courses (short row locks; a failure keeps the batches done)."""
    db = Database(database_url, null_pool=True)
    try:
        if course is not None:
            course_id, _ = await _resolve_course(db, course)
            on_total(1)
            async with db.session() as session:
                results = await learning.recount_course_enrollments(session, [course_id])
            on_batch(len(results))
            return results
        async with db.read_session() as session:
            on_total(
                await learning.count_enrolled_courses(session)
                + await catalog.count_counted_courses(session)
            )
        # Every course with enrollments, then every course whose count is above zero but that
        # has no enrollment left (its count can only be stale).
        results = []
        for source in (learning.enrolled_course_ids, catalog.counted_course_ids):
            done = {result.course_id for result in results}
            after: uuid.UUID | None = None
            while True:
                async with db.session() as session:
                    batch = await source(session, after=after, limit=batch_size)
                    todo = [course_id for course_id in batch if course_id not in done]
                    results += await learning.recount_course_enrollments(session, todo)
                on_batch(len(batch))
                if len(batch) < batch_size:
                    break
                after = batch[-1]
        return results
    finally:
        await db.dispose()


@app.command("recount")
def learning_recount(
    course: str | None = typer.Option(
        None, "--course", help="Course id or slug (default: every course with enrollments)."
    ),
    batch_size: int = typer.Option(200, min=1, max=5000, help="Courses per transaction."),
) -> None:
    """Recompute the courses' enrollment counts from the enrollments and fix wrong ones."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    url = get_settings().resolved_database_url
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=course is not None,
    ) as bar:
        task = bar.add_task("Recounting courses", total=None)
        try:
            results = asyncio.run(
                recount_enrollment_counts(
                    url,
                    course=course,
                    batch_size=batch_size,
                    on_total=lambda total: bar.update(task, total=total),
                    on_batch=lambda done: bar.advance(task, done),
                )
            )
        except UnknownCourseError:
            console.print(f"[red]No course with the id or slug[/red] {course!r}.")
            raise typer.Exit(1) from None
    for result in results:
        if result.corrected:
            console.print(f"  {result.course_id}: {result.before} -> {result.after}")
    corrected = sum(result.corrected for result in results)
    console.print(f"[green]Recounted[/green] {len(results)} course(s); {corrected} corrected.")
