"""Database access: engine, one session per unit of work, and the shared column types.

Rules (ARCHITECTURE.md §3): services never commit; the request scope (or a job) commits once.
SQLite runs every transaction as ``BEGIN IMMEDIATE`` so concurrent writers queue on the
busy timeout instead of failing on a lock upgrade; PostgreSQL runs READ COMMITTED and relies
on constraints, conditional updates and row locks.
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from sqlalchemy.pool import NullPool

from campus.kernel.clock import as_utc, utcnow
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger

_log = get_logger("campus.db")

#: ``session.info`` flag set by ``campus.kernel.outbox`` when a unit of work wrote outbox rows.
OUTBOX_DIRTY = "outbox_dirty"

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use campus.kernel.clock")
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


class JSONDoc(sa.TypeDecorator[Any]):
    """JSON documents: JSONB on PostgreSQL, JSON text on SQLite."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())


JSONType = JSONDoc


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: sa.Uuid()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def _unicode_lower(value: object) -> object:
    """``lower()`` for SQLite connections. SQLite's own folds ASCII letters only, so a search
    for "émile" missed "Émile" there while PostgreSQL found it; this one folds every letter."""
    return value.lower() if isinstance(value, str) else value


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy emit BEGIN itself (see _sqlite_begin) instead of the driver.
    dbapi_connection.isolation_level = None
    # Replaces the built-in for this connection (no index or constraint uses lower()).
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


#: A pooled PostgreSQL connection idle longer than this is checked before it is handed out.
PING_AFTER_IDLE_SECONDS = 10.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """Hand out a pooled connection after a ping only if it sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout, and for asyncpg a ping is three
    round trips (BEGIN, an empty statement, ROLLBACK): as many as a one-query request
    sends. A connection that has been busy is known to work; one that sat in the pool (across
    a database restart, a failover, an idle timeout) is checked, and a dead one is replaced
    (raising ``DisconnectionError`` makes the pool discard it and connect anew). ADR 0022."""
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        dbapi_connection.ping()
    except Exception as exc:
        raise DisconnectionError("the pooled connection failed its ping") from exc


#: A plain ``SELECT``: no locking clause, no ``INTO``, none of the functions with effects that
#: last until the end of the transaction (sequences, advisory locks, settings, notifications).
_PLAIN_SELECT = re.compile(r"\s*select\b", re.IGNORECASE)
_NEEDS_TRANSACTION = re.compile(
    r"\bfor\s+(?:update|share|no\s+key\s+update|key\s+share)\b|\binto\b|nextval|setval|currval|"
    r"lastval|pg_advisory|set_config|pg_notify|txid_current|pg_current_xact_id",
    re.IGNORECASE,
)


#: The adapter's isolation level: the connection's default (READ COMMITTED, checked when it is
#: opened), or READ COMMITTED chosen explicitly; a stricter level keeps every read inside.
_DEFERRABLE_LEVELS = frozenset({None, "read_committed"})


@functools.lru_cache(maxsize=4096)
def _plain_read(statement: str) -> bool:
    return bool(_PLAIN_SELECT.match(statement)) and not _NEEDS_TRANSACTION.search(statement)


class _DeferredBeginCursor(AsyncAdapt_asyncpg_cursor):
    """Sends a plain ``SELECT`` that comes before any write without opening a transaction.

    SQLAlchemy's asyncpg adapter sends ``BEGIN`` before a unit of work's first statement, and
    the unit of work ends with ``COMMIT``: a read-only request paid two round trips besides its
    queries (a one-query request, three). Under READ COMMITTED every statement takes its own
    snapshot whether or not it is inside a transaction, and a plain ``SELECT`` takes no lock
    and changes nothing, so running it outside one changes no result. The first statement that
    is not a plain ``SELECT`` (a write, a ``SET LOCAL``, a ``SELECT ... FOR UPDATE``, an
    advisory lock, a savepoint) opens the transaction as before, and everything after it runs
    inside; a unit of work that only read sends neither ``BEGIN`` nor ``COMMIT``. Server-side
    (streaming) cursors always run in a transaction, as PostgreSQL requires."""

    __slots__ = ()

    async def _prepare_and_execute(self, operation: Any, parameters: Any) -> Any:
        adapted = self._adapt_connection
        level = adapted.isolation_level
        if (
            adapted._transaction is not None
            or level not in _DEFERRABLE_LEVELS
            or not _plain_read(operation)
        ):
            return await super()._prepare_and_execute(operation, parameters)  # type: ignore[no-untyped-call]
        adapted.isolation_level = "autocommit"  # the adapter then skips its BEGIN
        try:
            return await super()._prepare_and_execute(operation, parameters)  # type: ignore[no-untyped-call]
        finally:
            adapted.isolation_level = level


class _DeferredBeginConnection(AsyncAdapt_asyncpg_connection):
    __slots__ = ()
    _cursor_cls = _DeferredBeginCursor


def _defer_begin_of_reads(dbapi_connection: Any, _record: Any) -> None:
    """Pool ``connect`` hook: reads before a unit of work's first write run outside a
    transaction, if this connection's transactions are READ COMMITTED (the server's default
    and Campus's; under a stricter default, reads must share the transaction's snapshot)."""
    if type(dbapi_connection) is not AsyncAdapt_asyncpg_connection:
        return
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SHOW default_transaction_isolation")
        row = cursor.fetchone()
    finally:
        cursor.close()
        dbapi_connection.rollback()  # type: ignore[no-untyped-call]
    if dbapi_connection.isolation_level is None and row is not None and row[0] == "read committed":
        dbapi_connection.__class__ = _DeferredBeginConnection


def _sqlite_begin(conn: sa.Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


class Database:
    """Owns the engine and hands out sessions. One per process (app or worker).

    ``on_outbox_commit(callback)`` registers a plain function called right after a unit of
    work that wrote outbox rows has committed (the in-process runner and the Redis wake-up use
    it). Callbacks run synchronously inside the commit, so they must only schedule work.
    """

    def __init__(
        self, url: str, *, pool_size: int = 10, echo: bool = False, null_pool: bool = False
    ) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {"echo": echo}
        if null_pool:
            kwargs["poolclass"] = NullPool
        elif self.is_sqlite:
            kwargs["connect_args"] = {"timeout": 30}
            kwargs["pool_size"] = min(pool_size, 5)
            kwargs["max_overflow"] = 10
        else:
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            event.listen(self.engine.sync_engine, "connect", _defer_begin_of_reads)
            if not null_pool:
                event.listen(self.engine.sync_engine.pool, "checkin", _note_checkin)
                event.listen(self.engine.sync_engine.pool, "checkout", _ping_if_idle)
        self._outbox_commit_hooks: list[Callable[[], None]] = []
        # A session class of our own, so the hooks see this database's commits only (a listener
        # on the global ``Session`` would fire for every engine in the process).
        session_class = type("CampusSession", (Session,), {})
        event.listen(session_class, "after_commit", self._after_commit)
        event.listen(session_class, "after_rollback", self._after_rollback)
        self.sessionmaker = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            autoflush=True,
            sync_session_class=session_class,
        )

    def on_outbox_commit(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after each commit that wrote outbox rows; returns the remover."""
        self._outbox_commit_hooks.append(callback)

        def remove() -> None:
            if callback in self._outbox_commit_hooks:
                self._outbox_commit_hooks.remove(callback)

        return remove

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(OUTBOX_DIRTY, False):
            for callback in list(self._outbox_commit_hooks):
                try:
                    callback()
                except Exception:  # a wake-up must never turn a commit into an error
                    _log.exception("outbox_commit_hook_failed")

    @staticmethod
    def _after_rollback(session: Session) -> None:
        session.info.pop(OUTBOX_DIRTY, None)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits once at the end, rolls back on any error."""
        async with self.sessionmaker() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only: nothing it does is committed."""
        async with self.sessionmaker() as session:
            try:
                yield session
            finally:
                await session.rollback()

    async def dispose(self) -> None:
        await self.engine.dispose()


# --------------------------------------------------------------------------- statements


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """A dialect ``INSERT`` for ``table`` (a model or a ``Table``) that supports
    ``.on_conflict_do_nothing(...)`` and ``.on_conflict_do_update(...)`` on PostgreSQL and
    SQLite alike: the way to insert-or-ignore and upsert without check-then-act."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def rowcount(result: Any) -> int:
    """Rows an ``UPDATE``/``DELETE`` (or ``INSERT ... ON CONFLICT DO NOTHING``) touched; the
    typed ``Result`` hides ``rowcount``, which ``CursorResult`` has on every backend."""
    return int(getattr(result, "rowcount", 0) or 0)


async def get_database(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


async def _request_session(request: Request) -> AsyncIterator[AsyncSession]:
    # The database is read from the app here rather than through ``get_database``: one
    # dependency less to resolve on every request that uses the database.
    db: Database = request.app.state.db
    async with db.session() as session:
        yield session


#: The request's unit of work. ``scope="function"`` commits right after the endpoint returns and
#: before the response is built, so a failed commit becomes an error response, never a lost write.
SessionDep = Depends(_request_session, scope="function")


# --------------------------------------------------------------------------- schema compare

#: Schema objects a migration creates with raw SQL for one dialect only (an SQLite FTS5 table and
#: its shadow tables, a PostgreSQL expression index). They are not in the models, so the
#: models/migrations drift check (``migrations/env.py``, ``tests/kernel/test_migrations.py``) must
#: skip them. Contexts register names from their ``models.py``; a name also covers ``name_*``.
_UNMANAGED_SCHEMA_NAMES: set[str] = set()


def register_unmanaged_schema_objects(*names: str) -> None:
    """Declare raw-SQL, single-dialect schema objects the drift check must not report."""
    _UNMANAGED_SCHEMA_NAMES.update(names)


def is_unmanaged_schema_object(name: str | None) -> bool:
    if not name:
        return False
    return any(name == base or name.startswith(base + "_") for base in _UNMANAGED_SCHEMA_NAMES)


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic ``include_name`` hook: never reflect unmanaged objects."""
    return not is_unmanaged_schema_object(name)


def include_in_schema_compare(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave unmanaged objects out of the comparison."""
    return not is_unmanaged_schema_object(name)
