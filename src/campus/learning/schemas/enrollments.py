"""Enrollments: enrolling and revoking, the enrollment itself, its progress outline and the
resume point."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from campus.catalog.data import LessonType, PricingTier
from campus.kernel.schemas import ApiModel, InputModel
from campus.learning.data import (
    EnrollmentSource,
    EnrollmentStatus,
    LockReason,
    ProgressStatus,
)

# --------------------------------------------------------------------------- inputs


class EnrollRequest(InputModel):
    course_id: uuid.UUID
    #: Pricing tier wanted (paid courses: must be covered by the learner's entitlement).
    tier: PricingTier | None = None


class RevokeRequest(InputModel):
    reason: str | None = Field(default=None, max_length=500)


# --------------------------------------------------------------------------- enrollments


class EnrollmentOut(ApiModel):
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    status: EnrollmentStatus
    source: EnrollmentSource
    tier: str | None
    enrolled_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    ended_at: datetime | None
    progress_percent: int
    completed_items: int
    total_items: int
    last_activity_at: datetime


class EnrollResult(EnrollmentOut):
    #: ``created`` (201), ``reactivated`` (201: a cancelled or expired enrollment is active again
    #: with its progress) or ``existing`` (200: already enrolled; nothing changed).
    outcome: Literal["created", "reactivated", "existing"]


# --------------------------------------------------------------------------- progress


class LessonRef(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    type: LessonType
    module_id: uuid.UUID
    module_title: str
    duration_seconds: int


class LockOut(ApiModel):
    locked: bool = True
    reason: LockReason
    blocking_lesson_id: uuid.UUID
    blocking_module_id: uuid.UUID


class LessonStateOut(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    type: LessonType
    position: int
    duration_seconds: int
    is_required: bool
    status: ProgressStatus
    lock: LockOut | None
    view_count: int
    position_seconds: int
    watched_seconds: int
    last_viewed_at: datetime | None
    completed_at: datetime | None


class ModuleStateOut(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    position: int
    is_locked: bool
    is_sequential: bool
    status: ProgressStatus
    progress_percent: int
    completed_items: int
    total_items: int
    started_at: datetime | None
    completed_at: datetime | None
    last_accessed_at: datetime | None
    lessons: list[LessonStateOut]


class ProgressOutline(ApiModel):
    """The enrolled version's curriculum with this learner's progress and locks."""

    enrollment: EnrollmentOut
    version_number: int
    upgrade_available: bool
    next_lesson: LessonRef | None
    modules: list[ModuleStateOut]


class ContinueOut(ApiModel):
    enrollment_id: uuid.UUID
    #: ``resume`` (the unfinished lesson opened last), ``next`` (first open lesson not done) or
    #: ``completed`` (nothing left; ``lesson`` is null).
    reason: Literal["resume", "next", "completed"]
    lesson: LessonRef | None
    position_seconds: int
