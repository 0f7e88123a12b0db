"""Every identity query lives in this package (ARCHITECTURE.md §3 rule 2).

* ``users``: accounts, profiles, settings, roles and the token verifier's query;
* ``credentials``: sessions, refresh tokens, email/reset tokens and MFA;
* ``directory``: admin listings, summaries for other contexts, instructors, the role catalog.

Invariants hold in the database: unique email key and token hashes, ``INSERT ... ON CONFLICT``
(PostgreSQL and SQLite) instead of check-then-insert, and conditional ``UPDATE ... RETURNING``
for every single-use token.
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
