"""The learner's own dashboard ("my learning") and activity feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from campus.catalog.data import CourseSummary
from campus.kernel.schemas import ApiModel
from campus.learning.data import ActivityType, EnrollmentStatus
from campus.learning.schemas.enrollments import LessonRef
from campus.learning.service.records import ActivityItem, MyCourse


class CourseRef(ApiModel):
    id: uuid.UUID
    slug: str
    title: str
    thumbnail_url: str | None

    @classmethod
    def of(cls, course: CourseSummary) -> CourseRef:
        return cls(
            id=course.id, slug=course.slug, title=course.title, thumbnail_url=course.thumbnail_url
        )


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

    @classmethod
    def of(cls, item: MyCourse) -> MyCourseOut:
        e = item.enrollment
        return cls(
            enrollment_id=e.id,
            course=CourseRef.of(item.course),
            status=e.status,
            progress_percent=e.progress_percent,
            completed_items=e.completed_items,
            total_items=e.total_items,
            enrolled_at=e.enrolled_at,
            completed_at=e.completed_at,
            expires_at=e.expires_at,
            last_activity_at=e.last_activity_at,
            next_lesson=LessonRef.of_optional(item.next_lesson),
            upgrade_available=item.upgrade_available,
        )


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

    @classmethod
    def of(cls, item: ActivityItem) -> ActivityOut:
        return cls(
            id=item.id,
            type=item.type,
            occurred_at=item.occurred_at,
            course_id=item.course_id,
            course_title=item.course_title,
            module_id=item.module_id,
            lesson_id=item.lesson_id,
            data=dict(item.data),
        )
