"""Who may do what with coding exercises (scope first, then permit).

* Authoring (create, edit, tests, validate, publish, regrade): the course's staff by catalog's
  rule (``catalog.api.is_course_staff``: an instructor of the course who holds the
  ``instructor`` role) and holders of ``course:edit_any``.
* Reading all submissions and giving feedback: the course's instructors and holders of
  ``grading:any``.
* Hints, runs and submissions: learners enrolled in the course (``learning.api.is_enrolled``),
  on published exercises; a learner only ever sees their own submissions and hints.
* A draft exercise does not exist for anyone but staff (404); a published one is visible to
  everyone signed in, but only enrolled learners may work on it (403 ``not_enrolled``).
* The sandbox status: ``sandbox:admin``.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import GRADING_ANY
from campus.catalog import api as catalog
from campus.catalog.data import COURSE_EDIT_ANY
from campus.coding.data import SANDBOX_ADMIN, ExerciseStatus
from campus.coding.exceptions import (
    CodeSubmissionNotFound,
    CourseNotFound,
    ExerciseNotFound,
    NotCourseStaff,
    NotEnrolled,
)
from campus.coding.models import CodeExercise, CodeSubmission
from campus.coding.repository.exercises import get_exercise
from campus.coding.repository.submissions import get_submission
from campus.kernel.auth import Principal
from campus.learning import api as learning

__all__ = ["SANDBOX_ADMIN"]


async def is_staff(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, *, grading: bool = False
) -> bool:
    """Course staff by catalog's one rule (``catalog.api.is_course_staff``)."""
    any_of = (GRADING_ANY,) if grading else (COURSE_EDIT_ANY,)
    return await catalog.is_course_staff(session, principal, course_id, any_of=any_of)


async def require_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    if await catalog.get_course_summary(session, course_id) is None:
        raise CourseNotFound()


async def require_course_staff(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> None:
    await require_course(session, course_id)
    if not await is_staff(session, principal, course_id):
        raise NotCourseStaff()


async def visible_exercise(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> tuple[CodeExercise, bool]:
    """The exercise and whether the caller is its staff; drafts are 404 for everyone else."""
    exercise = await get_exercise(session, exercise_id)
    if exercise is None:
        raise ExerciseNotFound()
    staff = await is_staff(session, principal, exercise.course_id)
    if not staff and exercise.status != ExerciseStatus.PUBLISHED.value:
        raise ExerciseNotFound()
    return exercise, staff


async def authored_exercise(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> CodeExercise:
    exercise, staff = await visible_exercise(session, principal, exercise_id)
    if not staff:
        raise NotCourseStaff()
    return exercise


async def learner_exercise(
    session: AsyncSession, principal: Principal, exercise_id: uuid.UUID
) -> CodeExercise:
    """A visible exercise the caller may work on: enrolled in its course."""
    exercise, _staff = await visible_exercise(session, principal, exercise_id)
    if not await learning.is_enrolled(session, principal.user_id, exercise.course_id):
        raise NotEnrolled()
    return exercise


async def readable_submission(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> tuple[CodeSubmission, bool]:
    """The submission and whether the caller grades it: its author or the course's grading
    staff; for anyone else it does not exist."""
    submission = await get_submission(session, submission_id)
    if submission is None:
        raise CodeSubmissionNotFound()
    if submission.user_id == principal.user_id:
        grader = await is_staff(session, principal, submission.course_id, grading=True)
        return submission, grader
    if await is_staff(session, principal, submission.course_id, grading=True):
        return submission, True
    raise CodeSubmissionNotFound()
