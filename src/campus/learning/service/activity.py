"""The learner's activity feed: one line per change, written in the change's transaction."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.ids import new_id
from campus.learning.data import ActivityType
from campus.learning.models import Enrollment
from campus.learning.repository import reports as reports_repo


async def record_activity(
    session: AsyncSession,
    *,
    kind: ActivityType,
    enrollment: Enrollment,
    now: datetime,
    module_id: uuid.UUID | None = None,
    lesson_id: uuid.UUID | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """One line of the learner's feed, written in the same transaction as the change."""
    await reports_repo.add_activity(
        session,
        {
            "id": new_id(),
            "user_id": enrollment.user_id,
            "type": kind.value,
            "course_id": enrollment.course_id,
            "enrollment_id": enrollment.id,
            "module_id": module_id,
            "lesson_id": lesson_id,
            "occurred_at": now,
            "data": data or {},
        },
    )
