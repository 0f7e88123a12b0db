"""Testimonials (public featured list, submission, admin decisions) and private lesson
notes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from campus.community.data import TestimonialStatus
from campus.community.endpoints.errors import errors
from campus.community.schemas.testimonials import (
    NoteIn,
    NoteOut,
    NotePatch,
    TestimonialDecisionIn,
    TestimonialIn,
    TestimonialOut,
)
from campus.community.service import notes, testimonials
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import Responses

router = api_router(prefix="/testimonials", tags=["testimonials"])
notes_router = api_router(prefix="/notes", tags=["lesson notes"])

MARKDOWN: Responses = {
    200: {
        "content": {"text/markdown": {"schema": {"type": "string"}}},
        "description": "The notes as Markdown",
    }
}


@router.get(
    "",
    summary="Featured testimonials (public)",
    response_model=Page[TestimonialOut],
    responses=errors(422),
)
async def featured_testimonials(
    session: DbSession,
    params: Annotated[PageParams, Depends(page_params)],
    course_id: Annotated[uuid.UUID | None, Query(alias="courseId")] = None,
) -> Page[TestimonialOut]:
    found, total = await testimonials.featured(session, course_id, params.limit, params.offset)
    return Page.build([TestimonialOut.of(t) for t in found], total, params)


@router.post(
    "",
    summary="Submit a testimonial about the platform or a course",
    status_code=201,
    response_model=TestimonialOut,
    responses=errors(401, 404, 415, 422),
)
async def submit_testimonial(
    body: TestimonialIn, session: DbSession, principal: CurrentPrincipal
) -> TestimonialOut:
    return TestimonialOut.of(
        await testimonials.submit(
            session,
            principal,
            text=body.text,
            course_id=body.course_id,
            author_title=body.author_title,
        )
    )


@router.get(
    "/all",
    summary="Every testimonial, by status (admins)",
    response_model=Page[TestimonialOut],
    responses=errors(401, 403, 422),
)
async def all_testimonials(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: TestimonialStatus | None = None,
) -> Page[TestimonialOut]:
    found, total = await testimonials.manage_list(
        session, principal, status, params.limit, params.offset
    )
    return Page.build([TestimonialOut.of(t) for t in found], total, params)


@router.patch(
    "/{testimonial_id}",
    summary="Approve or reject a testimonial, feature it or not (admins)",
    response_model=TestimonialOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def decide_testimonial(
    testimonial_id: uuid.UUID,
    body: TestimonialDecisionIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> TestimonialOut:
    return TestimonialOut.of(
        await testimonials.decide(
            session, principal, testimonial_id, status=body.status, featured=body.is_featured
        )
    )


@notes_router.post(
    "/lessons/{lesson_id}",
    summary="Take a private note on a lesson (optionally at a video time)",
    status_code=201,
    response_model=NoteOut,
    responses=errors(401, 403, 415, 422),
)
async def add_note(
    lesson_id: uuid.UUID, body: NoteIn, session: DbSession, principal: CurrentPrincipal
) -> NoteOut:
    return NoteOut.of(
        await notes.add(
            session, principal, lesson_id, text=body.text, video_seconds=body.video_seconds
        )
    )


@notes_router.get(
    "/courses/{course_id}",
    summary="My notes in a course, by lesson and video time",
    response_model=Page[NoteOut],
    responses=errors(401, 422),
)
async def list_notes(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    lesson_id: Annotated[uuid.UUID | None, Query(alias="lessonId")] = None,
) -> Page[NoteOut]:
    found, total = await notes.list_for_course(
        session, principal, course_id, lesson_id, params.limit, params.offset
    )
    return Page.build([NoteOut.of(n) for n in found], total, params)


@notes_router.get(
    "/courses/{course_id}/export",
    summary="My notes in a course as a Markdown document",
    response_class=Response,
    responses={**MARKDOWN, **errors(401, 422)},
)
async def export_notes(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    text = await notes.export_markdown(session, principal, course_id)
    return Response(
        text,
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="notes.md"'},
    )


@notes_router.patch(
    "/{note_id}",
    summary="Edit one of my notes",
    response_model=NoteOut,
    responses=errors(401, 404, 415, 422),
)
async def edit_note(
    note_id: uuid.UUID, body: NotePatch, session: DbSession, principal: CurrentPrincipal
) -> NoteOut:
    return NoteOut.of(
        await notes.edit(
            session, principal, note_id, text=body.text, video_seconds=body.video_seconds
        )
    )


@notes_router.delete(
    "/{note_id}",
    summary="Delete one of my notes",
    status_code=204,
    responses=errors(401, 404, 422),
)
async def delete_note(
    note_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await notes.delete(session, principal, note_id)
    return Response(status_code=204)
