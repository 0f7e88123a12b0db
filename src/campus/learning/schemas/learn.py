"""Lessons: their content, the learner's progress on them, video heartbeats."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from campus.catalog.data import ContentUrlType, LessonType
from campus.kernel.schemas import ApiModel, InputModel
from campus.learning.data import CompletionSource, EnrollmentStatus, ProgressStatus


class HeartbeatIn(InputModel):
    """Sent by the video player every ~10 seconds while it plays."""

    position_seconds: float = Field(ge=0, le=86_400, description="Playback position")
    watched_seconds: float = Field(
        ge=0,
        le=3_600,
        description="Seconds played since the previous heartbeat. Credit is capped by the wall "
        "time since the last credited heartbeat (plus a small tolerance) and by the duration.",
    )


class LessonProgressOut(ApiModel):
    status: ProgressStatus
    view_count: int
    position_seconds: int
    watched_seconds: int
    started_at: datetime | None
    last_viewed_at: datetime | None
    completed_at: datetime | None
    completed_by: CompletionSource | None


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
