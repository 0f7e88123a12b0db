"""Assignment and exam routes (the same shapes under /assignments and /exams), submissions and
file downloads."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, UploadFile
from fastapi.responses import FileResponse

from campus.assessment.data import AssessmentKind
from campus.assessment.endpoints.errors import READ_ERRORS, UPLOAD_ERRORS, WRITE_ERRORS, errors
from campus.assessment.endpoints.limits import AssessmentLimits
from campus.assessment.exceptions import FileNotFound
from campus.assessment.schemas.assignments import (
    AssignmentCreate,
    AssignmentOut,
    AssignmentSubmissionOut,
    AssignmentUpdate,
    FileOut,
    SubmissionIn,
)
from campus.assessment.service import assignments, storage, submissions
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.storage import FILE_TYPES

Upload = Annotated[UploadFile, File(description="The file (type checked from its content)")]


def _kind_router(kind: AssessmentKind, segment: str, noun: str) -> APIRouter:
    router = api_router(tags=[segment])

    @router.post(
        f"/courses/{{course_id}}/{segment}",
        status_code=201,
        summary=f"Create an {noun}" if noun[0] in "aeiou" else f"Create a {noun}",
        response_model=AssignmentOut,
        responses=WRITE_ERRORS,
    )
    async def create(
        course_id: uuid.UUID,
        body: AssignmentCreate,
        session: DbSession,
        principal: CurrentPrincipal,
        limits: AssessmentLimits,
    ) -> AssignmentOut:
        created = await assignments.create(
            session,
            principal,
            course_id,
            kind,
            body.model_dump(exclude_unset=True),
            limits.upload_max_bytes,
        )
        return AssignmentOut.of(created)

    @router.get(
        f"/courses/{{course_id}}/{segment}",
        summary=f"The course's {segment} (learners see published ones)",
        response_model=Page[AssignmentOut],
        responses=READ_ERRORS,
    )
    async def list_for_course(
        course_id: uuid.UUID,
        session: DbSession,
        principal: CurrentPrincipal,
        params: Annotated[PageParams, Depends(page_params)],
    ) -> Page[AssignmentOut]:
        items, total = await assignments.list_for_course(
            session, principal, course_id, kind, params
        )
        return Page[AssignmentOut].build([AssignmentOut.of(a) for a in items], total, params)

    @router.get(
        f"/{segment}/{{assignment_id}}",
        summary=f"One {noun} with its resources",
        response_model=AssignmentOut,
        responses=READ_ERRORS,
    )
    async def get(
        assignment_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
    ) -> AssignmentOut:
        return AssignmentOut.of(await assignments.get(session, principal, assignment_id, kind))

    @router.patch(
        f"/{segment}/{{assignment_id}}",
        summary=f"Change an {noun}'s settings or publish it",
        response_model=AssignmentOut,
        responses=WRITE_ERRORS,
    )
    async def update(
        assignment_id: uuid.UUID,
        body: AssignmentUpdate,
        session: DbSession,
        principal: CurrentPrincipal,
        limits: AssessmentLimits,
    ) -> AssignmentOut:
        updated = await assignments.update(
            session,
            principal,
            assignment_id,
            kind,
            body.model_dump(exclude_unset=True),
            limits.upload_max_bytes,
        )
        return AssignmentOut.of(updated)

    @router.post(
        f"/{segment}/{{assignment_id}}/resources",
        status_code=201,
        summary=f"Attach a resource file to an {noun} (instructors)",
        response_model=FileOut,
        responses=UPLOAD_ERRORS,
    )
    async def add_resource(
        assignment_id: uuid.UUID,
        file: Upload,
        session: DbSession,
        principal: CurrentPrincipal,
        limits: AssessmentLimits,
    ) -> FileOut:
        async with limits.refusals(principal.user_id):
            stored = await assignments.add_resource(
                session,
                principal,
                assignment_id,
                kind,
                file,
                file.filename,
                limits.files,
                limits.upload_max_bytes,
            )
            return FileOut.of(stored)

    start_summary = (
        "Start the timed exam (enrolled learners)"
        if kind is AssessmentKind.EXAM
        else "Open a submission draft (enrolled learners)"
    )

    @router.post(
        f"/{segment}/{{assignment_id}}/submissions",
        status_code=201,
        summary=start_summary,
        response_model=AssignmentSubmissionOut,
        responses=WRITE_ERRORS,
    )
    async def start(
        assignment_id: uuid.UUID,
        session: DbSession,
        principal: CurrentPrincipal,
        limits: AssessmentLimits,
        body: SubmissionIn | None = None,
    ) -> AssignmentSubmissionOut:
        content = None if body is None else body.model_dump(exclude_unset=True)
        started = await submissions.start(
            session, principal, assignment_id, kind, content, limits.grace_seconds
        )
        return AssignmentSubmissionOut.of(started)

    @router.get(
        f"/{segment}/{{assignment_id}}/submissions",
        summary="Submissions (learners: their own; staff: everyone's)",
        response_model=Page[AssignmentSubmissionOut],
        responses=READ_ERRORS,
    )
    async def list_submissions(
        assignment_id: uuid.UUID,
        session: DbSession,
        principal: CurrentPrincipal,
        params: Annotated[PageParams, Depends(page_params)],
        limits: AssessmentLimits,
    ) -> Page[AssignmentSubmissionOut]:
        items, total = await submissions.list_for_assignment(
            session, principal, assignment_id, kind, params, limits.grace_seconds
        )
        return Page[AssignmentSubmissionOut].build(
            [AssignmentSubmissionOut.of(s) for s in items], total, params
        )

    return router


assignment_router = _kind_router(AssessmentKind.ASSIGNMENT, "assignments", "assignment")
exam_router = _kind_router(AssessmentKind.EXAM, "exams", "exam")
router = api_router(tags=["submissions"])


@router.get(
    "/submissions/{submission_id}",
    summary="A submission with its files and (once graded) its grade and feedback",
    response_model=AssignmentSubmissionOut,
    responses=READ_ERRORS,
)
async def get_submission(
    submission_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
) -> AssignmentSubmissionOut:
    return AssignmentSubmissionOut.of(
        await submissions.get(session, principal, submission_id, limits.grace_seconds)
    )


@router.patch(
    "/submissions/{submission_id}",
    summary="Change the text or link of an open submission",
    response_model=AssignmentSubmissionOut,
    responses=WRITE_ERRORS,
)
async def update_submission(
    submission_id: uuid.UUID,
    body: SubmissionIn,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
) -> AssignmentSubmissionOut:
    changes = body.model_dump(exclude_unset=True)
    return AssignmentSubmissionOut.of(
        await submissions.update(session, principal, submission_id, changes, limits.grace_seconds)
    )


@router.post(
    "/submissions/{submission_id}/files",
    status_code=201,
    summary="Upload a file to an open submission (size and type limits apply)",
    response_model=AssignmentSubmissionOut,
    responses=UPLOAD_ERRORS,
)
async def upload_file(
    submission_id: uuid.UUID,
    file: Upload,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
) -> AssignmentSubmissionOut:
    async with limits.refusals(principal.user_id):
        submission = await submissions.upload(
            session,
            principal,
            submission_id,
            file,
            file.filename,
            limits.files,
            limits.upload_max_bytes,
            limits.grace_seconds,
        )
        return AssignmentSubmissionOut.of(submission)


@router.post(
    "/submissions/{submission_id}/submit",
    summary="Hand the submission in",
    response_model=AssignmentSubmissionOut,
    responses=errors(401, 404, 409, 422),
)
async def hand_in(
    submission_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    limits: AssessmentLimits,
) -> AssignmentSubmissionOut:
    return AssignmentSubmissionOut.of(
        await submissions.hand_in(session, principal, submission_id, limits.grace_seconds)
    )


#: A file is served with the media type of its type (checked from its content at upload).
_DOWNLOAD: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file, as an attachment",
        "content": {
            media_type: {"schema": {"type": "string", "format": "binary"}}
            for media_type, _ in FILE_TYPES.values()
        },
    },
    **errors(401, 404, 422),
}


@router.get(
    "/assessment-files/{file_id}",
    summary="Download a file (the submitter, the course's staff; resources: enrolled learners)",
    response_class=FileResponse,
    response_model=None,
    responses=_DOWNLOAD,
)
async def download(
    file_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal, limits: AssessmentLimits
) -> FileResponse:
    record = await submissions.file_for_download(session, principal, file_id)
    path = storage.path_for(limits.files, record.id)
    if not path.is_file():
        raise FileNotFound()
    return FileResponse(
        path,
        media_type=record.content_type,
        filename=record.name,
        content_disposition_type="attachment",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"},
    )
