"""Every learning query lives in this package (ARCHITECTURE.md §3 rule 2).

* ``enrollments``: enrollments, entitlements, counts, expiry;
* ``progress``: lesson and module progress (the heartbeat is one conditional UPDATE);
* ``reports``: dashboards, rosters (page and keyset chunks), the activity feed;
* ``jobs``: bulk enrollment batches and roster exports.

Invariants hold in the database: a unique (user, course) with ``INSERT ... ON CONFLICT``,
conditional ``UPDATE ... WHERE status = ...`` for every transition, never check-then-act.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def upsert(session: AsyncSession, table: Any) -> Any:
    """A dialect ``INSERT`` that supports ``on_conflict_do_nothing/do_update``."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count
