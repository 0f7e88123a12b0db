"""The catalog's only view of identity: instructor names for course pages, role checks."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity import api as identity_api
from campus.identity.data import InstructorSummary


async def instructor_cards(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, InstructorSummary]:
    """Public instructor summaries in one query (missing or inactive users are left out)."""
    if not ids:
        return {}
    return await identity_api.instructor_summaries(session, list(dict.fromkeys(ids)))


async def are_instructors(session: AsyncSession, ids: Collection[uuid.UUID]) -> set[uuid.UUID]:
    """The subset of ``ids`` that are active instructors."""
    found = await instructor_cards(session, ids)
    return set(found)
