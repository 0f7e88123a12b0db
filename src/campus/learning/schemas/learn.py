"""Lessons: their content, the learner's progress on them, video heartbeats."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from campus.catalog.data import Attachment, ContentUrl, ContentUrlType, LessonType
from campus.kernel.schemas import ApiModel, InputModel
from campus.learning.data import CompletionSource, EnrollmentStatus, ProgressStatus
from campus.learning.service.records import (
    HeartbeatCredit,
    LessonProgressRecord,
    LessonProgressUpdate,
    LessonReading,
)


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

    @classmethod
    def of(cls, record: LessonProgressRecord) -> LessonProgressOut:
        return cls(
            status=record.status,
            view_count=record.view_count,
            position_seconds=record.position_seconds,
            watched_seconds=record.watched_seconds,
            started_at=record.started_at,
            last_viewed_at=record.last_viewed_at,
            completed_at=record.completed_at,
            completed_by=record.completed_by,
        )


class ContentUrlOut(ApiModel):
    type: ContentUrlType
    url: str

    @classmethod
    def of(cls, content_url: ContentUrl) -> ContentUrlOut:
        return cls(type=content_url.type, url=content_url.url)


class LessonAttachmentOut(ApiModel):
    name: str
    url: str
    size_bytes: int | None
    mime_type: str | None

    @classmethod
    def of(cls, attachment: Attachment) -> LessonAttachmentOut:
        return cls(
            name=attachment.name,
            url=attachment.url,
            size_bytes=attachment.size_bytes,
            mime_type=attachment.mime_type,
        )


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

    @classmethod
    def of(cls, reading: LessonReading) -> LessonView:
        content = reading.content
        return cls(
            id=content.id,
            lineage_id=content.lineage_id,
            course_id=content.course_id,
            version_id=content.version_id,
            module_id=content.module_id,
            title=content.title,
            type=content.type,
            language=content.language,
            body=content.body,
            content_urls=[ContentUrlOut.of(u) for u in content.content_urls],
            video_url=content.video_url,
            video_duration_seconds=content.video_duration_seconds,
            presentation_url=content.presentation_url,
            attachments=[LessonAttachmentOut.of(a) for a in content.attachments],
            quiz_id=content.quiz_id,
            assignment_id=content.assignment_id,
            is_required=content.is_required,
            estimated_minutes=content.estimated_minutes,
            enrollment_id=reading.enrollment_id,
            progress=None if reading.progress is None else LessonProgressOut.of(reading.progress),
        )


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

    @classmethod
    def of(cls, update: LessonProgressUpdate) -> LessonProgressResult:
        return cls(
            lesson_id=update.lesson_id,
            lineage_id=update.lineage_id,
            enrollment_id=update.enrollment_id,
            progress=LessonProgressOut.of(update.progress),
            course_progress_percent=update.course_progress_percent,
            completed_items=update.completed_items,
            total_items=update.total_items,
            enrollment_status=update.enrollment_status,
        )


class HeartbeatOut(ApiModel):
    lesson_id: uuid.UUID
    position_seconds: int
    watched_seconds: int
    duration_seconds: int
    #: Watched seconds that complete the video (the configured share of its duration).
    required_seconds: int
    completed: bool

    @classmethod
    def of(cls, credit: HeartbeatCredit) -> HeartbeatOut:
        return cls(
            lesson_id=credit.lesson_id,
            position_seconds=credit.position_seconds,
            watched_seconds=credit.watched_seconds,
            duration_seconds=credit.duration_seconds,
            required_seconds=credit.required_seconds,
            completed=credit.completed,
        )
