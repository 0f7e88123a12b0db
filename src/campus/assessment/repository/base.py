"""Dialect helpers shared by the assessment repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert(session: AsyncSession, table: Any) -> Any:
    """``INSERT`` with ``ON CONFLICT`` support on both backends."""
    if is_postgres(session):
        return postgresql.insert(table)
    return sqlite.insert(table)


def rowcount(result: Any) -> int:
    count: int = result.rowcount
    return count
