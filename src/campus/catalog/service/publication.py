"""The publication workflow: draft → pending_review → published → archived, per version.

Every step is an atomic conditional update (``UPDATE ... WHERE status = expected``); losing a
race or starting from the wrong state is a 409 ``invalid_transition``, never a half-applied step.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import events
from campus.catalog.data import CourseStatus, VersionStatus
from campus.catalog.exceptions import CourseIncomplete, InvalidTransition, VersionNotFound
from campus.catalog.models import Course, CourseVersion
from campus.catalog.policies import Action
from campus.catalog.repository import courses as repo
from campus.catalog.service import access, assemble, search
from campus.catalog.service.access import mark_public_change
from campus.catalog.service.inputs import Approval, Submission
from campus.catalog.service.records import (
    AuthoringCourseRecord,
    VersionDetailRecord,
    VersionRecord,
)
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.events import publish


async def _draft(session: AsyncSession, course: Course, action: str) -> CourseVersion:
    version = (
        await repo.get_version(session, course.draft_version_id)
        if course.draft_version_id
        else None
    )
    if version is None:
        raise InvalidTransition(action, course.status, "There is no curriculum change to review.")
    return version


async def submit(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, data: Submission
) -> AuthoringCourseRecord:
    course = await access.course_for(session, principal, course_id, Action.SUBMIT, lock=True)
    if course.status not in {CourseStatus.DRAFT, CourseStatus.PUBLISHED}:
        raise InvalidTransition("submit", course.status)
    version = await _draft(session, course, "submit")
    if version.status != VersionStatus.DRAFT:
        raise InvalidTransition("submit", course.status, "The curriculum is already under review.")
    await repo.refresh_version_stats(session, version.id)
    version = await _draft(session, course, "submit")
    if version.lesson_count == 0:
        raise CourseIncomplete()
    now = utcnow()
    values: dict[str, object] = {
        "submitted_at": now,
        "submitted_by": principal.user_id,
        "review_notes": None,
    }
    if "changelog" in data.model_fields_set:
        values["changelog"] = data.changelog
    if "min_quiz_score_for_certificate" in data.model_fields_set:
        values["min_quiz_score"] = data.min_quiz_score_for_certificate
    values["status"] = VersionStatus.PENDING_REVIEW.value
    if not await repo.transition_version(
        session, version.id, from_status=VersionStatus.DRAFT.value, values=values
    ):
        raise InvalidTransition("submit", course.status)
    if course.status == CourseStatus.DRAFT and not await repo.transition_course(
        session,
        course.id,
        from_status=[CourseStatus.DRAFT.value],
        values={"status": CourseStatus.PENDING_REVIEW.value},
    ):
        raise InvalidTransition("submit", course.status)
    await publish(
        session,
        events.CourseSubmitted(
            course_id=course.id,
            version_id=version.id,
            version_number=version.number,
            submitted_by=principal.user_id,
            submitted_at=now,
        ),
    )
    return await assemble.authoring_view(session, course.id)


async def approve(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, data: Approval
) -> AuthoringCourseRecord:
    """Freeze the version under review and make it current (first publication included)."""
    course = await access.course_for(session, principal, course_id, Action.REVIEW, lock=True)
    if course.status not in {CourseStatus.PENDING_REVIEW, CourseStatus.PUBLISHED}:
        raise InvalidTransition("approve", course.status)
    version = await _draft(session, course, "approve")
    now = utcnow()
    if not await repo.transition_version(
        session,
        version.id,
        from_status=VersionStatus.PENDING_REVIEW.value,
        values={
            "status": VersionStatus.PUBLISHED.value,
            "published_at": now,
            "reviewed_at": now,
            "reviewed_by": principal.user_id,
            "review_notes": data.notes,
        },
    ):
        raise InvalidTransition("approve", course.status, "The curriculum is not under review.")
    await repo.refresh_version_stats(session, version.id)
    version = await repo.get_version(session, version.id) or version
    previous = course.current_version_id
    first = course.published_at is None
    if not await repo.transition_course(
        session,
        course.id,
        from_status=[CourseStatus.PENDING_REVIEW.value, CourseStatus.PUBLISHED.value],
        values={
            "status": CourseStatus.PUBLISHED.value,
            "current_version_id": version.id,
            "draft_version_id": None,
            "published_at": course.published_at or now,
            "duration_seconds": version.duration_seconds,
            "module_count": version.module_count,
            "lesson_count": version.lesson_count,
        },
        extra=[Course.draft_version_id == version.id],
    ):
        raise InvalidTransition("approve", course.status)
    fresh = await repo.get_course(session, course.id)
    assert fresh is not None
    await search.reindex(session, fresh)
    mark_public_change(session)
    await publish(
        session,
        events.CoursePublished(
            course_id=course.id,
            version_id=version.id,
            version_number=version.number,
            previous_version_id=previous,
            first_publication=first,
            slug=fresh.slug,
            title=fresh.title,
            primary_instructor_id=fresh.primary_instructor_id,
            instructor_ids=list(fresh.instructor_ids),
            published_at=now,
        ),
    )
    return await assemble.authoring_view_of(session, fresh)


async def send_back(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, notes: str
) -> AuthoringCourseRecord:
    """Return the version under review to its authors, with the reviewer's notes."""
    course = await access.course_for(session, principal, course_id, Action.REVIEW, lock=True)
    if course.status not in {CourseStatus.PENDING_REVIEW, CourseStatus.PUBLISHED}:
        raise InvalidTransition("send_back", course.status)
    version = await _draft(session, course, "send_back")
    now = utcnow()
    if not await repo.transition_version(
        session,
        version.id,
        from_status=VersionStatus.PENDING_REVIEW.value,
        values={
            "status": VersionStatus.DRAFT.value,
            "reviewed_at": now,
            "reviewed_by": principal.user_id,
            "review_notes": notes,
        },
    ):
        raise InvalidTransition("send_back", course.status, "The curriculum is not under review.")
    if course.status == CourseStatus.PENDING_REVIEW and not await repo.transition_course(
        session,
        course.id,
        from_status=[CourseStatus.PENDING_REVIEW.value],
        values={"status": CourseStatus.DRAFT.value},
    ):
        raise InvalidTransition("send_back", course.status)
    await publish(
        session,
        events.CourseSentBack(
            course_id=course.id,
            version_id=version.id,
            version_number=version.number,
            reviewer_id=principal.user_id,
            notes=notes,
            sent_back_at=now,
        ),
    )
    return await assemble.authoring_view(session, course.id)


async def archive(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> AuthoringCourseRecord:
    """Hide a published course from the catalog; enrolled learners keep their version."""
    course = await access.course_for(session, principal, course_id, Action.ARCHIVE, lock=True)
    now = utcnow()
    if not await repo.transition_course(
        session,
        course.id,
        from_status=[CourseStatus.PUBLISHED.value],
        values={"status": CourseStatus.ARCHIVED.value, "archived_at": now},
    ):
        raise InvalidTransition("archive", course.status)
    await repo.delete_search_document(session, course.id)
    mark_public_change(session)
    await publish(
        session,
        events.CourseArchived(
            course_id=course.id,
            archived_by=principal.user_id,
            archived_at=now,
        ),
    )
    return await assemble.authoring_view(session, course.id)


async def restore(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> AuthoringCourseRecord:
    """Put an archived course back in the catalog with its current version."""
    course = await access.course_for(session, principal, course_id, Action.ARCHIVE, lock=True)
    if not await repo.transition_course(
        session,
        course.id,
        from_status=[CourseStatus.ARCHIVED.value],
        values={"status": CourseStatus.PUBLISHED.value, "archived_at": None},
    ):
        raise InvalidTransition("restore", course.status)
    fresh = await repo.get_course(session, course.id)
    assert fresh is not None
    await search.reindex(session, fresh)
    mark_public_change(session)
    await publish(
        session,
        events.CourseUpdated(
            course_id=course.id,
            status=CourseStatus.PUBLISHED.value,
            fields=["status"],
            updated_by=principal.user_id,
            updated_at=utcnow(),
        ),
    )
    return await assemble.authoring_view_of(session, fresh)


async def versions(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> list[VersionRecord]:
    course = await access.course_for(session, principal, course_id, Action.VIEW_AUTHORING)
    return [
        assemble.version_record(v, course.current_version_id)
        for v in await repo.list_versions(session, course.id)
    ]


async def version_detail(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID, version_id: uuid.UUID
) -> VersionDetailRecord:
    course = await access.course_for(session, principal, course_id, Action.VIEW_AUTHORING)
    version = await repo.get_version(session, version_id)
    if version is None or version.course_id != course.id:
        raise VersionNotFound()
    return VersionDetailRecord(
        version=assemble.version_record(version, course.current_version_id),
        modules=tuple(await assemble.version_modules(session, version.id)),
    )
