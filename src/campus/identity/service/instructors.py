"""Instructor profiles: public reads and the instructor's own edits."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity import policies
from campus.identity.repository import directory as directory_repo
from campus.identity.repository import users as users_repo
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import NotFound
from campus.kernel.pagination import PageParams


async def public_profile(session: AsyncSession, user_id: uuid.UUID) -> directory_repo.InstructorRow:
    """404 for anyone who is not an active instructor."""
    row = await directory_repo.instructor(session, user_id)
    if row is None:
        raise NotFound("The instructor was not found.")
    return row


async def public_list(
    session: AsyncSession, page: PageParams
) -> tuple[list[directory_repo.InstructorRow], int]:
    return await directory_repo.instructors_page(session, offset=page.offset, limit=page.limit)


async def update_mine(
    session: AsyncSession, principal: Principal, values: Mapping[str, Any]
) -> directory_repo.InstructorRow:
    policies.require_instructor(principal)
    if values:
        await users_repo.upsert_instructor_profile(session, principal.user_id, values, utcnow())
    return await public_profile(session, principal.user_id)
