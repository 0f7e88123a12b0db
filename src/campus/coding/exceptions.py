"""Coding exercise errors: stable codes clients can switch on."""

from __future__ import annotations

from typing import Any

from campus.kernel.errors import Conflict, Forbidden, NotFound, PayloadTooLarge


class ExerciseNotFound(NotFound):
    code = "exercise_not_found"
    message = "The coding exercise was not found."


class CodeSubmissionNotFound(NotFound):
    code = "code_submission_not_found"
    message = "The code submission was not found."


class CourseNotFound(NotFound):
    code = "course_not_found"
    message = "The course was not found."


class NotEnrolled(Forbidden):
    code = "not_enrolled"
    message = "Enroll in the course to work on its exercises."


class NotCourseStaff(Forbidden):
    code = "not_course_staff"
    message = "Only the course's instructors and administrators may do this."


class ExerciseNotPublished(Conflict):
    code = "exercise_not_published"
    message = "The exercise is not published yet."


class ExerciseChanged(Conflict):
    code = "exercise_changed"
    message = "The exercise was changed meanwhile; reload it and try again."


class LanguageUnavailable(Conflict):
    code = "language_unavailable"
    message = "Code in this language cannot be run on this server."


class ReferenceSolutionMissing(Conflict):
    code = "reference_solution_missing"
    message = "Add a reference solution and at least one test case first."


class ReferenceSolutionFails(Conflict):
    code = "reference_solution_fails"
    message = "The reference solution does not pass the exercise's own tests."

    def __init__(self, failing: list[dict[str, Any]], error: str | None = None) -> None:
        details: dict[str, Any] = {
            "failingTestIds": [f["testId"] for f in failing],
            "failing": failing,
        }
        if error:
            details["error"] = error
        super().__init__(details=details)


class CodeTooLarge(PayloadTooLarge):
    code = "code_too_large"
    message = "The code is larger than allowed."


class NoMoreHints(Conflict):
    code = "no_more_hints"
    message = "Every hint of this exercise has been revealed."


class GraderUnavailable(Conflict):
    code = "grader_unavailable"
    message = "The code runner could not run the code; try again later."
