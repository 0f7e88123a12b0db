"""The ``campus`` command."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape

from campus.config import Settings, get_settings, private_directory

app = typer.Typer(help="Campus: an API-first online learning platform.", no_args_is_help=True)
console = Console(stderr=True)


def run_migrations(database_url: str | None = None) -> None:
    """Upgrade the configured database to the latest migration."""
    from alembic import command

    from campus.kernel.health import alembic_config

    settings = get_settings()
    private_directory(settings.data_dir)
    command.upgrade(alembic_config(database_url or settings.resolved_database_url), "heads")


@app.command()
def migrate() -> None:
    """Apply every pending database migration."""
    run_migrations()
    console.print("[green]Database is at the latest migration.[/green]")


#: Where the worker processes of ``campus serve --workers N`` keep their metric values, so
#: ``/metrics`` (answered by any one of them) reports the sum over all of them: the variable of
#: prometheus_client's multiprocess mode, set before the workers start.
METRICS_DIRECTORY_ENV = "PROMETHEUS_MULTIPROC_DIR"


#: How long uvicorn's supervisor waits for a worker to answer its health check before killing
#: and replacing it. A new worker imports every context before it can answer (seconds on a
#: busy machine, more than uvicorn's default of 5 s), and was then replaced over and over.
WORKER_HEALTHCHECK_SECONDS = 60


def workers_problem(settings: Settings, workers: int) -> str | None:
    """Why ``workers`` processes cannot serve with these settings, or None. Without Redis each
    process would keep its own response cache and catalog generation (a change made through one
    process would not reach the pages cached by the others) and its own rate-limit counters
    (each limit multiplied by the number of processes)."""
    if workers > 1 and not settings.redis_url:
        return (
            "Several worker processes need CAMPUS_REDIS_URL: the response cache, its "
            "invalidation and the rate limits must be shared by every process."
        )
    return None


def metrics_directory(settings: Settings) -> Path:
    """The (emptied) directory of the workers' metric files, inside the data directory."""
    directory = private_directory(settings.data_dir / "metrics")
    for stale in directory.glob("*.db"):  # values of a previous run are not this run's
        stale.unlink()
    return directory


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    migrate_first: bool = typer.Option(True, "--migrate/--no-migrate", help="Migrate on start."),
    workers: int = typer.Option(
        1, min=1, max=64, help="Worker processes (more than one needs CAMPUS_REDIS_URL)."
    ),
) -> None:
    """Serve the API (migrating and, on first run in development, seeding demo data)."""
    import uvicorn

    from campus.seed import seed_demo_if_first_run

    settings = _with_base_url(get_settings(), host, port)
    problem = workers_problem(settings, workers)
    if problem is not None:
        console.print(f"[red]{problem}[/red]")
        raise typer.Exit(code=1)
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
    options = server_options(settings, host, port)
    if workers > 1:
        # Each worker builds its own app (migrations and the demo data are done once, above);
        # the embedded job runner and the periodic schedules run in each, which their claims
        # and conditional updates make safe (docs/adr/0027).
        os.environ[METRICS_DIRECTORY_ENV] = str(metrics_directory(settings))
        options["workers"] = workers
        options["timeout_worker_healthcheck"] = WORKER_HEALTHCHECK_SECONDS
    uvicorn.run("campus.main:create_app", factory=True, **options)


def server_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """How ``campus serve`` runs uvicorn. Proxy headers (``X-Forwarded-For``/``-Proto``) are
    believed only from ``CAMPUS_TRUSTED_PROXIES``; uvicorn then takes the right-most address
    that is not a trusted proxy as the client's. With no trusted proxy the peer address is the
    client, whatever the headers say."""
    trusted = settings.trusted_proxies
    return {
        "host": host,
        "port": port,
        "log_config": None,
        "server_header": False,
        "proxy_headers": bool(trusted),
        "forwarded_allow_ips": ",".join(trusted) if trusted else "",
    }


def _with_base_url(settings: Settings, host: str, port: int) -> Settings:
    """Outside production, an unset ``CAMPUS_BASE_URL`` becomes the address this server
    listens on, so the links in its emails lead to it (production requires the setting)."""
    if settings.is_production or "base_url" in settings.model_fields_set:
        return settings
    shown = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104  # nosec B104
    shown = f"[{shown}]" if ":" in shown else shown
    os.environ["CAMPUS_BASE_URL"] = f"http://{shown}:{port}"
    get_settings.cache_clear()
    return get_settings()


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


@app.command()
def openapi(
    output: Path = typer.Option(Path("openapi.json"), help="Where to write the spec."),
) -> None:
    """Write the OpenAPI specification to a file."""
    from campus.main import create_app

    spec = create_app(get_settings()).openapi()
    output.write_text(json.dumps(spec, indent=2, sort_keys=True) + "\n")
    console.print(f"OpenAPI spec written to {output}")


def _add_module_commands() -> None:
    """``campus <context> ...`` for every context module that declares commands."""
    from campus.modules import load_modules

    for module in load_modules():
        if module.cli is not None:
            app.add_typer(module.cli, name=module.name)


_add_module_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
