"""Authoring: create and edit courses, the review workflow, versions, instructors, translations.

Handlers parse, resolve the principal, call one service function and return; services check
access (a course the caller cannot see is a 404, one it may not change a 403).
"""

from __future__ import annotations

import uuid

from fastapi import Depends, Query

from campus.catalog.data import CourseStatus
from campus.catalog.endpoints.dependencies import LanguagePath, write_router
from campus.catalog.endpoints.errors import READ_ERRORS, WRITE_ERRORS, errors
from campus.catalog.httpcache import CatalogNoContent
from campus.catalog.schemas.courses import (
    ApproveRequest,
    AuthoringCourse,
    AuthoringCourseCard,
    CourseCreate,
    CourseTranslationIn,
    CourseTranslationOut,
    CourseUpdate,
    InstructorsUpdate,
    SendBackRequest,
    SubmitRequest,
    TransferOwnership,
    VersionDetailOut,
    VersionSummaryOut,
)
from campus.catalog.service import authoring, publication
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import ApiModel

router = write_router(tags=["authoring"])


class VersionList(ApiModel):
    items: list[VersionSummaryOut]


@router.post(
    "/courses",
    status_code=201,
    summary="Create a draft course (instructors)",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def create_course(
    body: CourseCreate, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(await authoring.create_course(session, principal, body))


@router.get(
    "/authoring/courses",
    summary="Courses I teach, in any status (catalog staff see every course)",
    response_model=Page[AuthoringCourseCard],
    responses=errors(401, 422),
)
async def my_courses(
    session: DbSession,
    principal: CurrentPrincipal,
    page: PageParams = Depends(page_params),
    status: CourseStatus | None = Query(None),
    mine: bool = Query(False, description="Staff: only the courses I teach"),
) -> Page[AuthoringCourseCard]:
    cards, total = await authoring.authoring_courses(
        session, principal, status=status, mine=mine, page=page
    )
    return Page[AuthoringCourseCard].build([AuthoringCourseCard.of(c) for c in cards], total, page)


@router.get(
    "/authoring/courses/{course_id}",
    summary="A course as its authors see it: any status, full lesson content",
    response_model=AuthoringCourse,
    responses=READ_ERRORS,
)
async def authoring_course(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(await authoring.authoring_course(session, principal, course_id))


@router.patch(
    "/courses/{course_id}",
    summary="Edit course fields (status, counters and ownership are not editable here)",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def update_course(
    course_id: uuid.UUID, body: CourseUpdate, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(await authoring.update_course(session, principal, course_id, body))


@router.delete(
    "/courses/{course_id}",
    status_code=204,
    summary="Delete a draft that was never published and has no enrollments",
    response_class=CatalogNoContent,
    responses=errors(401, 403, 404, 409, 422),
)
async def delete_course(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await authoring.delete_course(session, principal, course_id)
    return CatalogNoContent()


@router.post(
    "/courses/{course_id}/submit",
    summary="Submit the draft curriculum for review",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def submit(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    body: SubmitRequest | None = None,
) -> AuthoringCourse:
    course = await publication.submit(session, principal, course_id, body or SubmitRequest())
    return AuthoringCourse.of(course)


@router.post(
    "/courses/{course_id}/approve",
    summary="Approve the version under review and publish it (course:publish)",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def approve(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    body: ApproveRequest | None = None,
) -> AuthoringCourse:
    course = await publication.approve(session, principal, course_id, body or ApproveRequest())
    return AuthoringCourse.of(course)


@router.post(
    "/courses/{course_id}/send-back",
    summary="Send the version under review back to draft with notes (course:publish)",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def send_back(
    course_id: uuid.UUID, body: SendBackRequest, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(
        await publication.send_back(session, principal, course_id, body.notes)
    )


@router.post(
    "/courses/{course_id}/archive",
    summary="Archive a published course (hidden from the catalog; learners keep access)",
    response_model=AuthoringCourse,
    responses=errors(401, 403, 404, 409, 422),
)
async def archive(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(await publication.archive(session, principal, course_id))


@router.post(
    "/courses/{course_id}/restore",
    summary="Put an archived course back in the catalog",
    response_model=AuthoringCourse,
    responses=errors(401, 403, 404, 409, 422),
)
async def restore(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(await publication.restore(session, principal, course_id))


@router.get(
    "/courses/{course_id}/versions",
    summary="The course's curriculum versions, newest first",
    response_model=VersionList,
    responses=READ_ERRORS,
)
async def versions(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> VersionList:
    versions = await publication.versions(session, principal, course_id)
    return VersionList(items=[VersionSummaryOut.of(v) for v in versions])


@router.get(
    "/courses/{course_id}/versions/{version_id}",
    summary="One version with its full curriculum",
    response_model=VersionDetailOut,
    responses=READ_ERRORS,
)
async def version_detail(
    course_id: uuid.UUID, version_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> VersionDetailOut:
    detail = await publication.version_detail(session, principal, course_id, version_id)
    return VersionDetailOut.of(detail.version, detail.modules)


@router.put(
    "/courses/{course_id}/instructors",
    summary="Set the co-instructors (primary instructor or course:edit_any)",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def set_instructors(
    course_id: uuid.UUID, body: InstructorsUpdate, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    return AuthoringCourse.of(
        await authoring.set_co_instructors(session, principal, course_id, body)
    )


@router.post(
    "/courses/{course_id}/transfer-ownership",
    summary="Make another instructor the primary instructor",
    response_model=AuthoringCourse,
    responses=WRITE_ERRORS,
)
async def transfer_ownership(
    course_id: uuid.UUID, body: TransferOwnership, session: DbSession, principal: CurrentPrincipal
) -> AuthoringCourse:
    course = await authoring.transfer_ownership(
        session,
        principal,
        course_id,
        body.new_primary_instructor_id,
        keep_previous=body.keep_previous_as_co_instructor,
    )
    return AuthoringCourse.of(course)


@router.put(
    "/courses/{course_id}/translations/{language}",
    summary="Add or replace the course's title and description in another language",
    response_model=CourseTranslationOut,
    responses=WRITE_ERRORS,
)
async def put_translation(
    course_id: uuid.UUID,
    language: LanguagePath,
    body: CourseTranslationIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CourseTranslationOut:
    return CourseTranslationOut.of(
        await authoring.put_translation(session, principal, course_id, language, body)
    )


@router.delete(
    "/courses/{course_id}/translations/{language}",
    status_code=204,
    summary="Remove a course translation",
    response_class=CatalogNoContent,
    responses=errors(401, 403, 404, 422),
)
async def delete_translation(
    course_id: uuid.UUID, language: LanguagePath, session: DbSession, principal: CurrentPrincipal
) -> CatalogNoContent:
    await authoring.delete_translation(session, principal, course_id, language)
    return CatalogNoContent()
