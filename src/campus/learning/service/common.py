"""Shared pieces of the learning services: settings they use, conversions, activity records."""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.catalog.data import PricingTier
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.ids import new_id
from campus.learning import policies
from campus.learning.data import (
    ACCESS_STATUSES,
    ActivityType,
    EnrollmentSource,
    EnrollmentStatus,
    EnrollmentSummary,
    ProgressStatus,
)
from campus.learning.models import Enrollment, LessonProgress
from campus.learning.repository import reports as reports_repo
from campus.learning.schemas import EnrollmentOut, LessonProgressOut
from campus.learning.settings import LearningSettings

#: Higher tiers include the lower ones.
TIER_RANK = {PricingTier.BASIC: 1, PricingTier.PRO: 2, PricingTier.PREMIUM: 3}


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings learning's services follow (built from ``campus.config.Settings``)."""

    video_completion_share: float = 0.9
    heartbeat_tolerance_seconds: int = 5
    activity_touch_seconds: int = 60
    bulk_max_bytes: int = 512 * 1024
    bulk_max_rows: int = 5000
    export_chunk_rows: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            video_completion_share=LearningSettings.of(settings).video_completion_share,
            heartbeat_tolerance_seconds=LearningSettings.of(settings).heartbeat_tolerance_seconds,
            activity_touch_seconds=LearningSettings.of(settings).activity_touch_seconds,
            bulk_max_bytes=LearningSettings.of(settings).bulk_max_bytes,
            bulk_max_rows=LearningSettings.of(settings).bulk_max_rows,
            export_chunk_rows=LearningSettings.of(settings).export_chunk_rows,
        )

    def required_seconds(self, duration: int) -> int:
        """Watched seconds that complete a video of ``duration`` seconds."""
        return math.ceil(duration * self.video_completion_share)


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def epoch(now: datetime) -> int:
    return math.floor(now.timestamp())


def effective_status(row: Enrollment, now: datetime) -> EnrollmentStatus:
    """The stored status, except that access past ``expires_at`` reads as expired (the expiry
    job writes it down later)."""
    status = EnrollmentStatus(row.status)
    if status in ACCESS_STATUSES and row.expires_at is not None and row.expires_at <= now:
        return EnrollmentStatus.EXPIRED
    return status


def has_access(row: Enrollment, now: datetime) -> bool:
    return effective_status(row, now) in ACCESS_STATUSES


def summary(row: Enrollment, now: datetime) -> EnrollmentSummary:
    return EnrollmentSummary(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        version_id=row.version_id,
        status=effective_status(row, now),
        source=EnrollmentSource(row.source),
        tier=row.tier,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        expires_at=row.expires_at,
        progress_percent=row.progress_percent,
        completed_items=row.completed_items,
        total_items=row.total_items,
        last_activity_at=row.last_activity_at,
    )


def enrollment_out(row: Enrollment, now: datetime) -> EnrollmentOut:
    return EnrollmentOut(
        id=row.id,
        user_id=row.user_id,
        course_id=row.course_id,
        version_id=row.version_id,
        status=effective_status(row, now),
        source=EnrollmentSource(row.source),
        tier=row.tier,
        enrolled_at=row.enrolled_at,
        completed_at=row.completed_at,
        expires_at=row.expires_at,
        ended_at=row.ended_at,
        progress_percent=row.progress_percent,
        completed_items=row.completed_items,
        total_items=row.total_items,
        last_activity_at=row.last_activity_at,
    )


def lesson_progress_out(row: LessonProgress | None) -> LessonProgressOut:
    if row is None:
        return LessonProgressOut(
            status=ProgressStatus.NOT_STARTED,
            view_count=0,
            position_seconds=0,
            watched_seconds=0,
            started_at=None,
            last_viewed_at=None,
            completed_at=None,
            completed_by=None,
        )
    return LessonProgressOut.model_validate(
        {
            "status": ProgressStatus.COMPLETED if row.completed_at else ProgressStatus(row.status),
            "view_count": row.view_count,
            "position_seconds": row.position_seconds,
            "watched_seconds": row.watched_seconds,
            "started_at": row.started_at,
            "last_viewed_at": row.last_viewed_at,
            "completed_at": row.completed_at,
            "completed_by": row.completed_by,
        }
    )


async def staff_of(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> tuple[bool, tuple[uuid.UUID, ...]]:
    """Whether the caller teaches the course or manages every enrollment, and who teaches it."""
    instructors = await catalog.course_instructor_ids(session, course_id)
    return policies.can_bypass_locks(principal, instructors), instructors


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
