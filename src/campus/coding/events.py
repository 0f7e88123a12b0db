"""Events the coding exercises publish (through the outbox, in the grading transaction), and
the jobs they queue.

Names are stable (they are stored in the outbox). Payloads are JSON objects with camelCase
keys; ids are strings, scores are strings holding a decimal number on the exercise's scale
("85.00" of ``maxScore``), timestamps ISO 8601 UTC. Hidden test data never appears in a
payload.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import ClassVar, Final

from campus.coding.data import CodeSubmissionStatus
from campus.kernel.events import Event


class CodeSubmissionGraded(Event):
    """Every final verdict (also after a regrade). ``score`` is ``None`` for ``ERROR``.

    This is how coding's grades reach the gradebook: assessment comes before coding in the
    context order (``campus.modules.CONTEXTS``), so it may not call ``coding.api``; it keeps a
    projection of these events instead (``assessment.tasks``). Version 2 adds
    ``exercise_title`` (the gradebook's column title); it is optional so that version-1
    payloads still in the outbox parse.
    """

    name: ClassVar[str] = "assessment.code_submission_graded"
    version: ClassVar[int] = 2

    submission_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    exercise_id: uuid.UUID
    lesson_id: uuid.UUID | None
    module_id: uuid.UUID | None
    status: CodeSubmissionStatus
    score: Decimal | None
    max_score: int
    tests_passed: int
    tests_total: int
    tests_version: int
    regrade: bool
    graded_at: datetime
    exercise_title: str | None = None


class CodeSubmissionPassed(Event):
    """A submission that passed every test. Learning counts it toward the lesson's progress;
    it may arrive more than once per learner and exercise, once per passing submission, so
    subscribers dedupe by (``user_id``, ``exercise_id``)."""

    name: ClassVar[str] = "assessment.code_submission_passed"

    user_id: uuid.UUID
    course_id: uuid.UUID
    exercise_id: uuid.UUID
    lesson_id: uuid.UUID | None
    module_id: uuid.UUID | None
    submission_id: uuid.UUID
    score: Decimal


#: Job: grade one submission ``{"submissionId"}`` (queued with the PENDING row).
GRADE_JOB: Final = "assessment.coding.grade_submission"
#: Job: queue the regrade of an exercise's submissions ``{"exerciseId", "testsVersion"}``.
REGRADE_JOB: Final = "assessment.coding.regrade_exercise"
