"""Community's handlers: the catalog's rating follows the approved ratings."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.community.events import CourseRatingsChanged
from campus.community.service import reviews
from campus.config import Settings
from campus.kernel.outbox import HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    async def recompute_rating(session: AsyncSession, event: CourseRatingsChanged) -> None:
        # Idempotent: the figures are recomputed from the approved rows, whatever the order
        # or number of deliveries.
        await reviews.recompute_course_rating(session, event.course_id)

    registry.on(CourseRatingsChanged, "community.recompute_course_rating", recompute_rating)
