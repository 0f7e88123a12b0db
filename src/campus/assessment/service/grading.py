"""Grading: the queue, marks, rubric scores, letter grades, revisions, history, settings and
assignment analyses. Only the course's instructors and holders of ``grading:any`` grade."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events, policies
from campus.assessment.data import AnalysisType, AssessmentKind, SubmissionStatus
from campus.assessment.exceptions import AssignmentNotFound, NotCourseStaff, NotGradable
from campus.assessment.models import CourseGrading, GradeHistory, Submission
from campus.assessment.repository import assignments as repo
from campus.assessment.service import access
from campus.assessment.service.records import (
    AssignmentAnalysis,
    GradeBand,
    GradeHistoryEntry,
    GradeScale,
    QueueItem,
    SubmissionRecord,
)
from campus.assessment.service.submissions import submission_record, visible_submission
from campus.catalog import api as catalog
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.pagination import PageParams

DEFAULT_BANDS: tuple[tuple[str, int], ...] = (("A", 90), ("B", 80), ("C", 70), ("D", 60), ("F", 0))
DEFAULT_PASS_PERCENT = 60
_HANDED_IN = [
    s.value
    for s in (
        SubmissionStatus.SUBMITTED,
        SubmissionStatus.LATE,
        SubmissionStatus.GRADED,
        SubmissionStatus.REVISION_REQUIRED,
    )
]
QUEUE_STATUSES: dict[str, list[str]] = {
    "ungraded": [SubmissionStatus.SUBMITTED.value, SubmissionStatus.LATE.value],
    "graded": [SubmissionStatus.GRADED.value],
    "revision_required": [SubmissionStatus.REVISION_REQUIRED.value],
    "all": _HANDED_IN,
}
_Q = Decimal("0.01")


def _bands(settings: CourseGrading | None) -> list[tuple[str, Decimal]]:
    if settings is None or not settings.bands:
        return [(letter, Decimal(n)) for letter, n in DEFAULT_BANDS]
    return [(b["letter"], Decimal(str(b["minPercent"]))) for b in settings.bands]


def letter_for(percent: Decimal, bands: list[tuple[str, Decimal]]) -> str | None:
    for letter, minimum in sorted(bands, key=lambda b: b[1], reverse=True):
        if percent >= minimum:
            return letter
    return None


async def course_grading(
    session: AsyncSession, course_id: uuid.UUID
) -> tuple[list[tuple[str, Decimal]], int]:
    settings = await repo.get_course_grading(session, course_id)
    return _bands(settings), settings.pass_percent if settings else DEFAULT_PASS_PERCENT


# --------------------------------------------------------------------------- queue


async def queue(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    course_id: uuid.UUID | None,
    assignment_id: uuid.UUID | None,
    status: str,
    late: bool | None,
) -> tuple[list[QueueItem], int]:
    course_ids: list[uuid.UUID] | None
    if assignment_id is not None:
        assignment = await repo.get_assignment(session, assignment_id)
        if assignment is None:
            raise AssignmentNotFound()
        course_id = course_id or assignment.course_id
        if assignment.course_id != course_id:
            return [], 0
    if course_id is not None:
        await access.require_staff(session, principal, course_id, grading=True)
        course_ids = [course_id]
    elif policies.may_grade_any(principal):
        course_ids = None
    else:
        # Courses with assignments that this instructor teaches (one check per such course).
        course_ids = [
            c
            for c in await repo.queue_course_ids(session)
            if await catalog.is_course_staff(session, principal, c)
        ]
        if not course_ids:
            raise NotCourseStaff()
    rows, total = await repo.queue(
        session,
        course_ids=course_ids,
        assignment_id=assignment_id,
        statuses=QUEUE_STATUSES[status],
        late=late,
        offset=params.offset,
        limit=params.limit,
    )
    people = await identity.get_user_summaries(session, {r[0].user_id for r in rows})
    items = [
        QueueItem(
            submission_id=s.id,
            assignment_id=s.assignment_id,
            assignment_title=title,
            kind=AssessmentKind(s.kind),
            course_id=s.course_id,
            user_id=s.user_id,
            learner_name=people[s.user_id].display_name if s.user_id in people else None,
            attempt_number=s.attempt_number,
            status=SubmissionStatus(s.status),
            submitted_at=s.submitted_at,
            is_late=s.is_late,
            file_count=int(count or 0),
        )
        for s, title, count in rows
    ]
    return items, total


# --------------------------------------------------------------------------- grading


async def _gradable(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> Submission:
    submission, staff = await visible_submission(session, principal, submission_id, lock=True)
    if not staff:
        raise NotCourseStaff()  # the learner sees their own submission but may not grade it
    return submission


def _rubric_points(
    rubric: list[dict[str, Any]], chosen: Mapping[str, int]
) -> tuple[Decimal, dict[str, Any]]:
    criteria = {c["id"]: c for c in rubric}
    if not criteria:
        raise field_error("rubric", "This assignment has no rubric.")
    if set(chosen) != set(criteria):
        raise field_error("rubric", "Choose one level for every criterion.")
    scores: dict[str, Any] = {}
    total = Decimal(0)
    for cid, index in chosen.items():
        levels = criteria[cid]["levels"]
        if not 0 <= index < len(levels):
            raise field_error(f"rubric.{cid}", "No such level.")
        points = Decimal(levels[index]["points"])
        scores[cid] = {"level": index, "label": levels[index]["label"], "points": str(points)}
        total += points
    return total, scores


async def _history(
    session: AsyncSession, submission: Submission, action: str, actor: uuid.UUID
) -> None:
    await repo.add(
        session,
        GradeHistory(
            id=new_id(),
            submission_id=submission.id,
            action=action,
            status=submission.status,
            marks=submission.marks,
            final_marks=submission.final_marks,
            letter_grade=submission.letter_grade,
            feedback=submission.feedback,
            rubric_scores=dict(submission.rubric_scores or {}),
            actor_id=actor,
        ),
    )


async def grade(
    session: AsyncSession,
    principal: Principal,
    submission_id: uuid.UUID,
    *,
    marks: Decimal | None,
    rubric: Mapping[str, int] | None,
    feedback: str | None,
    letter_grade: str | None,
) -> SubmissionRecord:
    """Grade with ``marks``, or ``rubric`` (criterion id -> chosen level index; its total is the
    marks when none are given), with ``feedback``; ``letter_grade`` overrides the course's
    scale's letter."""
    submission = await _gradable(session, principal, submission_id)
    if submission.status not in (
        SubmissionStatus.SUBMITTED.value,
        SubmissionStatus.LATE.value,
        SubmissionStatus.GRADED.value,
    ):
        raise NotGradable(details={"status": submission.status})
    assignment = await repo.get_assignment(session, submission.assignment_id)
    assert assignment is not None
    rubric_scores: dict[str, Any] = {}
    if rubric is not None:
        rubric_total, rubric_scores = _rubric_points(assignment.rubric or [], rubric)
        marks = marks if marks is not None else rubric_total
    if marks is None:
        raise field_error("marks", "Give marks or fill the rubric.")
    if marks > assignment.max_marks:
        raise field_error("marks", f"At most {assignment.max_marks} marks.")
    bands, _ = await course_grading(session, submission.course_id)
    final = (marks * (100 - submission.penalty_percent) / 100).quantize(_Q, ROUND_HALF_UP)
    percent = (final * 100 / assignment.max_marks).quantize(_Q, ROUND_HALF_UP)
    letter = letter_for(percent, bands)
    if letter_grade is not None:
        if letter_grade not in {b[0] for b in bands}:
            raise field_error("letterGrade", "Use a letter of the course's grade scale.")
        letter = letter_grade
    now = utcnow()
    submission.marks = marks.quantize(_Q, ROUND_HALF_UP)
    submission.final_marks = final
    submission.score_percent = percent
    submission.letter_grade = letter
    submission.passed = final >= assignment.passing_marks
    submission.feedback = feedback
    submission.rubric_scores = rubric_scores
    submission.graded_by = principal.user_id
    submission.graded_at = now
    submission.status = SubmissionStatus.GRADED.value
    await session.flush()
    await _history(session, submission, "graded", principal.user_id)
    await publish(
        session,
        events.AssignmentGraded(
            submission_id=submission.id,
            user_id=submission.user_id,
            course_id=submission.course_id,
            assignment_id=assignment.id,
            lesson_id=assignment.lesson_id,
            kind=assignment.kind,
            score_percent=percent,
            letter_grade=letter,
            passed=bool(submission.passed),
            graded_by=principal.user_id,
            graded_at=now,
        ),
    )
    files = await repo.files_of(session, [submission.id])
    return submission_record(submission, files[submission.id], staff=True)


async def request_revision(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, feedback: str
) -> SubmissionRecord:
    submission = await _gradable(session, principal, submission_id)
    if submission.status not in (
        SubmissionStatus.SUBMITTED.value,
        SubmissionStatus.LATE.value,
        SubmissionStatus.GRADED.value,
    ):
        raise NotGradable(details={"status": submission.status})
    submission.status = SubmissionStatus.REVISION_REQUIRED.value
    submission.feedback = feedback
    submission.passed = None
    submission.graded_by = principal.user_id
    submission.graded_at = utcnow()
    await session.flush()
    await _history(session, submission, "revision_requested", principal.user_id)
    files = await repo.files_of(session, [submission.id])
    return submission_record(submission, files[submission.id], staff=True)


async def history(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID, params: PageParams
) -> tuple[list[GradeHistoryEntry], int]:
    submission, _ = await visible_submission(session, principal, submission_id)
    rows, total = await repo.history_page(
        session, submission.id, offset=params.offset, limit=params.limit
    )
    items = [
        GradeHistoryEntry(
            id=h.id,
            action=h.action,
            status=SubmissionStatus(h.status),
            marks=h.marks,
            final_marks=h.final_marks,
            letter_grade=h.letter_grade,
            feedback=h.feedback,
            rubric_scores=dict(h.rubric_scores or {}),
            actor_id=h.actor_id,
            created_at=h.created_at,
        )
        for h in rows
    ]
    return items, total


# --------------------------------------------------------------------------- settings


def _scale(
    course_id: uuid.UUID, bands: Sequence[tuple[str, Decimal]], pass_percent: int
) -> GradeScale:
    return GradeScale(
        course_id=course_id,
        bands=tuple(GradeBand(letter=b[0], min_percent=b[1]) for b in bands),
        pass_percent=pass_percent,
    )


async def get_course_grading(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> GradeScale:
    await access.course(session, course_id)
    await access.staff_or_enrolled(session, principal, course_id)
    bands, pass_percent = await course_grading(session, course_id)
    return _scale(course_id, bands, pass_percent)


async def put_course_grading(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    bands: Sequence[tuple[str, Decimal]],
    pass_percent: int,
) -> GradeScale:
    """Set the course's letter ``bands`` (letter, lowest percent) and pass mark."""
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id)
    letters = [letter for letter, _ in bands]
    if len(set(letters)) != len(letters):
        raise field_error("bands", "Letters must not repeat.")
    if not any(minimum == 0 for _, minimum in bands):
        raise field_error("bands", "One band must start at 0 so every score has a letter.")
    ordered = sorted(bands, key=lambda b: b[1], reverse=True)
    await repo.upsert_course_grading(
        session,
        {
            "course_id": course_id,
            "bands": [{"letter": letter, "minPercent": str(m)} for letter, m in ordered],
            "pass_percent": pass_percent,
            "updated_at": utcnow(),
        },
    )
    return _scale(course_id, ordered, pass_percent)


# --------------------------------------------------------------------------- analysis


def _analysis(row: Any) -> AssignmentAnalysis:
    return AssignmentAnalysis(
        submission_id=row.submission_id,
        analysis_type=AnalysisType(row.analysis_type),
        overall_score=row.overall_score,
        strengths=tuple(row.strengths or []),
        weaknesses=tuple(row.weaknesses or []),
        suggestions=tuple(row.suggestions or []),
        detailed_feedback=row.detailed_feedback,
        ai_model=row.ai_model,
        analyzed_by=row.analyzed_by,
        updated_at=row.updated_at,
    )


async def put_analysis(
    session: AsyncSession,
    principal: Principal,
    submission_id: uuid.UUID,
    *,
    analysis_type: AnalysisType,
    overall_score: int | None,
    strengths: Sequence[str],
    weaknesses: Sequence[str],
    suggestions: Sequence[str],
    detailed_feedback: str | None,
) -> AssignmentAnalysis:
    """Write (or replace) the analysis of a submission."""
    submission = await _gradable(session, principal, submission_id)
    now = utcnow()
    await repo.upsert_analysis(
        session,
        {
            "id": new_id(),
            "submission_id": submission.id,
            "analysis_type": analysis_type.value,
            "overall_score": overall_score,
            "strengths": list(strengths),
            "weaknesses": list(weaknesses),
            "suggestions": list(suggestions),
            "detailed_feedback": detailed_feedback,
            "analyzed_by": principal.user_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    row = await repo.get_analysis(session, submission.id)
    assert row is not None
    return _analysis(row)


async def get_analysis(
    session: AsyncSession, principal: Principal, submission_id: uuid.UUID
) -> AssignmentAnalysis:
    submission, staff = await visible_submission(session, principal, submission_id)
    row = await repo.get_analysis(session, submission.id)
    hidden = not staff and submission.status not in (
        SubmissionStatus.GRADED.value,
        SubmissionStatus.REVISION_REQUIRED.value,
    )
    if row is None or hidden:
        raise SubmissionNotFoundForAnalysis()
    return _analysis(row)


class SubmissionNotFoundForAnalysis(AssignmentNotFound):
    code = "analysis_not_found"
    message = "There is no analysis of this submission yet."
