"""Enrollments: enrolling and revoking, the enrollment itself, its progress outline and the
resume point."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from campus.catalog.data import LessonType, PricingTier
from campus.kernel.schemas import ApiModel, InputModel
from campus.learning.data import (
    EnrollmentSource,
    EnrollmentStatus,
    LockReason,
    ProgressStatus,
)
from campus.learning.service.curricula import Lock
from campus.learning.service.records import (
    Admission,
    EnrollmentOutline,
    EnrollmentRecord,
    LessonPlace,
    LessonState,
    ModuleState,
    ResumePoint,
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

    @classmethod
    def of(cls, record: EnrollmentRecord) -> EnrollmentOut:
        return cls(**_enrollment_fields(record))


class EnrollResult(EnrollmentOut):
    #: ``created`` (201), ``reactivated`` (201: a cancelled or expired enrollment is active again
    #: with its progress) or ``existing`` (200: already enrolled; nothing changed).
    outcome: Literal["created", "reactivated", "existing"]

    @classmethod
    def of_admission(cls, admission: Admission) -> EnrollResult:
        return cls(**_enrollment_fields(admission.enrollment), outcome=admission.outcome)


def _enrollment_fields(record: EnrollmentRecord) -> dict[str, Any]:
    s = record.summary
    return {
        "id": s.id,
        "user_id": s.user_id,
        "course_id": s.course_id,
        "version_id": s.version_id,
        "status": s.status,
        "source": s.source,
        "tier": s.tier,
        "enrolled_at": s.enrolled_at,
        "completed_at": s.completed_at,
        "expires_at": s.expires_at,
        "ended_at": record.ended_at,
        "progress_percent": s.progress_percent,
        "completed_items": s.completed_items,
        "total_items": s.total_items,
        "last_activity_at": s.last_activity_at,
    }


# --------------------------------------------------------------------------- progress


class LessonRef(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    type: LessonType
    module_id: uuid.UUID
    module_title: str
    duration_seconds: int

    @classmethod
    def of(cls, place: LessonPlace) -> LessonRef:
        lesson = place.lesson
        return cls(
            id=lesson.id,
            lineage_id=lesson.lineage_id,
            title=lesson.title,
            type=lesson.type,
            module_id=place.module.id,
            module_title=place.module.title,
            duration_seconds=lesson.duration_seconds,
        )

    @classmethod
    def of_optional(cls, place: LessonPlace | None) -> LessonRef | None:
        return None if place is None else cls.of(place)


class LockOut(ApiModel):
    locked: bool = True
    reason: LockReason
    blocking_lesson_id: uuid.UUID
    blocking_module_id: uuid.UUID

    @classmethod
    def of(cls, lock: Lock) -> LockOut:
        return cls(
            reason=lock.reason,
            blocking_lesson_id=lock.blocking_lesson_id,
            blocking_module_id=lock.blocking_module_id,
        )


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

    @classmethod
    def of(cls, state: LessonState) -> LessonStateOut:
        lesson = state.lesson
        return cls(
            id=lesson.id,
            lineage_id=lesson.lineage_id,
            title=lesson.title,
            type=lesson.type,
            position=lesson.position,
            duration_seconds=lesson.duration_seconds,
            is_required=lesson.is_required,
            status=state.status,
            lock=None if state.lock is None else LockOut.of(state.lock),
            view_count=state.view_count,
            position_seconds=state.position_seconds,
            watched_seconds=state.watched_seconds,
            last_viewed_at=state.last_viewed_at,
            completed_at=state.completed_at,
        )


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

    @classmethod
    def of(cls, state: ModuleState) -> ModuleStateOut:
        figures, module = state.figures, state.figures.module
        return cls(
            id=module.id,
            lineage_id=module.lineage_id,
            title=module.title,
            position=module.position,
            is_locked=module.is_locked,
            is_sequential=module.is_sequential,
            status=figures.status,
            progress_percent=figures.percent,
            completed_items=figures.completed,
            total_items=figures.total,
            started_at=state.started_at,
            completed_at=state.completed_at,
            last_accessed_at=state.last_accessed_at,
            lessons=[LessonStateOut.of(x) for x in state.lessons],
        )


class ProgressOutline(ApiModel):
    """The enrolled version's curriculum with this learner's progress and locks."""

    enrollment: EnrollmentOut
    version_number: int
    upgrade_available: bool
    next_lesson: LessonRef | None
    modules: list[ModuleStateOut]

    @classmethod
    def of(cls, outline: EnrollmentOutline) -> ProgressOutline:
        return cls(
            enrollment=EnrollmentOut.of(outline.enrollment),
            version_number=outline.version_number,
            upgrade_available=outline.upgrade_available,
            next_lesson=LessonRef.of_optional(outline.next_lesson),
            modules=[ModuleStateOut.of(m) for m in outline.modules],
        )


class ContinueOut(ApiModel):
    enrollment_id: uuid.UUID
    #: ``resume`` (the unfinished lesson opened last), ``next`` (first open lesson not done) or
    #: ``completed`` (nothing left; ``lesson`` is null).
    reason: Literal["resume", "next", "completed"]
    lesson: LessonRef | None
    position_seconds: int

    @classmethod
    def of(cls, point: ResumePoint) -> ContinueOut:
        return cls(
            enrollment_id=point.enrollment_id,
            reason=point.reason,
            lesson=LessonRef.of_optional(point.lesson),
            position_seconds=point.position_seconds,
        )
