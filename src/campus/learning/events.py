"""Events learning publishes through the outbox (same transaction as the change), and the events
from other contexts it consumes.

Names are stable. Payloads carry ids as strings and timestamps as ISO 8601 UTC, and no personal
data beyond the user id; handlers load anything else through ``learning.api``.

Published
---------
``learning.enrolled``          a learner got (or got back) access to a course
    {enrollmentId, userId, courseId, versionId, source, tier, reactivated, enrolledAt}
``learning.unenrolled``        a learner lost access
    {enrollmentId, userId, courseId, reason: cancelled_by_user|revoked_by_admin|expired, at}
``learning.lesson_started``    first time a learner opened a lesson (per lesson lineage)
    {enrollmentId, userId, courseId, versionId, moduleId, lessonId, lessonLineageId, startedAt}
``learning.lesson_completed``  once per learner and lesson lineage
    {enrollmentId, userId, courseId, versionId, moduleId, lessonId, lessonLineageId,
     completedBy: manual|video|quiz|assignment|code, completedAt}
``learning.module_completed``  every required lesson of a module is done
    {enrollmentId, userId, courseId, versionId, moduleId, moduleLineageId, completedAt}
``learning.course_completed``  every required item of the enrolled version is done; published
    exactly once per enrollment (certificates consume it)
    {enrollmentId, userId, courseId, versionId, completedAt}

Consumed: ``assessment.events.QuizPassed``, ``assessment.events.AssignmentGraded`` and
``coding.events.CodeSubmissionPassed``. A quiz, assignment or coding lesson counts as complete
when the matching event arrives (seed 003: completed = materials + passed assignments + passed
quizzes).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from campus.kernel.events import Event


class Enrolled(Event):
    name: ClassVar[str] = "learning.enrolled"

    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    source: str
    tier: str | None
    reactivated: bool
    enrolled_at: datetime


class Unenrolled(Event):
    name: ClassVar[str] = "learning.unenrolled"

    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    reason: str
    at: datetime


class LessonStarted(Event):
    name: ClassVar[str] = "learning.lesson_started"

    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    module_id: uuid.UUID
    lesson_id: uuid.UUID
    lesson_lineage_id: uuid.UUID
    started_at: datetime


class LessonCompleted(Event):
    name: ClassVar[str] = "learning.lesson_completed"

    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    module_id: uuid.UUID
    lesson_id: uuid.UUID
    lesson_lineage_id: uuid.UUID
    completed_by: str
    completed_at: datetime


class ModuleCompleted(Event):
    name: ClassVar[str] = "learning.module_completed"

    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    module_id: uuid.UUID
    module_lineage_id: uuid.UUID
    completed_at: datetime


class CourseCompleted(Event):
    """Published exactly once per enrollment (certificates consume it)."""

    name: ClassVar[str] = "learning.course_completed"

    enrollment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    completed_at: datetime
