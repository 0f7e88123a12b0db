"""Learners' work on assignments and exams: drafts, files, hand-in, downloads.

An assignment submission starts ``pending`` (text, link, files are added), an exam ``in_progress``
(with a deadline from its duration); handing in makes it ``submitted`` or ``late``. Starting
locks the learner's counter row for the assignment (as quiz attempts do), so the open-submission
rule and the submission limit hold under concurrency; a partial unique index backs them up.

An exam in progress whose deadline (plus ``assessment_answer_grace_seconds``) has passed is
closed with what was saved (text, link, files uploaded so far): ``submitted`` with
``autoSubmitted`` and ``submittedAt`` at the deadline, by a job scheduled at the deadline or by
the next read or hand-in, whichever comes first. Changes and uploads after that are refused.
Every path that closes it holds the submission's row lock and re-checks its status, so it is
closed (and ``assessment.assignment_submitted`` published) once.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events
from campus.assessment.data import (
    OPEN_SUBMISSION_STATUSES,
    AssessmentKind,
    LatePolicy,
    SubmissionStatus,
    SubmissionType,
)
from campus.assessment.exceptions import (
    AlreadyGraded,
    DeadlinePassed,
    FileNotFound,
    LateSubmissionRefused,
    NotEnrolled,
    SubmissionClosed,
    SubmissionInProgress,
    SubmissionLimitReached,
    SubmissionNotFound,
)
from campus.assessment.models import Assignment, StoredFile, Submission
from campus.assessment.repository import assignments as repo
from campus.assessment.repository import attempts as counters
from campus.assessment.service import access, deadlines, storage
from campus.assessment.service.assignments import file_record, visible
from campus.assessment.service.records import GradeRecord, SubmissionRecord
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.kernel.pagination import PageParams
from campus.kernel.storage import LocalFileStorage

_SHOWS_GRADE = {SubmissionStatus.GRADED.value, SubmissionStatus.REVISION_REQUIRED.value}


def submission_record(
    submission: Submission, files: Sequence[StoredFile], *, staff: bool = False
) -> SubmissionRecord:
    """The submission as the caller sees it: the grade for staff always, for the learner once
    it is graded or sent back for revision."""
    grade = None
    if staff or submission.status in _SHOWS_GRADE:
        grade = GradeRecord(
            marks=submission.marks,
            penalty_percent=submission.penalty_percent,
            final_marks=submission.final_marks,
            score_percent=submission.score_percent,
            letter_grade=submission.letter_grade,
            passed=submission.passed,
            feedback=submission.feedback,
            rubric_scores=dict(submission.rubric_scores or {}),
            graded_by=submission.graded_by,
            graded_at=submission.graded_at,
        )
    return SubmissionRecord(
        id=submission.id,
        assignment_id=submission.assignment_id,
        kind=AssessmentKind(submission.kind),
        course_id=submission.course_id,
        user_id=submission.user_id,
        attempt_number=submission.attempt_number,
        status=SubmissionStatus(submission.status),
        text_answer=submission.text_answer,
        link_url=submission.link_url,
        started_at=submission.started_at,
        deadline_at=submission.deadline_at,
        submitted_at=submission.submitted_at,
        auto_submitted=submission.auto_submitted,
        is_late=submission.is_late,
        days_late=submission.days_late,
        files=tuple(file_record(f) for f in files),
        grade=grade,
    )


def _check_content(assignment: Assignment, content: Mapping[str, Any]) -> dict[str, Any]:
    types = set(assignment.submission_types)
    values = dict(content)
    if "text_answer" in values and SubmissionType.TEXT.value not in types:
        raise field_error("textAnswer", "This assignment does not take text answers.")
    if "link_url" in values and SubmissionType.LINK.value not in types:
        raise field_error("linkUrl", "This assignment does not take links.")
    return values


async def start(
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    kind: AssessmentKind,
    content: Mapping[str, Any] | None,
    grace_seconds: int,
) -> SubmissionRecord:
    """Open a new submission (assignment: a pending draft; exam: the timed attempt, closed
    automatically at its deadline). ``content``: the ``text_answer`` and/or ``link_url``
    given, if any."""
    principal.require_verified_email("submit")
    assignment, _ = await visible(session, principal, assignment_id, kind)
    if not await access.is_enrolled(session, principal.user_id, assignment.course_id):
        raise NotEnrolled()
    now = utcnow()
    if (
        kind is AssessmentKind.ASSIGNMENT
        and assignment.due_at is not None
        and now > assignment.due_at
        and assignment.late_policy == LatePolicy.REFUSE.value
    ):
        raise LateSubmissionRefused()
    values = _check_content(assignment, content) if content is not None else {}
    if kind is AssessmentKind.EXAM and assignment.due_at is not None and now >= assignment.due_at:
        raise DeadlinePassed("The exam closed at its due date.")
    number = await counters.bump_counter(session, principal.user_id, assignment.id)
    current = await repo.open_submission(session, assignment.id, principal.user_id)
    if current is not None:
        # The counter lock serialises starts; an exam whose time is over is closed first.
        if not _expired(current, grace_seconds, now):
            raise SubmissionInProgress()
        await _close(session, current, assignment, auto=True)
    latest = await repo.latest_submission(session, assignment.id, principal.user_id)
    if latest is not None and latest.status == SubmissionStatus.GRADED.value:
        raise AlreadyGraded()
    if assignment.max_submissions is not None and number > assignment.max_submissions:
        raise SubmissionLimitReached(details={"maxSubmissions": assignment.max_submissions})
    deadline = None
    status = SubmissionStatus.PENDING
    if kind is AssessmentKind.EXAM:
        status = SubmissionStatus.IN_PROGRESS
        deadline = deadlines.ends_at(
            now, timedelta(minutes=assignment.duration_minutes or 60), assignment.due_at
        )
    submission = Submission(
        id=new_id(),
        assignment_id=assignment.id,
        user_id=principal.user_id,
        course_id=assignment.course_id,
        kind=assignment.kind,
        attempt_number=number,
        status=status.value,
        started_at=now,
        deadline_at=deadline,
        **values,
    )
    await repo.add(session, submission)
    if deadline is not None:
        await enqueue_job(
            session,
            events.AUTO_SUBMIT_EXAM_JOB,
            {"submissionId": str(submission.id)},
            run_at=deadlines.auto_submit_at(deadline, grace_seconds),
        )
    return submission_record(submission, [])


async def _own_open(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, grace_seconds: int
) -> tuple[Submission, Assignment]:
    submission = await repo.get_submission(session, submission_id, lock=True)
    if submission is None or submission.user_id != principal.user_id:
        raise SubmissionNotFound()
    if submission.status not in OPEN_SUBMISSION_STATUSES:
        raise SubmissionClosed()
    assignment = await repo.get_assignment(session, submission.assignment_id)
    assert assignment is not None
    return submission, assignment


def _past_deadline(submission: Submission, grace_seconds: int) -> bool:
    return deadlines.is_over(submission.deadline_at, grace_seconds, utcnow())


def _expired(submission: Submission, grace_seconds: int, now: datetime) -> bool:
    """An exam still in progress whose time (plus grace) is over."""
    return submission.status == SubmissionStatus.IN_PROGRESS.value and deadlines.is_over(
        submission.deadline_at, grace_seconds, now
    )


async def _close(
    session: AsyncSession,
    submission: Submission,
    assignment: Assignment,
    *,
    auto: bool,
    late: bool = False,
    days: int = 0,
) -> None:
    """Hand the submission in (the caller holds its row lock) and publish the event. ``auto``:
    an exam closed at its deadline with what was saved."""
    now = utcnow()
    closed_at = submission.deadline_at if auto and submission.deadline_at else now
    submission.status = (SubmissionStatus.LATE if late else SubmissionStatus.SUBMITTED).value
    submission.is_late = late
    submission.days_late = days
    submission.submitted_at = closed_at
    submission.auto_submitted = auto
    if late and assignment.late_policy == LatePolicy.PENALTY.value:
        submission.penalty_percent = min(100, days * assignment.late_penalty_percent_per_day)
    await session.flush()
    await publish(
        session,
        events.AssignmentSubmitted(
            submission_id=submission.id,
            user_id=submission.user_id,
            course_id=submission.course_id,
            assignment_id=assignment.id,
            lesson_id=assignment.lesson_id,
            kind=assignment.kind,
            attempt_number=submission.attempt_number,
            late=late,
            auto_submitted=auto,
            submitted_at=closed_at,
        ),
    )


async def _expire_locked(
    session: AsyncSession, submission_id: uuid.UUID, grace_seconds: int
) -> Submission | None:
    """Close the exam if, under its row lock, it is still in progress and its time is over;
    returns the (re-read) submission when it was closed."""
    locked = await repo.get_submission(session, submission_id, lock=True)
    if locked is None or not _expired(locked, grace_seconds, utcnow()):
        return None
    assignment = await repo.get_assignment(session, locked.assignment_id)
    assert assignment is not None
    await _close(session, locked, assignment, auto=True)
    return locked


async def expire_if_due(
    session: AsyncSession, submissions: Sequence[Submission], grace_seconds: int
) -> None:
    """Lazy auto-submission: exams past their deadline are closed on the next read."""
    now = utcnow()
    for submission in submissions:
        if _expired(submission, grace_seconds, now):
            await _expire_locked(session, submission.id, grace_seconds)


async def auto_submit_exam(
    session: AsyncSession, submission_id: uuid.UUID, grace_seconds: int
) -> bool:
    """The scheduled job: close the exam if it is still in progress and its time is over
    (idempotent: a submission already handed in, by the learner or a read, is left alone)."""
    return await _expire_locked(session, submission_id, grace_seconds) is not None


async def update(
    session: AsyncSession,
    principal: Principal,
    submission_id: uuid.UUID,
    changes: Mapping[str, Any],
    grace_seconds: int,
) -> SubmissionRecord:
    """Change the ``text_answer`` and/or ``link_url`` of an open submission (``changes``: the
    fields given)."""
    submission, assignment = await _own_open(session, principal, submission_id, grace_seconds)
    if _past_deadline(submission, grace_seconds):
        raise DeadlinePassed()
    for key, value in _check_content(assignment, changes).items():
        setattr(submission, key, value)
    await session.flush()
    files = await repo.files_of(session, [submission.id])
    return submission_record(submission, files[submission.id])


async def upload(
    session: AsyncSession,
    principal: Principal,
    submission_id: uuid.UUID,
    upload_file: storage.Readable,
    client_name: str | None,
    file_store: LocalFileStorage,
    upload_max: int,
    grace_seconds: int,
) -> SubmissionRecord:
    submission, assignment = await _own_open(session, principal, submission_id, grace_seconds)
    if _past_deadline(submission, grace_seconds):
        raise DeadlinePassed()
    if SubmissionType.FILE.value not in assignment.submission_types:
        raise field_error("file", "This assignment does not take files.")
    if await repo.count_files(session, submission.id) >= assignment.max_files:
        raise field_error("file", f"At most {assignment.max_files} files.", "too_many_files")
    name = storage.safe_name(client_name)
    stored = await storage.store(
        file_store,
        upload_file,
        max_bytes=min(assignment.max_file_bytes, upload_max),
        allowed=frozenset(assignment.allowed_file_types),
        client_name=name,
    )
    await repo.add(
        session,
        StoredFile(
            id=stored.id,
            owner_type="submission",
            owner_id=submission.id,
            assignment_id=assignment.id,
            course_id=assignment.course_id,
            uploaded_by=principal.user_id,
            name=name,
            content_type=stored.content_type,
            size_bytes=stored.size,
            sha256=stored.sha256,
        ),
    )
    files = await repo.files_of(session, [submission.id])
    return submission_record(submission, files[submission.id])


async def hand_in(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, grace_seconds: int
) -> SubmissionRecord:
    principal.require_verified_email("submit")
    submission, assignment = await _own_open(session, principal, submission_id, grace_seconds)
    files = (await repo.files_of(session, [submission.id]))[submission.id]
    now = utcnow()
    if _expired(submission, grace_seconds, now):
        # Past the deadline the exam closes with what was saved, exactly as the job would.
        await _close(session, submission, assignment, auto=True)
        return submission_record(submission, files)
    if not (submission.text_answer or submission.link_url or files):
        raise field_error("submission", "Add a text answer, a link or a file first.", "empty")
    late = False
    days = 0
    if assignment.due_at is not None and now > assignment.due_at:
        late = True
        days = math.ceil((now - assignment.due_at).total_seconds() / 86_400)
        if assignment.late_policy == LatePolicy.REFUSE.value and submission.kind == "assignment":
            raise LateSubmissionRefused()
    await _close(session, submission, assignment, auto=False, late=late, days=days)
    return submission_record(submission, files)


async def visible_submission(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, *, lock: bool = False
) -> tuple[Submission, bool]:
    """The submission and whether the caller is staff; anyone else's is a 404."""
    submission = await repo.get_submission(session, submission_id, lock=lock)
    if submission is None:
        raise SubmissionNotFound()
    if submission.user_id == principal.user_id:
        return submission, False
    if await access.is_staff(session, principal, submission.course_id, grading=True):
        return submission, True
    raise SubmissionNotFound()


async def get(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, grace_seconds: int
) -> SubmissionRecord:
    submission, staff = await visible_submission(session, principal, submission_id)
    await expire_if_due(session, [submission], grace_seconds)
    files = await repo.files_of(session, [submission.id])
    return submission_record(submission, files[submission.id], staff=staff)


async def list_for_assignment(
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    kind: AssessmentKind,
    params: PageParams,
    grace_seconds: int,
) -> tuple[list[SubmissionRecord], int]:
    assignment, staff = await visible(session, principal, assignment_id, kind)
    rows, total = await repo.submissions_of(
        session,
        assignment.id,
        user_id=None if staff else principal.user_id,
        offset=params.offset,
        limit=params.limit,
    )
    await expire_if_due(session, rows, grace_seconds)
    files = await repo.files_of(session, [s.id for s in rows])
    return [submission_record(s, files[s.id], staff=staff) for s in rows], total


async def file_for_download(
    session: AsyncSession, principal: Principal, file_id: uuid.UUID
) -> StoredFile:
    """A file the caller may download: a resource of an assignment they can see, or a file of a
    submission they own or grade. Anything else is a 404."""
    record = await repo.get_file(session, file_id)
    if record is None:
        raise FileNotFound()
    try:
        if record.owner_type == "resource":
            assignment = await repo.get_assignment(session, record.assignment_id)
            assert assignment is not None
            await visible(session, principal, assignment.id, AssessmentKind(assignment.kind))
        else:
            await visible_submission(session, principal, record.owner_id)
    except (SubmissionNotFound, NotEnrolled) as exc:
        raise FileNotFound() from exc
    except Exception as exc:
        if getattr(exc, "status_code", None) in (403, 404):
            raise FileNotFound() from exc
        raise
    return record
