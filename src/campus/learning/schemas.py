"""Learning wire models: camelCase JSON; inputs forbid unknown fields (AC-03/04: nobody sets
``status``, ``progress`` or ``completedAt`` through a payload)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from campus.catalog.data import ContentUrlType, LessonType, PricingTier
from campus.kernel.pagination import Page
from campus.kernel.schemas import ApiModel, InputModel, Instant
from campus.learning.data import (
    ActivityType,
    BulkRowResult,
    CompletionSource,
    EnrollmentSource,
    EnrollmentStatus,
    EntitlementSource,
    EntitlementStatus,
    JobStatus,
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


class HeartbeatIn(InputModel):
    """Sent by the video player every ~10 seconds while it plays."""

    position_seconds: float = Field(ge=0, le=86_400, description="Playback position")
    watched_seconds: float = Field(
        ge=0,
        le=3_600,
        description="Seconds played since the previous heartbeat. Credit is capped by the wall "
        "time since the last credited heartbeat (plus a small tolerance) and by the duration.",
    )


class GrantRequest(InputModel):
    """Complimentary access for one learner, named by id or by email."""

    user_id: uuid.UUID | None = None
    email: str | None = Field(default=None, min_length=3, max_length=320)
    tier: PricingTier | None = None
    expires_at: Instant | None = None

    @model_validator(mode="after")
    def _one_learner(self) -> GrantRequest:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("give exactly one of userId and email")
        return self


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


class CourseRef(ApiModel):
    id: uuid.UUID
    slug: str
    title: str
    thumbnail_url: str | None


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


class LessonProgressOut(ApiModel):
    status: ProgressStatus
    view_count: int
    position_seconds: int
    watched_seconds: int
    started_at: datetime | None
    last_viewed_at: datetime | None
    completed_at: datetime | None
    completed_by: CompletionSource | None


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


# --------------------------------------------------------------------------- lessons


class ContentUrlOut(ApiModel):
    type: ContentUrlType
    url: str


class LessonAttachmentOut(ApiModel):
    name: str
    url: str
    size_bytes: int | None
    mime_type: str | None


class LessonView(ApiModel):
    """Full lesson content. ``enrollmentId``/``progress`` are null for instructors and admins
    reading without an enrollment."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    module_id: uuid.UUID
    title: str
    type: LessonType
    language: str
    body: str | None
    content_urls: list[ContentUrlOut]
    video_url: str | None
    video_duration_seconds: int | None
    presentation_url: str | None
    attachments: list[LessonAttachmentOut]
    quiz_id: uuid.UUID | None
    assignment_id: uuid.UUID | None
    is_required: bool
    estimated_minutes: int | None
    enrollment_id: uuid.UUID | None
    progress: LessonProgressOut | None


class LessonProgressResult(ApiModel):
    """A lesson's progress after start/complete, with the course figures."""

    lesson_id: uuid.UUID
    lineage_id: uuid.UUID
    enrollment_id: uuid.UUID
    progress: LessonProgressOut
    course_progress_percent: int
    completed_items: int
    total_items: int
    enrollment_status: EnrollmentStatus


class HeartbeatOut(ApiModel):
    lesson_id: uuid.UUID
    position_seconds: int
    watched_seconds: int
    duration_seconds: int
    #: Watched seconds that complete the video (the configured share of its duration).
    required_seconds: int
    completed: bool


# --------------------------------------------------------------------------- dashboards


class MyCourseOut(ApiModel):
    enrollment_id: uuid.UUID
    course: CourseRef
    status: EnrollmentStatus
    progress_percent: int
    completed_items: int
    total_items: int
    enrolled_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    last_activity_at: datetime
    next_lesson: LessonRef | None
    upgrade_available: bool


class ActivityOut(ApiModel):
    id: uuid.UUID
    type: ActivityType
    occurred_at: datetime
    course_id: uuid.UUID
    course_title: str | None
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    #: Titles as they were when it happened (``lessonTitle``, ``moduleTitle``), and details
    #: such as ``completedBy`` or ``reason``.
    data: dict[str, Any]


class RosterEntryOut(ApiModel):
    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    name: str | None
    email: str | None
    status: EnrollmentStatus
    source: EnrollmentSource
    tier: str | None
    progress_percent: int
    completed_items: int
    total_items: int
    enrolled_at: datetime
    last_activity_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None


class RosterLearnerOut(ApiModel):
    learner: RosterEntryOut
    outline: ProgressOutline


class EntitlementOut(ApiModel):
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    source: EntitlementSource
    tier: str | None
    reference: str | None
    status: EntitlementStatus
    granted_at: datetime
    granted_by: uuid.UUID | None
    expires_at: datetime | None


# --------------------------------------------------------------------------- jobs


class BulkRowOut(ApiModel):
    row_number: int
    email: str | None
    course: str | None
    mode: str | None
    expires_at: datetime | None
    #: ``null`` while the job has not handled the row yet.
    result: BulkRowResult | None
    reason: str | None
    enrollment_id: uuid.UUID | None


class BulkBatchOut(ApiModel):
    id: uuid.UUID
    status: JobStatus
    file_name: str
    total_rows: int
    counts: dict[str, int]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    rows: Page[BulkRowOut]


class RosterExportOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID
    status: JobStatus
    row_count: int
    byte_size: int
    created_at: datetime
    finished_at: datetime | None
    error: str | None
    #: Where to fetch the CSV once ``status`` is ``done``.
    download_url: str | None
