"""The ``campus`` command."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from campus.config import get_settings

if TYPE_CHECKING:
    from campus.kernel.db import Database
    from campus.learning.data import CourseRecount

app = typer.Typer(help="Campus: an API-first online learning platform.", no_args_is_help=True)
console = Console(stderr=True)


def run_migrations(database_url: str | None = None) -> None:
    """Upgrade the configured database to the latest migration."""
    from alembic import command

    from campus.kernel.health import alembic_config

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(database_url or settings.resolved_database_url), "heads")


@app.command()
def migrate() -> None:
    """Apply every pending database migration."""
    run_migrations()
    console.print("[green]Database is at the latest migration.[/green]")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="Migrate on start."),
) -> None:
    """Serve the API (migrating and, on first run in development, seeding demo data)."""
    import uvicorn

    from campus.seed import seed_demo_if_first_run

    settings = get_settings()
    if migrate_first:
        run_migrations()
    created = asyncio.run(seed_demo_if_first_run(settings))
    if created is not None and not settings.is_production:
        console.print("[bold]Demo accounts[/bold] (development only):")
        for account in created:
            console.print(f"  {account.role:<11} {account.email:<32} {account.password}")
    console.print(
        f"Campus is serving at http://{host}:{port}  (API docs: http://{host}:{port}/docs)"
    )
    uvicorn.run(
        "campus.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_config=None,
        proxy_headers=True,
        server_header=False,
    )


@app.command()
def worker(
    concurrency: int = typer.Option(1, min=1, max=64, help="Messages processed at once."),
) -> None:
    """Run a worker that relays outbox events and runs jobs (the scale-out path)."""
    from campus.worker import run_worker

    asyncio.run(run_worker(get_settings(), concurrency=concurrency))


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo data set (idempotent: existing demo data is left alone)."""
    from campus.seed import seed_demo as run_seed

    settings = get_settings()
    accounts = asyncio.run(run_seed(settings))
    for account in accounts:
        console.print(f"  {account.role:<11} {account.email:<32} {account.password}")


@app.command("seed-catalog-bench")
def seed_catalog_bench(
    courses: int = typer.Option(..., min=1, help="Published courses to generate."),
    modules: int = typer.Option(10, min=1, help="Modules of each detail course."),
    lessons: int = typer.Option(10, min=1, help="Lessons per module of each detail course."),
    detail_courses: int = typer.Option(20, min=0, help="Courses with the full curriculum."),
) -> None:
    """Bulk-load a large published catalog for the catalog benchmark (benchmarks/ only)."""
    import importlib

    try:
        # Lazily, from a source checkout: the generator lives with the benchmarks.
        generator = importlib.import_module("benchmarks.catalog_data")
    except ImportError:
        console.print("[red]seed-catalog-bench needs the benchmarks package[/red] (run it from")
        console.print("the repository root: .venv/bin/python -m campus.cli seed-catalog-bench)")
        raise typer.Exit(1) from None
    summary = generator.run_with_progress(
        get_settings().resolved_database_url,
        courses=courses,
        modules=modules,
        lessons=lessons,
        detail_courses=detail_courses,
    )
    console.print(
        f"[green]Seeded[/green] {summary.courses} courses, {summary.modules} modules, "
        f"{summary.lessons} lessons; detail courses: {', '.join(summary.detail_slugs[:3])}"
        + (" ..." if len(summary.detail_slugs) > 3 else "")
    )


@app.command("create-admin")
def create_admin(
    email: str = typer.Option(..., prompt=True),
    first_name: str = typer.Option("Campus", prompt=True),
    last_name: str = typer.Option("Admin", prompt=True),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an administrator account (verified, with the admin role)."""
    from campus.seed import create_admin_account

    try:
        user_id = asyncio.run(
            create_admin_account(
                get_settings(),
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
            )
        )
    except ValueError as exc:  # a weak password, a taken or invalid email: say so, no traceback
        console.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(code=1) from None
    console.print(f"[green]Administrator created[/green]: {email} ({user_id})")


learning_app = typer.Typer(help="Learning: enrollments and their aggregates.", no_args_is_help=True)
app.add_typer(learning_app, name="learning")


class UnknownCourseError(Exception):
    """``--course`` names no course (neither an id nor a slug of a live course)."""


async def _resolve_course(db: Database, ref: str) -> tuple[uuid.UUID, str]:
    """The id and slug of the course ``ref`` names (an id or a slug)."""
    from campus.catalog import api as catalog

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
    from campus.catalog import api as catalog
    from campus.kernel.db import Database
    from campus.learning import api as learning

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


@learning_app.command("recount")
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


@app.command()
def openapi(
    output: Path = typer.Option(Path("openapi.json"), help="Where to write the spec."),
) -> None:
    """Write the OpenAPI specification to a file."""
    from campus.main import create_app

    spec = create_app(get_settings()).openapi()
    output.write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n")
    console.print(f"OpenAPI spec written to {output}")


if __name__ == "__main__":  # pragma: no cover
    app()
