"""Grading routes (queue, grades, revisions, history, analyses, grade scales) and gradebook."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from campus.assessment.endpoints.errors import READ_ERRORS, WRITE_ERRORS, errors
from campus.assessment.schemas.assignments import (
    AnalysisIn,
    AssignmentAnalysisOut,
    AssignmentSubmissionOut,
    CourseGradingIn,
    CourseGradingOut,
    GradebookOut,
    GradeHistoryOut,
    GradeIn,
    QueueItemOut,
    RevisionIn,
)
from campus.assessment.service import gradebook, grading
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(tags=["grading"])
book_router = api_router(tags=["gradebook"])


@router.get(
    "/grading/queue",
    summary="Handed-in submissions to grade (courses the caller teaches)",
    response_model=Page[QueueItemOut],
    responses=READ_ERRORS,
)
async def grading_queue(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    course_id: uuid.UUID | None = Query(None, alias="courseId"),
    assignment_id: uuid.UUID | None = Query(None, alias="assignmentId"),
    status: Literal["ungraded", "graded", "revision_required", "all"] = "ungraded",
    late: bool | None = None,
) -> Page[QueueItemOut]:
    items, total = await grading.queue(
        session,
        principal,
        params,
        course_id=course_id,
        assignment_id=assignment_id,
        status=status,
        late=late,
    )
    return Page[QueueItemOut].build([QueueItemOut.of(i) for i in items], total, params)


@router.post(
    "/submissions/{submission_id}/grade",
    summary="Grade a submission: marks or rubric, feedback, letter grade",
    response_model=AssignmentSubmissionOut,
    responses=WRITE_ERRORS,
)
async def grade(
    submission_id: uuid.UUID, body: GradeIn, session: DbSession, principal: CurrentPrincipal
) -> AssignmentSubmissionOut:
    graded = await grading.grade(
        session,
        principal,
        submission_id,
        marks=body.marks,
        rubric=body.rubric,
        feedback=body.feedback,
        letter_grade=body.letter_grade,
    )
    return AssignmentSubmissionOut.of(graded)


@router.post(
    "/submissions/{submission_id}/revision-request",
    summary="Ask the learner to revise and resubmit",
    response_model=AssignmentSubmissionOut,
    responses=WRITE_ERRORS,
)
async def request_revision(
    submission_id: uuid.UUID, body: RevisionIn, session: DbSession, principal: CurrentPrincipal
) -> AssignmentSubmissionOut:
    return AssignmentSubmissionOut.of(
        await grading.request_revision(session, principal, submission_id, body.feedback)
    )


@router.get(
    "/submissions/{submission_id}/grade-history",
    summary="Every grade, feedback and revision request of a submission, oldest first",
    response_model=Page[GradeHistoryOut],
    responses=READ_ERRORS,
)
async def grade_history(
    submission_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[GradeHistoryOut]:
    items, total = await grading.history(session, principal, submission_id, params)
    return Page[GradeHistoryOut].build([GradeHistoryOut.of(h) for h in items], total, params)


@router.put(
    "/submissions/{submission_id}/analysis",
    summary="Write the analysis of a submission (strengths, weaknesses, suggestions)",
    response_model=AssignmentAnalysisOut,
    responses=WRITE_ERRORS,
)
async def put_analysis(
    submission_id: uuid.UUID, body: AnalysisIn, session: DbSession, principal: CurrentPrincipal
) -> AssignmentAnalysisOut:
    written = await grading.put_analysis(
        session,
        principal,
        submission_id,
        analysis_type=body.analysis_type,
        overall_score=body.overall_score,
        strengths=body.strengths,
        weaknesses=body.weaknesses,
        suggestions=body.suggestions,
        detailed_feedback=body.detailed_feedback,
    )
    return AssignmentAnalysisOut.of(written)


@router.get(
    "/submissions/{submission_id}/analysis",
    summary="The analysis of a submission",
    response_model=AssignmentAnalysisOut,
    responses=READ_ERRORS,
)
async def get_analysis(
    submission_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AssignmentAnalysisOut:
    return AssignmentAnalysisOut.of(await grading.get_analysis(session, principal, submission_id))


@router.get(
    "/courses/{course_id}/grading-settings",
    summary="The course's grade scale and pass mark",
    response_model=CourseGradingOut,
    responses=READ_ERRORS,
)
async def get_grading_settings(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CourseGradingOut:
    return CourseGradingOut.of(await grading.get_course_grading(session, principal, course_id))


@router.put(
    "/courses/{course_id}/grading-settings",
    summary="Set the course's grade scale and pass mark",
    response_model=CourseGradingOut,
    responses=WRITE_ERRORS,
)
async def put_grading_settings(
    course_id: uuid.UUID, body: CourseGradingIn, session: DbSession, principal: CurrentPrincipal
) -> CourseGradingOut:
    bands = [(b.letter, b.min_percent) for b in body.bands]
    return CourseGradingOut.of(
        await grading.put_course_grading(session, principal, course_id, bands, body.pass_percent)
    )


@book_router.get(
    "/courses/{course_id}/gradebook",
    summary="The course's gradebook: every learner x every assessment (staff)",
    response_model=GradebookOut,
    responses=READ_ERRORS,
)
async def course_gradebook(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> GradebookOut:
    return GradebookOut.of(await gradebook.course_gradebook(session, principal, course_id, params))


@book_router.get(
    "/courses/{course_id}/gradebook/me",
    summary="My row of the course's gradebook",
    response_model=GradebookOut,
    responses=READ_ERRORS,
)
async def my_gradebook(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> GradebookOut:
    return GradebookOut.of(await gradebook.my_gradebook(session, principal, course_id))


_CSV: dict[int | str, dict[str, Any]] = {
    200: {"description": "The gradebook as CSV", "content": {"text/csv": {}}},
    **errors(401, 403, 404, 422),
}


async def _stream(lines: Iterator[str]) -> AsyncIterator[bytes]:
    for line in lines:
        yield line.encode()


@book_router.get(
    "/courses/{course_id}/gradebook.csv",
    summary="Export the gradebook as CSV (streamed)",
    response_class=StreamingResponse,
    response_model=None,
    responses=_CSV,
)
async def gradebook_csv(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> StreamingResponse:
    lines = await gradebook.gradebook_csv(session, principal, course_id)
    return StreamingResponse(
        _stream(lines),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="gradebook-{course_id}.csv"'},
    )
