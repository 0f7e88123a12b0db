"""Community's demo data (idempotent): filled in below."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.module import SeedState


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    return None
