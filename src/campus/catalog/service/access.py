"""Scope first, then permit: load a course for an action or fail with 404/403."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from campus.catalog import policies
from campus.catalog.data import CourseStatus, VersionStatus
from campus.catalog.exceptions import CourseArchived, CourseNotFound, UnderReview
from campus.catalog.models import Course, CourseVersion
from campus.catalog.policies import Action
from campus.catalog.repository import courses as repo
from campus.catalog.repository import structure as structure_repo
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden
from campus.kernel.ids import new_id

#: ``session.info`` flag: this unit of work changed what the public catalog shows, so cached
#: catalog pages must be invalidated once it has committed (see ``catalog.httpcache``).
PUBLIC_CHANGE = "catalog_public_change"


def mark_public_change(session: AsyncSession) -> None:
    session.info[PUBLIC_CHANGE] = True


async def course_for(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    action: Action,
    *,
    lock: bool = False,
) -> Course:
    """The course if ``principal`` may ``action`` it: 404 when it cannot see it, 403 when it
    sees it but may not act. ``lock`` serialises writers of the same course."""
    course = await repo.get_course(session, course_id, lock=lock)
    if course is None or not policies.can_see(principal, course):
        raise CourseNotFound()
    if not policies.allows(principal, course, action):
        raise Forbidden(details={"action": action.value})
    return course


async def working_version(session: AsyncSession, course: Course) -> CourseVersion:
    """The version curriculum edits go to (the course row must be locked by the caller).

    A draft course edits its draft. A published course gets a new draft on its first edit: a
    deep copy of the current version (same lineage ids), which becomes current when approved;
    learners keep the version they have until then.
    """
    if course.status == CourseStatus.ARCHIVED:
        raise CourseArchived()
    if course.draft_version_id is not None:
        version = await repo.get_version(session, course.draft_version_id)
        assert version is not None
        if version.status == VersionStatus.PENDING_REVIEW:
            raise UnderReview()
        return version
    assert course.current_version_id is not None, "a course always has a draft or a current version"
    number = await repo.next_version_number(session, course.id)
    version_id = new_id()
    now = utcnow()
    await repo.insert_version(
        session,
        {
            "id": version_id,
            "course_id": course.id,
            "number": number,
            "status": VersionStatus.DRAFT.value,
            "based_on_id": course.current_version_id,
            "created_at": now,
            "updated_at": now,
        },
    )
    await structure_repo.copy_structure(session, course.current_version_id, version_id)
    await repo.refresh_version_stats(session, version_id)
    await repo.set_counters(session, course.id, {"draft_version_id": version_id})
    set_committed_value(course, "draft_version_id", version_id)
    version = await repo.get_version(session, version_id)
    assert version is not None
    return version


def displayed_version_id(course: Course) -> uuid.UUID | None:
    """What authors see: the draft if any, else the current version."""
    return course.draft_version_id or course.current_version_id
