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

``assessment.attempt_regraded`` - a submitted attempt whose grading changed because a question
of it was corrected (a newly passing attempt also gets ``assessment.quiz_passed``)::

    {"attemptId", "userId", "courseId", "quizId", "questionId", "previousScorePercent",
     "scorePercent", "previousPassed": bool, "passed": bool, "regradedAt"}

``assessment.assignment_submitted`` - an assignment or exam submission handed in (an exam
also at its deadline, automatically, with what was saved: ``autoSubmitted``)::

    {"submissionId", "userId", "courseId", "assignmentId", "lessonId": str | None,
     "kind": "assignment" | "exam", "attemptNumber": int, "late": bool,
     "autoSubmitted": bool, "submittedAt"}

``assessment.assignment_graded`` - a submission graded (also regraded)::

    {"submissionId", "userId", "courseId", "assignmentId", "lessonId": str | None,
     "kind": "assignment" | "exam", "scorePercent": "80.00", "letterGrade": str | None,
     "passed": bool, "gradedBy", "gradedAt"}
"""

from __future__ import annotations

from typing import Final

ATTEMPT_SUBMITTED: Final = "assessment.attempt_submitted"
QUIZ_PASSED: Final = "assessment.quiz_passed"
ATTEMPT_REGRADED: Final = "assessment.attempt_regraded"
ASSIGNMENT_SUBMITTED: Final = "assessment.assignment_submitted"
ASSIGNMENT_GRADED: Final = "assessment.assignment_graded"
#: Reserved for graded code (the sandbox's context publishes it once wired).
CODE_SUBMISSION_PASSED: Final = "assessment.code_submission_passed"

#: Job: hand in an attempt whose deadline (plus grace) has passed.
AUTO_SUBMIT_JOB: Final = "assessment.auto_submit_attempt"
#: Job: close an exam in progress whose deadline (plus grace) has passed {submissionId}.
AUTO_SUBMIT_EXAM_JOB: Final = "assessment.auto_submit_exam"
#: Job: regrade the submitted attempts holding a corrected question, one chunk per run
#: {questionId, after: attempt id | None}.
REGRADE_JOB: Final = "assessment.regrade_question"
#: Job: delete uploaded files no database row references, after a grace period {}.
SWEEP_UPLOADS_JOB: Final = "assessment.sweep_orphan_uploads"
from campus.assessment.coding.events import CODE_SUBMISSION_GRADED  # noqa: E402, F401
