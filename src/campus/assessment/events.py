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

import uuid
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Final

from campus.kernel.events import Event


class AttemptSubmitted(Event):
    """A quiz attempt was handed in (by the learner or automatically at its deadline)."""

    name: ClassVar[str] = "assessment.attempt_submitted"

    attempt_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    quiz_id: uuid.UUID
    lesson_id: uuid.UUID | None
    attempt_number: int
    score_percent: Decimal
    passed: bool
    auto_submitted: bool
    submitted_at: datetime


class QuizPassed(Event):
    """An attempt reached the passing score (at most once per passing attempt)."""

    name: ClassVar[str] = "assessment.quiz_passed"

    user_id: uuid.UUID
    course_id: uuid.UUID
    quiz_id: uuid.UUID
    lesson_id: uuid.UUID | None
    attempt_id: uuid.UUID
    score_percent: Decimal


class AttemptRegraded(Event):
    """A submitted attempt's grading changed because one of its questions was corrected."""

    name: ClassVar[str] = "assessment.attempt_regraded"

    attempt_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    quiz_id: uuid.UUID
    question_id: uuid.UUID
    previous_score_percent: Decimal | None
    score_percent: Decimal
    previous_passed: bool
    passed: bool
    regraded_at: datetime


class AssignmentSubmitted(Event):
    """An assignment or exam submission was handed in (an exam also at its deadline)."""

    name: ClassVar[str] = "assessment.assignment_submitted"

    submission_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    assignment_id: uuid.UUID
    lesson_id: uuid.UUID | None
    kind: str
    attempt_number: int
    late: bool
    auto_submitted: bool
    submitted_at: datetime


class AssignmentGraded(Event):
    """A submission was graded (also regraded)."""

    name: ClassVar[str] = "assessment.assignment_graded"

    submission_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    assignment_id: uuid.UUID
    lesson_id: uuid.UUID | None
    kind: str
    score_percent: Decimal
    letter_grade: str | None
    passed: bool
    graded_by: uuid.UUID
    graded_at: datetime


#: Job: hand in an attempt whose deadline (plus grace) has passed.
AUTO_SUBMIT_JOB: Final = "assessment.auto_submit_attempt"
#: Job: close an exam in progress whose deadline (plus grace) has passed {submissionId}.
AUTO_SUBMIT_EXAM_JOB: Final = "assessment.auto_submit_exam"
#: Job: regrade the submitted attempts holding a corrected question, one chunk per run
#: {questionId, after: attempt id | None}.
REGRADE_JOB: Final = "assessment.regrade_question"
#: Job: delete uploaded files no database row references, after a grace period {}.
SWEEP_UPLOADS_JOB: Final = "assessment.sweep_orphan_uploads"
