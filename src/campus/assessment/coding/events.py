"""Events the coding exercises publish (through the outbox, in the grading transaction), and
the jobs they queue.

Names are stable. Payloads are JSON objects with camelCase keys; ids are strings, scores are
strings holding a decimal number on the exercise's scale ("85.00" of ``maxScore``),
timestamps ISO 8601 UTC. Hidden test data never appears in a payload.

``assessment.code_submission_graded`` - every final verdict (also after a regrade)::

    {"submissionId", "userId", "courseId", "exerciseId", "lessonId": str | None,
     "moduleId": str | None, "status": "PASSED" | "FAILED" | "ERROR", "score": "85.00" | None,
     "maxScore": int, "testsPassed": int, "testsTotal": int, "testsVersion": int,
     "regrade": bool, "gradedAt"}

``assessment.code_submission_passed`` - a submission that passed every test (learning counts
it toward the lesson's progress; it may arrive more than once per learner and exercise, once
per passing submission - subscribers dedupe by (userId, exerciseId))::

    {"userId", "courseId", "exerciseId", "lessonId": str | None, "moduleId": str | None,
     "submissionId", "score": "100.00"}
"""

from __future__ import annotations

from typing import Final

CODE_SUBMISSION_GRADED: Final = "assessment.code_submission_graded"
CODE_SUBMISSION_PASSED: Final = "assessment.code_submission_passed"

#: Job: grade one submission ``{"submissionId"}`` (queued with the PENDING row).
GRADE_JOB: Final = "assessment.coding.grade_submission"
#: Job: queue the regrade of an exercise's submissions ``{"exerciseId", "testsVersion"}``.
REGRADE_JOB: Final = "assessment.coding.regrade_exercise"
