"""The learner's own dashboard ("my learning") and activity feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from campus.kernel.schemas import ApiModel
from campus.learning.data import ActivityType, EnrollmentStatus
from campus.learning.schemas.enrollments import LessonRef


class CourseRef(ApiModel):
    id: uuid.UUID
    slug: str
    title: str
    thumbnail_url: str | None


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
