"""Learning errors: stable codes clients can switch on."""

from __future__ import annotations

import uuid

from campus.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
    ValidationFailed,
)


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    message = "The enrollment was not found."


class CourseNotFound(NotFound):
    code = "course_not_found"
    message = "The course was not found."


class LessonNotFound(NotFound):
    code = "lesson_not_found"
    message = "The lesson was not found."


class EntitlementNotFound(NotFound):
    code = "entitlement_not_found"
    message = "The entitlement was not found."


class BatchNotFound(NotFound):
    code = "bulk_batch_not_found"
    message = "The bulk enrollment batch was not found."


class ExportNotFound(NotFound):
    code = "roster_export_not_found"
    message = "The roster export was not found."


class CourseClosed(Conflict):
    code = "course_closed"
    message = "The course is archived and takes no new enrollments."


class EntitlementRequired(Forbidden):
    code = "entitlement_required"
    message = "This course is paid: purchase it, subscribe, or ask for access first."


class TierNotEntitled(Forbidden):
    code = "tier_not_entitled"
    message = "Your access to this course does not include this pricing tier."


class EnrollmentRevoked(Forbidden):
    code = "enrollment_revoked"
    message = "Your access to this course was revoked by an administrator."


class EnrollmentRequired(Forbidden):
    code = "enrollment_required"
    message = "Enroll in the course to open its lessons."


class EnrollmentInactive(Forbidden):
    code = "enrollment_inactive"
    message = "Your enrollment in this course is no longer active."

    def __init__(self, status: str) -> None:
        super().__init__(details={"status": status})


class LessonNotInVersion(Forbidden):
    code = "lesson_not_in_enrolled_version"
    message = "This lesson is not part of your version of the course; upgrade to open it."

    def __init__(self, enrollment_id: uuid.UUID) -> None:
        super().__init__(details={"enrollmentId": str(enrollment_id)})


class LessonLocked(Forbidden):
    code = "lesson_locked"
    message = "This lesson opens once the previous required item is complete."

    def __init__(
        self, reason: str, blocking_lesson_id: uuid.UUID, blocking_module_id: uuid.UUID
    ) -> None:
        super().__init__(
            details={
                "locked": True,
                "reason": reason,
                "blockingLessonId": str(blocking_lesson_id),
                "blockingModuleId": str(blocking_module_id),
            }
        )


class InvalidTransition(Conflict):
    code = "invalid_enrollment_transition"
    message = "The enrollment is not in a state that allows this."

    def __init__(self, action: str, status: str) -> None:
        super().__init__(details={"action": action, "status": status})


class AlreadyOnCurrentVersion(Conflict):
    code = "already_on_current_version"
    message = "The enrollment already follows the course's current version."


class LessonNotStarted(Conflict):
    code = "lesson_not_started"
    message = "Open or start the lesson before sending heartbeats."


class NotAVideo(Conflict):
    code = "not_a_video_lesson"
    message = "Heartbeats are for video lessons."


class CompletedByAssessment(Conflict):
    code = "completed_by_assessment"
    message = "This lesson completes when its quiz or assignment is passed."


class VideoNotWatched(Conflict):
    code = "video_not_watched"
    message = "Watch the video to complete this lesson."

    def __init__(self, watched: int, required: int) -> None:
        super().__init__(details={"watchedSeconds": watched, "requiredSeconds": required})


class ExportNotReady(Conflict):
    code = "roster_export_not_ready"
    message = "The roster export is not ready."


class NotCsv(UnsupportedMediaType):
    code = "not_csv"
    message = "The file is not a UTF-8 CSV file."


class CsvTooLarge(PayloadTooLarge):
    code = "csv_too_large"
    message = "The CSV file is too large."


class CsvInvalid(ValidationFailed):
    code = "csv_invalid"
    message = "The CSV file cannot be used."
