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

Consumed (from the assessment context)
--------------------------------------
``assessment.quiz_passed``             {userId, courseId, quizId, lessonId?}
``assessment.assignment_graded``       {userId, courseId, assignmentId, lessonId?, passed}
``assessment.code_submission_passed``  {userId, courseId, assignmentId?, lessonId?}
A quiz or assignment lesson (catalog ``LessonType.QUIZ``/``ASSIGNMENT``) counts as complete when
the matching event arrives (seed 003: completed = materials + passed assignments + passed quizzes).
"""

from __future__ import annotations

from typing import Final, TypedDict

ENROLLED: Final = "learning.enrolled"
UNENROLLED: Final = "learning.unenrolled"
LESSON_STARTED: Final = "learning.lesson_started"
LESSON_COMPLETED: Final = "learning.lesson_completed"
MODULE_COMPLETED: Final = "learning.module_completed"
COURSE_COMPLETED: Final = "learning.course_completed"

ALL_EVENTS: Final = (
    ENROLLED,
    UNENROLLED,
    LESSON_STARTED,
    LESSON_COMPLETED,
    MODULE_COMPLETED,
    COURSE_COMPLETED,
)

QUIZ_PASSED: Final = "assessment.quiz_passed"
ASSIGNMENT_GRADED: Final = "assessment.assignment_graded"
CODE_SUBMISSION_PASSED: Final = "assessment.code_submission_passed"


class Enrolled(TypedDict):
    enrollmentId: str
    userId: str
    courseId: str
    versionId: str
    source: str
    tier: str | None
    reactivated: bool
    enrolledAt: str


class Unenrolled(TypedDict):
    enrollmentId: str
    userId: str
    courseId: str
    reason: str
    at: str


class LessonStarted(TypedDict):
    enrollmentId: str
    userId: str
    courseId: str
    versionId: str
    moduleId: str
    lessonId: str
    lessonLineageId: str
    startedAt: str


class LessonCompleted(TypedDict):
    enrollmentId: str
    userId: str
    courseId: str
    versionId: str
    moduleId: str
    lessonId: str
    lessonLineageId: str
    completedBy: str
    completedAt: str


class ModuleCompleted(TypedDict):
    enrollmentId: str
    userId: str
    courseId: str
    versionId: str
    moduleId: str
    moduleLineageId: str
    completedAt: str


class CourseCompleted(TypedDict):
    enrollmentId: str
    userId: str
    courseId: str
    versionId: str
    completedAt: str
