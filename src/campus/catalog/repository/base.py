"""Helpers the catalog repository modules share: reused statements, JSON row aggregates,
guarded writes. Dialect inserts and ``rowcount`` come from ``campus.kernel.db``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

S = TypeVar("S")


def dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


_BUILT: dict[tuple[str, str], Any] = {}


def built_once(session: AsyncSession, name: str, build: Callable[[AsyncSession], S]) -> S:
    """The statement ``name`` for this session's dialect, built on first use and then reused.

    Building a wide select (dozens of columns, correlated JSON subqueries) and computing its
    cache key costs more Python than running it; a statement object that is reused keeps its
    memoised cache key, so only its parameters change from call to call. ``build`` must take
    every per-call value from ``sa.bindparam`` (a literal would be frozen into the statement)
    and may look at the session only for its dialect."""
    key = (dialect(session), name)
    statement = _BUILT.get(key)
    if statement is None:
        statement = _BUILT[key] = build(session)
    return statement


def is_postgres(session: AsyncSession) -> bool:
    return dialect(session) == "postgresql"


def json_rows(session: AsyncSession, *values: Any) -> sa.ColumnElement[Any]:
    """Aggregate of a correlated subquery's rows as a JSON list of arrays (``values`` per row),
    decoded to Python lists. The order of the rows is not defined (SQLite before 3.44 has no
    ``ORDER BY`` inside aggregates): put the sort key in ``values`` and sort in Python. No row
    gives ``None`` on PostgreSQL and ``[]`` on SQLite. SQLite renders booleans as 0/1 and UUIDs
    as 32 hex digits; JSON columns must be wrapped with ``json_value``."""
    if is_postgres(session):
        return sa.func.json_agg(sa.func.json_build_array(*values), type_=sa.JSON)
    return sa.func.json_group_array(sa.func.json_array(*values), type_=sa.JSON)


def json_value(session: AsyncSession, column: Any) -> Any:
    """A JSON column as a JSON value inside ``json_rows`` (SQLite stores it as text)."""
    return column if is_postgres(session) else sa.func.json(column)


def violates(exc: IntegrityError, table: str, columns: Sequence[str]) -> bool:
    """True if ``exc`` is the unique violation of ``table(columns)`` (constraint names follow the
    kernel naming convention on PostgreSQL; SQLite names the columns)."""
    text = str(exc.orig)
    pg_name = f"uq_{table}_{'_'.join(columns)}"
    sqlite_name = ", ".join(f"{table}.{column}" for column in columns)
    return pg_name in text or sqlite_name in text


async def guarded(session: AsyncSession, statement: sa.Executable) -> IntegrityError | None:
    """Run ``statement`` in a savepoint; a constraint violation rolls back only the savepoint
    and is returned (the caller decides: retry with another value, or a 409)."""
    try:
        async with session.begin_nested():
            await session.execute(statement)
    except IntegrityError as exc:
        return exc
    return None
