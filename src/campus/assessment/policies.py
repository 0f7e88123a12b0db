"""Who may do what with assessments, and when learners may see correct answers.

* Authoring (question bank, quizzes, assignments, exams, grading settings): the course's
  staff by catalog's rule (``catalog.api.is_course_staff``: an instructor of the course who
  holds the ``instructor`` role) and holders of ``course:edit_any``.
* Grading (queue, marks, feedback, revisions, analyses, gradebook): the course's staff by the
  same rule and holders of ``grading:any``.
* Taking quizzes, submitting work: learners with an active enrollment
  (``learning.api.is_enrolled``); a learner only ever sees their own attempts and submissions.
"""

from __future__ import annotations

from datetime import datetime

from campus.assessment.data import GRADING_ANY, RevealPolicy
from campus.catalog.data import COURSE_EDIT_ANY
from campus.kernel.auth import Principal

__all__ = ["COURSE_EDIT_ANY", "GRADING_ANY", "may_author_any", "may_grade_any", "reveals"]


def may_author_any(principal: Principal) -> bool:
    return principal.has(COURSE_EDIT_ANY)


def may_grade_any(principal: Principal) -> bool:
    return principal.has(GRADING_ANY)


def reveals(
    policy: RevealPolicy,
    *,
    submitted: bool,
    passed: bool,
    due_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether a learner may see per-question correctness, answers and explanations."""
    if not submitted or policy is RevealPolicy.NEVER:
        return False
    if policy is RevealPolicy.AFTER_SUBMISSION:
        return True
    if policy is RevealPolicy.AFTER_PASSING:
        return passed
    return due_at is not None and now >= due_at
