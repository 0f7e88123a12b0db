"""Commerce demo data: coupons, tax rates and a few orders (idempotent)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.module import SeedState


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    """Seeds nothing yet."""
