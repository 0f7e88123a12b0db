"""Events the assessment context publishes (through the outbox, in the changing transaction).

Names are stable. Payloads are JSON objects with camelCase keys; ids are strings, scores are
strings holding a decimal percentage ("87.50"), timestamps ISO 8601 UTC.

``assessment.attempt_submitted`` - every quiz attempt that was handed in (by the learner or
automatically at its deadline)::

    {"attemptId", "userId", "courseId", "quizId", "lessonId": str | None, "attemptNumber": int,
     "scorePercent": "87.50", "passed": bool, "autoSubmitted": bool, "submittedAt"}

``assessment.quiz_passed`` - an attempt that reached the passing score (learning counts it
toward course progress; it may arrive more than once per learner and quiz, once per passing
attempt - subscribers dedupe by (userId, quizId))::

    {"userId", "courseId", "quizId", "lessonId": str | None, "attemptId", "scorePercent"}

``assessment.assignment_submitted`` - an assignment or exam submission handed in::

    {"submissionId", "userId", "courseId", "assignmentId", "lessonId": str | None,
     "kind": "assignment" | "exam", "attemptNumber": int, "late": bool, "submittedAt"}

``assessment.assignment_graded`` - a submission graded (also regraded)::

    {"submissionId", "userId", "courseId", "assignmentId", "lessonId": str | None,
     "kind": "assignment" | "exam", "scorePercent": "80.00", "letterGrade": str | None,
     "passed": bool, "gradedBy", "gradedAt"}
"""

from __future__ import annotations

from typing import Final

ATTEMPT_SUBMITTED: Final = "assessment.attempt_submitted"
QUIZ_PASSED: Final = "assessment.quiz_passed"
ASSIGNMENT_SUBMITTED: Final = "assessment.assignment_submitted"
ASSIGNMENT_GRADED: Final = "assessment.assignment_graded"
#: Reserved for graded code (the sandbox's context publishes it once wired).
CODE_SUBMISSION_PASSED: Final = "assessment.code_submission_passed"

#: Job: hand in an attempt whose deadline (plus grace) has passed.
AUTO_SUBMIT_JOB: Final = "assessment.auto_submit_attempt"
from campus.assessment.coding.events import CODE_SUBMISSION_GRADED  # noqa: E402, F401
