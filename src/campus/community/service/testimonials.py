"""Testimonials: learners submit, admins approve, reject and feature; featured ones are
public."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community.data import TESTIMONIAL_MANAGE, TestimonialStatus
from campus.community.exceptions import CourseNotFound, TestimonialNotFound
from campus.community.models import Testimonial
from campus.community.repository import testimonials as repo
from campus.community.service.records import TestimonialRecord
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict


def _record(t: Testimonial) -> TestimonialRecord:
    return TestimonialRecord(
        id=t.id,
        user_id=t.user_id,
        course_id=t.course_id,
        text=t.text,
        author_name=t.author_name,
        author_title=t.author_title,
        status=t.status,
        is_featured=t.is_featured,
        created_at=t.created_at,
    )


async def submit(
    session: AsyncSession,
    principal: Principal,
    *,
    text: str,
    course_id: uuid.UUID | None,
    author_title: str | None,
) -> TestimonialRecord:
    if course_id is not None and await catalog.get_course_summary(session, course_id) is None:
        raise CourseNotFound()
    user = await identity.get_user_summary(session, principal.user_id)
    now = utcnow()
    row = Testimonial(
        user_id=principal.user_id,
        course_id=course_id,
        text=text,
        author_name=user.display_name if user else "",
        author_title=author_title,
        status=TestimonialStatus.PENDING.value,
        is_featured=False,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return _record(row)


async def featured(
    session: AsyncSession, course_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[TestimonialRecord], int]:
    where = [Testimonial.is_featured.is_(True), Testimonial.status == TestimonialStatus.APPROVED]
    if course_id is not None:
        where.append(Testimonial.course_id == course_id)
    found, total = await repo.page(session, where, limit, offset)
    return [_record(t) for t in found], total


async def manage_list(
    session: AsyncSession,
    principal: Principal,
    status: TestimonialStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[TestimonialRecord], int]:
    principal.require(TESTIMONIAL_MANAGE)
    where = [] if status is None else [Testimonial.status == status.value]
    found, total = await repo.page(session, where, limit, offset)
    return [_record(t) for t in found], total


async def decide(
    session: AsyncSession,
    principal: Principal,
    testimonial_id: uuid.UUID,
    *,
    status: TestimonialStatus | None,
    featured: bool | None,
) -> TestimonialRecord:
    """Approve or reject, and feature or unfeature (only an approved one is featured)."""
    principal.require(TESTIMONIAL_MANAGE)
    found = await repo.get(session, testimonial_id)
    if found is None:
        raise TestimonialNotFound()
    values: dict[str, object] = {"updated_at": utcnow()}
    if status is not None:
        values["status"] = status.value
        values["approved_by"] = principal.user_id
        if status is not TestimonialStatus.APPROVED:
            values["is_featured"] = False
    final_status = status.value if status is not None else found.status
    if featured is not None:
        if featured and final_status != TestimonialStatus.APPROVED:
            raise Conflict("Approve the testimonial before featuring it.", code="not_approved")
        values["is_featured"] = featured
    await repo.update(session, found.id, **values)
    refreshed = await repo.get(session, found.id)
    assert refreshed is not None
    return _record(refreshed)
