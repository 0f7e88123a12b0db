"""Demo data and first-run accounts (composition level: it may call every context's doorway).

The demo data set is every context module's ``demo`` step, in module order; each runs in its
own transaction, sees the accounts created before it (``SeedState``) and must be idempotent.
Demo data is never loaded in production (AUTH-09: no default accounts).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import command
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from campus.config import Settings
from campus.identity import api as identity
from campus.identity.data import ADMIN
from campus.kernel.db import Database
from campus.kernel.errors import AppError, Conflict
from campus.kernel.health import alembic_config
from campus.kernel.logging import get_logger
from campus.kernel.module import DemoAccount, SeedState, all_permissions
from campus.modules import load_modules

log = get_logger("campus.seed")


# --------------------------------------------------------------------------- entry points


async def migrate_database(settings: Settings) -> None:
    """Bring the configured database to the latest migration (from async code)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    url = settings.resolved_database_url
    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.begin() as conn:

            def upgrade(sync_conn: sa.Connection) -> None:
                config = alembic_config(url)
                config.attributes["connection"] = sync_conn
                command.upgrade(config, "heads")

            await conn.run_sync(upgrade)
    finally:
        await engine.dispose()


def _database(settings: Settings) -> Database:
    return Database(settings.resolved_database_url, null_pool=True)


async def seed_demo(settings: Settings) -> list[DemoAccount]:
    """Load the demo data set (migrating first). Safe to run again: existing data is kept."""
    if settings.is_production:
        raise RuntimeError("Demo data is never loaded in production (it has known passwords).")
    await migrate_database(settings)
    db = _database(settings)
    try:
        modules = load_modules()
        await identity.sync_role_catalog(db, all_permissions(modules).values())
        state = SeedState()
        for module in modules:
            if module.demo is not None:
                async with db.session() as session:
                    await module.demo(session, settings, state)
        return state.accounts
    finally:
        await db.dispose()


async def seed_demo_if_first_run(settings: Settings) -> list[DemoAccount] | None:
    """Seed the demo data when the database has no account yet, in development only
    (``seed_demo_on_first_run``). None when nothing was seeded."""
    if settings.is_production or not settings.seed_demo_on_first_run:
        return None
    db = _database(settings)
    try:
        async with db.read_session() as session:
            if await identity.has_users(session):
                return None
    except SQLAlchemyError as exc:  # not migrated (serve --no-migrate): readiness will say so
        log.warning("first_run_check_failed", error=type(exc).__name__)
        return None
    finally:
        await db.dispose()
    return await seed_demo(settings)


async def create_admin_account(
    settings: Settings, *, email: str, password: str, first_name: str, last_name: str
) -> uuid.UUID:
    """A verified administrator (the production way to get the first admin)."""
    await migrate_database(settings)
    db = _database(settings)
    try:
        await identity.sync_role_catalog(db, all_permissions(load_modules()).values())
        async with db.session() as session:
            return await identity.create_user(
                session,
                email=email,
                password=password,
                first_name=first_name,
                last_name=last_name,
                roles=(ADMIN,),
                verified=True,
            )
    except Conflict as exc:
        raise ValueError("An account with this email address already exists.") from exc
    except AppError as exc:
        fields = exc.details.get("fields", [])
        reasons = "; ".join(f"{f['field']}: {f['message']}" for f in fields) or exc.message
        raise ValueError(f"The administrator could not be created: {reasons}") from exc
    finally:
        await db.dispose()
