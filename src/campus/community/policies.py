"""Who may do what in a forum.

A course forum is read and written by the course's learners (an active enrollment), its
instructors, its course moderators (chosen by the instructor), platform moderators and
admins; anyone may read it when the course is published and its forum's ``publicPreview`` is
on. The platform forum is read by anyone and written by any signed-in user (announcements by
moderators only). A muted user may read but not post; a banned user may do neither, until the
sanction ends.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community.data import COMMUNITY_MODERATE, ForumCategory, SanctionKind
from campus.community.exceptions import CourseNotFound, ForumAccessDenied, UserSanctioned
from campus.community.repository import forums as repo
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Unauthorized
from campus.learning import api as learning


@dataclass(frozen=True, slots=True)
class ForumAccess:
    """What the caller may do in one forum (``course_id`` None: the platform forum)."""

    course_id: uuid.UUID | None
    user_id: uuid.UUID | None
    can_read: bool
    can_write: bool
    #: Pin, lock, hide and delete others' content, sanction users.
    can_moderate: bool
    #: Instructors (and admins, platform moderators) may accept a solution on any topic.
    is_staff: bool
    sanction: str | None = None

    def require_read(self) -> None:
        if not self.can_read:
            if self.sanction == SanctionKind.BAN:
                raise UserSanctioned()
            if self.user_id is None:
                raise Unauthorized("Sign in to read this course's forum.")
            raise ForumAccessDenied()

    def require_write(self) -> None:
        self.require_read()
        if self.sanction is not None:
            raise UserSanctioned()
        if not self.can_write:
            raise ForumAccessDenied()

    def require_moderate(self) -> None:
        self.require_read()
        if not self.can_moderate:
            raise ForumAccessDenied("Only the forum's moderators may do that.")


def is_platform_moderator(principal: Principal | None) -> bool:
    return principal is not None and principal.has(COMMUNITY_MODERATE)


async def forum_access(
    session: AsyncSession, principal: Principal | None, course_id: uuid.UUID | None
) -> ForumAccess:
    """The caller's rights in a forum: at most four queries (the caller's sanction, course
    moderation and the forum's preview in one; the course; staff; enrollment), fewer as soon
    as the answer is known. An unknown course is a 404."""
    user_id = principal.user_id if principal else None
    platform_mod = is_platform_moderator(principal)
    if course_id is None:
        sanction = None
        if principal is not None and not platform_mod:
            sanction = await repo.active_sanction(session, principal.user_id, None, utcnow())
        banned = sanction == SanctionKind.BAN
        return ForumAccess(
            None,
            user_id,
            can_read=not banned,
            can_write=principal is not None and not banned,
            can_moderate=platform_mod,
            is_staff=platform_mod,
            sanction=sanction,
        )
    sanction, course_mod, preview = await repo.access_facts(session, user_id, course_id, utcnow())
    if platform_mod:
        sanction = None
    banned = sanction == SanctionKind.BAN
    course = await catalog.get_course_summary(session, course_id)
    if course is None:
        raise CourseNotFound()
    staff = principal is not None and (
        platform_mod
        or await catalog.is_course_staff(
            session, principal, course_id, any_of=(COMMUNITY_MODERATE,)
        )
    )
    course_mod = course_mod and not staff
    member = staff or course_mod
    if not member and principal is not None:
        member = await learning.is_enrolled(session, principal.user_id, course_id)
    readable = member or (course.is_published and preview)
    return ForumAccess(
        course_id,
        user_id,
        can_read=readable and not banned,
        can_write=member and not banned,
        can_moderate=staff or course_mod,
        is_staff=staff,
        sanction=sanction,
    )


def may_open_topic_in(access: ForumAccess, category: ForumCategory | None) -> None:
    access.require_write()
    if category is ForumCategory.ANNOUNCEMENTS and not access.can_moderate:
        raise ForumAccessDenied("Only moderators post announcements.")
