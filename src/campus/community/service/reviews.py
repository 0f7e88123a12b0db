"""Reviews and ratings: one per learner and course, moderated, with the instructor's reply and
helpful votes. The catalog's average and count follow the approved ratings through
``community.course_ratings_changed`` (recomputed from the rows, so replays and reordering
never double count)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community import policies
from campus.community.data import ReviewStatus, TargetType
from campus.community.events import CourseRatingsChanged, ReviewApproved
from campus.community.exceptions import (
    AlreadyReplied,
    CourseNotFound,
    NotEnrolled,
    ReviewAlreadyExists,
    ReviewNotFound,
)
from campus.community.models import Review
from campus.community.repository import moderation as moderation_repo
from campus.community.repository import reviews as repo
from campus.community.service import content_filter
from campus.community.service.records import AuthorRecord, RatingSummary, ReviewRecord
from campus.community.service.reports import file_report
from campus.community.settings import CommunitySettings
from campus.config import Settings
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict, Forbidden, NotFound, field_error
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.learning import api as learning


def _record(
    review: Review, authors: dict[uuid.UUID, AuthorRecord], helpful: bool = False
) -> ReviewRecord:
    return ReviewRecord(
        id=review.id,
        course_id=review.course_id,
        user_id=review.user_id,
        author=authors.get(review.user_id),
        rating=review.rating,
        title=review.title,
        text=review.text,
        status=review.status,
        moderation_note=review.moderation_note,
        helpful_count=review.helpful_count,
        helpful=helpful,
        reply_text=review.reply_text,
        replied_at=review.replied_at,
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


async def _authors(session: AsyncSession, ids: list[uuid.UUID]) -> dict[uuid.UUID, AuthorRecord]:
    found = await identity.get_user_summaries(session, set(ids))
    return {uid: AuthorRecord(uid, s.display_name, s.avatar_url) for uid, s in found.items()}


async def ratings_changed(session: AsyncSession, course_id: uuid.UUID) -> None:
    await publish(session, CourseRatingsChanged(course_id=course_id, changed_at=utcnow()))


def _status_for_text(
    settings: Settings, user_id: uuid.UUID, title: str | None, text: str | None
) -> tuple[ReviewStatus, list[str]]:
    """A bare rating has nothing to moderate; a text waits for a moderator (or is approved at
    once when configured and the filter finds nothing); the filter's finds are flagged."""
    if not title and not text:
        return ReviewStatus.APPROVED, []
    section = CommunitySettings.of(settings)
    reasons = content_filter.text_reasons(section, user_id, title, text)
    if reasons:
        return ReviewStatus.FLAGGED, reasons
    if section.auto_approve_reviews:
        return ReviewStatus.APPROVED, []
    return ReviewStatus.PENDING_MODERATION, []


async def _may_rate(
    session: AsyncSession, settings: Settings, principal: Principal, course_id: uuid.UUID
) -> None:
    if await catalog.get_course_summary(session, course_id) is None:
        raise CourseNotFound()
    enrollment = await learning.get_enrollment(session, principal.user_id, course_id)
    if enrollment is None or not await learning.is_enrolled(session, principal.user_id, course_id):
        raise NotEnrolled()
    minimum = CommunitySettings.of(settings).min_progress_to_rate
    if enrollment.progress_percent < minimum:
        raise NotEnrolled(
            f"Rate the course once you have done {minimum}% of it.", details={"minimum": minimum}
        )


async def _after_status_change(
    session: AsyncSession, review: Review, before: str | None, after: ReviewStatus
) -> None:
    if ReviewStatus.APPROVED in (before, after):
        await ratings_changed(session, review.course_id)
    if after is ReviewStatus.APPROVED and before != ReviewStatus.APPROVED and review.text:
        await publish(
            session,
            ReviewApproved(
                review_id=review.id,
                course_id=review.course_id,
                user_id=review.user_id,
                rating=review.rating,
                approved_at=utcnow(),
            ),
        )


async def _flag(session: AsyncSession, review: Review, reasons: list[str]) -> None:
    await file_report(
        session,
        target_type=TargetType.REVIEW,
        target_id=review.id,
        course_id=review.course_id,
        target_author_id=review.user_id,
        reporter_id=None,
        reason="filter: " + ", ".join(reasons),
    )


async def create(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    course_id: uuid.UUID,
    *,
    rating: int,
    title: str | None,
    text: str | None,
) -> ReviewRecord:
    await _may_rate(session, settings, principal, course_id)
    if title and not text:
        raise field_error("text", "A review with a title needs a text.")
    status, reasons = _status_for_text(settings, principal.user_id, title, text)
    now = utcnow()
    review_id = new_id()
    inserted = await repo.insert(
        session,
        {
            "id": review_id,
            "course_id": course_id,
            "user_id": principal.user_id,
            "rating": rating,
            "title": title,
            "text": text,
            "status": status.value,
            "helpful_count": 0,
            "created_at": now,
            "updated_at": now,
        },
    )
    if not inserted:
        raise ReviewAlreadyExists()
    review = await repo.get(session, review_id)
    assert review is not None
    if reasons:
        await _flag(session, review, reasons)
    await _after_status_change(session, review, None, status)
    return _record(review, await _authors(session, [principal.user_id]))


async def _own(session: AsyncSession, principal: Principal, review_id: uuid.UUID) -> Review:
    review = await repo.get(session, review_id)
    if review is None or review.user_id != principal.user_id:
        raise ReviewNotFound()
    return review


async def edit(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    review_id: uuid.UUID,
    changes: dict[str, Any],
) -> ReviewRecord:
    """Change the rating, title or text; a changed text goes through moderation again."""
    review = await _own(session, principal, review_id)
    rating = changes.get("rating", review.rating)
    title = changes.get("title", review.title)
    text = changes.get("text", review.text)
    if title and not text:
        raise field_error("text", "A review with a title needs a text.")
    before, old_rating = review.status, review.rating
    status = ReviewStatus(before)
    reasons: list[str] = []
    if (title, text) != (review.title, review.text):
        status, reasons = _status_for_text(settings, principal.user_id, title, text)
    now = utcnow()
    # Conditional on the state read: an edit that crosses a moderator's decision retries.
    if not await repo.update(
        session,
        review.id,
        (Review.status == before, Review.updated_at == review.updated_at),
        rating=rating,
        title=title,
        text=text,
        status=status.value,
        updated_at=now,
    ):
        raise Conflict("The review changed meanwhile; read it again.", code="review_changed")
    review = await _own(session, principal, review_id)
    if reasons:
        await _flag(session, review, reasons)
    if before == ReviewStatus.APPROVED and status is ReviewStatus.APPROVED:
        if rating != old_rating:
            await ratings_changed(session, review.course_id)
    else:
        await _after_status_change(session, review, before, status)
    return _record(review, await _authors(session, [principal.user_id]))


async def delete(session: AsyncSession, principal: Principal, review_id: uuid.UUID) -> None:
    """The reviewer, or a moderator, deletes a review (and its rating)."""
    review = await repo.get(session, review_id)
    if review is None or (
        review.user_id != principal.user_id and not policies.is_platform_moderator(principal)
    ):
        raise ReviewNotFound()
    if await repo.delete(session, review.id) and review.status == ReviewStatus.APPROVED:
        await ratings_changed(session, review.course_id)


async def moderate(
    session: AsyncSession,
    principal: Principal,
    review_id: uuid.UUID,
    status: ReviewStatus,
    note: str | None,
) -> ReviewRecord:
    """Approve, reject or flag a review (platform moderators and admins), logged."""
    if not policies.is_platform_moderator(principal):
        raise Forbidden("Only moderators moderate reviews.")
    review = await repo.get(session, review_id)
    if review is None:
        raise ReviewNotFound()
    before = review.status
    now = utcnow()
    changed = await repo.update(
        session,
        review.id,
        (Review.status == before,),
        status=status.value,
        moderator_id=principal.user_id,
        moderation_note=note,
        updated_at=now,
    )
    if changed and before != status:
        await moderation_repo.log(
            session,
            moderator_id=principal.user_id,
            action={"approved": "approve", "rejected": "reject"}.get(status.value, "hide"),
            target_type=TargetType.REVIEW.value,
            target_id=review.id,
            course_id=review.course_id,
            note=note or "",
            created_at=now,
        )
        if status is ReviewStatus.APPROVED:
            await moderation_repo.resolve_open_reports(session, review.id, principal.user_id, now)
        await _after_status_change(session, review, before, status)
    review = await repo.get(session, review.id)
    assert review is not None
    return _record(review, await _authors(session, [review.user_id]))


async def reply(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, text: str
) -> ReviewRecord:
    """An instructor of the course answers a review publicly, once."""
    review = await repo.get(session, review_id)
    if review is None or review.status != ReviewStatus.APPROVED:
        raise ReviewNotFound()
    if not await catalog.is_course_staff(session, principal, review.course_id):
        raise Forbidden("Only the course's instructors reply to its reviews.")
    if not await repo.update(
        session,
        review.id,
        (Review.reply_text.is_(None),),
        reply_text=text,
        reply_by=principal.user_id,
        replied_at=utcnow(),
    ):
        raise AlreadyReplied()
    review = await repo.get(session, review.id)
    assert review is not None
    return _record(review, await _authors(session, [review.user_id]))


async def helpful(
    session: AsyncSession, principal: Principal, review_id: uuid.UUID, *, on: bool
) -> ReviewRecord:
    review = await repo.get(session, review_id)
    if review is None or review.status != ReviewStatus.APPROVED:
        raise ReviewNotFound()
    if review.user_id == principal.user_id:
        raise Forbidden("You cannot vote for your own review.")
    if on:
        await repo.add_helpful(session, review.id, principal.user_id, utcnow())
    else:
        await repo.remove_helpful(session, review.id, principal.user_id)
    review = await repo.get(session, review.id)
    assert review is not None
    return _record(review, await _authors(session, [review.user_id]), on)


async def list_for_course(
    session: AsyncSession,
    principal: Principal | None,
    course_id: uuid.UUID,
    sort: str,
    limit: int,
    offset: int,
) -> tuple[list[ReviewRecord], int]:
    """A course's approved reviews (with a text): anyone may read them."""
    if await catalog.get_course_summary(session, course_id) is None:
        raise CourseNotFound()
    found, total = await repo.page(
        session,
        course_id,
        [ReviewStatus.APPROVED.value],
        sort,
        limit,
        offset,
        with_text_only=True,
    )
    authors = await _authors(session, [r.user_id for r in found]) if found else {}
    voted: set[uuid.UUID] = set()
    if principal is not None and found:
        voted = await repo.helpful_among(session, principal.user_id, [r.id for r in found])
    return [_record(r, authors, r.id in voted) for r in found], total


async def queue(
    session: AsyncSession, principal: Principal, status: ReviewStatus, limit: int, offset: int
) -> tuple[list[ReviewRecord], int]:
    if not policies.is_platform_moderator(principal):
        raise Forbidden("Only moderators see the review queue.")
    found, total = await repo.page(
        session, None, [status.value], "newest", limit, offset, with_text_only=False
    )
    authors = await _authors(session, [r.user_id for r in found]) if found else {}
    return [_record(r, authors) for r in found], total


async def mine(session: AsyncSession, principal: Principal, course_id: uuid.UUID) -> ReviewRecord:
    review = await repo.get_for(session, course_id, principal.user_id)
    if review is None:
        raise ReviewNotFound()
    return _record(review, await _authors(session, [principal.user_id]))


async def summary(session: AsyncSession, course_id: uuid.UUID) -> RatingSummary:
    if await catalog.get_course_summary(session, course_id) is None:
        raise CourseNotFound()
    average, count, distribution = await repo.approved_figures(session, course_id)
    return RatingSummary(course_id, average, count, distribution)


async def recompute_course_rating(session: AsyncSession, course_id: uuid.UUID) -> None:
    """Store the approved ratings' average and count in the catalog (idempotent)."""
    average, count, _ = await repo.approved_figures(session, course_id)
    try:
        await catalog.set_rating(session, course_id, average, count)
    except NotFound:  # pragma: no cover - the course was deleted meanwhile
        return
