"""Booking's doorway for other contexts (notifications attaches invitations). Checks no
permission; runs in the caller's session."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking.repository import sessions as repo
from campus.booking.service import calendar
from campus.kernel.clock import utcnow

__all__ = ["session_invitation"]


async def session_invitation(
    session: AsyncSession, session_id: uuid.UUID, reader_id: uuid.UUID
) -> bytes | None:
    """The session's .ics invitation for one of its two participants, in that reader's time
    zone (a cancelled session gives a cancellation); None for anyone else or no session."""
    row = await repo.get(session, session_id)
    if row is None or reader_id not in (row.learner_id, row.consultant_user_id):
        return None
    zone = row.learner_time_zone
    if reader_id == row.consultant_user_id:
        profile = await repo.profile(session, reader_id)
        zone = profile.time_zone if profile else zone
    kind = await repo.service_type(session, row.service_type_id)
    return calendar.invitation(
        row,
        service_name=kind.name if kind else "Consultation",
        zone_name=zone,
        now=utcnow(),
        cancelled=row.status.startswith("cancelled"),
    )
