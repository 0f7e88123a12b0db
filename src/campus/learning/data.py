"""Learning's public data: enums and frozen DTOs other contexts may import (the doorway)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission

# --------------------------------------------------------------------------- permissions

ENROLLMENT_GRANT: Final = "enrollment:grant"
ENROLLMENT_MANAGE_ANY: Final = "enrollment:manage_any"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(ENROLLMENT_GRANT, "Enroll learners without payment."),
    Permission(ENROLLMENT_MANAGE_ANY, "View and change any enrollment."),
)


class EnrollmentStatus(StrEnum):
    """Seed 001 ``enrollment_status`` plus ``expired`` (seed 004 ``expires_at``)."""

    ACTIVE = "active"
    COMPLETED = "completed"
    CANCELLED_BY_USER = "cancelled_by_user"
    REVOKED_BY_ADMIN = "revoked_by_admin"
    EXPIRED = "expired"


#: Statuses that give access to the course content and count on the course.
ACCESS_STATUSES: Final = frozenset({EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED})


class EnrollmentSource(StrEnum):
    """How the learner got in."""

    FREE = "free"
    PURCHASE = "purchase"
    SUBSCRIPTION = "subscription"
    GRANT = "grant"


class EntitlementSource(StrEnum):
    """Who pays: the payments issue grants ``purchase``, subscriptions ``subscription``, admins and
    instructors ``grant`` (complimentary access)."""

    PURCHASE = "purchase"
    SUBSCRIPTION = "subscription"
    GRANT = "grant"


class EntitlementStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class ProgressStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class CompletionSource(StrEnum):
    """What completed a lesson."""

    MANUAL = "manual"  # the learner marked a text/document lesson done
    VIDEO = "video"  # enough of the video was watched
    QUIZ = "quiz"  # assessment.quiz_passed
    ASSIGNMENT = "assignment"  # assessment.assignment_graded with passed=true
    CODE = "code"  # assessment.code_submission_passed


class ActivityType(StrEnum):
    """Seed 003 ``UserActivity`` types for learning."""

    ENROLLED = "enrolled"
    UNENROLLED = "unenrolled"
    LESSON_STARTED = "lesson_started"
    LESSON_COMPLETED = "lesson_completed"
    MODULE_COMPLETED = "module_completed"
    COURSE_COMPLETED = "course_completed"


class LockReason(StrEnum):
    PREVIOUS_LESSON_INCOMPLETE = "previous_lesson_incomplete"
    PREVIOUS_MODULE_INCOMPLETE = "previous_module_incomplete"


class BulkRowResult(StrEnum):
    CREATED = "created"
    ALREADY_ENROLLED = "already_enrolled"
    UNKNOWN_EMAIL = "unknown_email"
    UNKNOWN_COURSE = "unknown_course"
    BAD_ROW = "bad_row"


class JobStatus(StrEnum):
    """Bulk enrollment batches and roster exports."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class EnrollmentSummary:
    """One learner's enrollment in one course, as other contexts may know it. ``status`` is the
    effective status: an active enrollment past ``expires_at`` reads as ``expired``."""

    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    #: The course version the learner is pinned to.
    version_id: uuid.UUID
    status: EnrollmentStatus
    source: EnrollmentSource
    tier: str | None
    enrolled_at: datetime
    completed_at: datetime | None
    expires_at: datetime | None
    progress_percent: int
    completed_items: int
    total_items: int
    last_activity_at: datetime

    @property
    def has_access(self) -> bool:
        return self.status in ACCESS_STATUSES


@dataclass(frozen=True, slots=True)
class EntitlementSummary:
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


@dataclass(frozen=True, slots=True)
class CourseRecount:
    """A course's enrollment count on the catalog before and after a recount."""

    course_id: uuid.UUID
    before: int
    after: int

    @property
    def corrected(self) -> bool:
        return self.before != self.after
