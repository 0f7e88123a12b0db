"""Alembic is the only way the schema changes: models and migrations must not drift."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from campus.kernel.db import include_in_schema_compare, include_name
from campus.kernel.health import migration_heads
from campus.models import metadata


async def test_models_and_migrations_do_not_drift(database_url: str) -> None:
    engine = create_async_engine(database_url)

    def diff(conn: sa.Connection) -> list[object]:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                # Raw-SQL, single-dialect objects (e.g. the catalog's search index) are skipped.
                "include_name": include_name,
                "include_object": include_in_schema_compare,
            },
        )
        return list(compare_metadata(context, metadata))

    async with engine.connect() as conn:
        differences = await conn.run_sync(diff)
    await engine.dispose()
    assert differences == [], f"models and migrations differ: {differences}"


async def test_database_is_at_the_single_migration_head(database_url: str) -> None:
    engine = create_async_engine(database_url)
    async with engine.connect() as conn:
        current = set(
            (await conn.execute(sa.text("SELECT version_num FROM alembic_version"))).scalars()
        )
    await engine.dispose()
    heads = migration_heads()
    assert len(heads) == 1, f"migration history must be linear, found heads {heads}"
    assert current == heads


def test_no_index_or_constraint_depends_on_lower() -> None:
    """SQLite connections replace lower() with a Unicode one (``campus.kernel.db``): an index
    or a constraint built with the built-in would disagree with it."""
    texts = []
    for table in metadata.tables.values():
        texts += [str(expr) for index in table.indexes for expr in index.expressions]
        texts += [str(c.sqltext) for c in table.constraints if isinstance(c, sa.CheckConstraint)]
    assert len(texts) > 50
    assert not [text for text in texts if "lower(" in text.lower()]
