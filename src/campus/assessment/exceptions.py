"""Assessment errors: stable codes clients can switch on."""

from __future__ import annotations

from campus.kernel.errors import (
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)


class QuestionNotFound(NotFound):
    code = "question_not_found"
    message = "The question was not found."


class QuizNotFound(NotFound):
    code = "quiz_not_found"
    message = "The quiz was not found."


class AttemptNotFound(NotFound):
    code = "attempt_not_found"
    message = "The attempt was not found."


class AssignmentNotFound(NotFound):
    code = "assignment_not_found"
    message = "The assignment was not found."


class SubmissionNotFound(NotFound):
    code = "submission_not_found"
    message = "The submission was not found."


class FileNotFound(NotFound):
    code = "file_not_found"
    message = "The file was not found."


class CourseNotFound(NotFound):
    code = "course_not_found"
    message = "The course was not found."


class NotEnrolled(Forbidden):
    code = "not_enrolled"
    message = "Enroll in the course to take its assessments."


class NotCourseStaff(Forbidden):
    code = "not_course_staff"
    message = "Only the course's instructors and administrators may do this."


class QuizNotAvailable(Conflict):
    code = "quiz_not_available"
    message = "The quiz is not open at this time."


class AttemptInProgress(Conflict):
    code = "attempt_in_progress"
    message = "An attempt is already in progress; resume it."


class AttemptLimitReached(Conflict):
    code = "attempt_limit_reached"
    message = "No attempts are left for this quiz."


class AttemptClosed(Conflict):
    code = "attempt_closed"
    message = "The attempt has been submitted; answers can no longer change."


class DeadlinePassed(Conflict):
    code = "deadline_passed"
    message = "The time for this attempt is over."


class QuestionNotInAttempt(NotFound):
    code = "question_not_in_attempt"
    message = "The question is not part of this attempt."


class SubmissionClosed(Conflict):
    code = "submission_closed"
    message = "The submission can no longer change."


class SubmissionLimitReached(Conflict):
    code = "submission_limit_reached"
    message = "No more submissions are accepted for this assignment."


class SubmissionInProgress(Conflict):
    code = "submission_in_progress"
    message = "A submission is already open; finish it first."


class LateSubmissionRefused(Conflict):
    code = "late_submission_refused"
    message = "The due date has passed and this assignment does not accept late work."


class AlreadyGraded(Conflict):
    code = "already_graded"
    message = "The submission has been graded; it can no longer be resubmitted."


class NotGradable(Conflict):
    code = "not_gradable"
    message = "Only handed-in submissions can be graded."


class FileTooLarge(PayloadTooLarge):
    code = "file_too_large"
    message = "The file is larger than this assignment allows."


class FileTypeNotAllowed(UnsupportedMediaType):
    code = "file_type_not_allowed"
    message = "The file's content is not of a type this assignment accepts."


class AttemptNotSubmitted(Conflict):
    code = "attempt_not_submitted"
    message = "The attempt has not been submitted yet."


class AnalysisNotAvailable(Conflict):
    code = "analysis_not_available"
    message = "The analysis is shown once the quiz reveals its answers."
