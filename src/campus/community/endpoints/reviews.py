"""Course reviews and ratings: rate, edit, delete, list, distribution, helpful votes, the
instructor's reply and moderation."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from campus.community.data import ReviewStatus
from campus.community.endpoints.errors import errors
from campus.community.schemas.reviews import (
    ModeratedReviewOut,
    RatingSummaryOut,
    ReviewIn,
    ReviewModerationIn,
    ReviewOut,
    ReviewPatch,
    ReviewReplyIn,
)
from campus.community.service import reviews
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.errors import field_error
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params, parse_sort, sort_pattern

router = api_router(prefix="/reviews", tags=["reviews"])
REVIEW_SORTS = ("newest", "helpful", "rating", "lowest")
course_router = api_router(prefix="/courses", tags=["reviews"])


@course_router.post(
    "/{course_id}/reviews",
    summary="Rate a course (1-5), optionally with a review (enrolled learners, once)",
    status_code=201,
    response_model=ReviewOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def create_review(
    course_id: uuid.UUID,
    body: ReviewIn,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReviewOut:
    return ReviewOut.of(
        await reviews.create(
            session,
            request.app.state.settings,
            principal,
            course_id,
            rating=body.rating,
            title=body.title,
            text=body.text,
        )
    )


@course_router.get(
    "/{course_id}/reviews",
    summary="A course's approved reviews",
    response_model=Page[ReviewOut],
    responses=errors(404, 422),
)
async def list_reviews(
    course_id: uuid.UUID,
    session: DbSession,
    principal: OptionalPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    sort: Annotated[
        str,
        Query(
            description="newest (default), helpful, rating (highest first) or lowest",
            json_schema_extra={"pattern": sort_pattern(REVIEW_SORTS)},
        ),
    ] = "newest",
) -> Page[ReviewOut]:
    specs = parse_sort(sort, dict.fromkeys(REVIEW_SORTS), "newest")
    if len(specs) != 1 or specs[0].descending:
        raise field_error("sort", "Give one of: " + ", ".join(REVIEW_SORTS) + ".")
    found, total = await reviews.list_for_course(
        session, principal, course_id, specs[0].field, params.limit, params.offset
    )
    return Page.build([ReviewOut.of(r) for r in found], total, params)


@course_router.get(
    "/{course_id}/reviews/mine",
    summary="My rating and review of a course, whatever its status",
    response_model=ReviewOut,
    responses=errors(401, 404, 422),
)
async def my_review(
    course_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ReviewOut:
    return ReviewOut.of(await reviews.mine(session, principal, course_id))


@course_router.get(
    "/{course_id}/ratings",
    summary="A course's rating: average, count and distribution of the approved ratings",
    response_model=RatingSummaryOut,
    responses=errors(404, 422),
)
async def rating_summary(course_id: uuid.UUID, session: DbSession) -> RatingSummaryOut:
    return RatingSummaryOut.of(await reviews.summary(session, course_id))


@router.get(
    "",
    summary="The review moderation queue (moderators)",
    response_model=Page[ModeratedReviewOut],
    responses=errors(401, 403, 422),
)
async def review_queue(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: ReviewStatus = ReviewStatus.PENDING_MODERATION,
) -> Page[ModeratedReviewOut]:
    found, total = await reviews.queue(session, principal, status, params.limit, params.offset)
    return Page.build([ModeratedReviewOut.of(r) for r in found], total, params)


@router.patch(
    "/{review_id}",
    summary="Edit my rating or review (a changed text is moderated again)",
    response_model=ReviewOut,
    responses=errors(401, 404, 409, 415, 422),
)
async def edit_review(
    review_id: uuid.UUID,
    body: ReviewPatch,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ReviewOut:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("rating", 0) is None:
        changes.pop("rating")
    return ReviewOut.of(
        await reviews.edit(session, request.app.state.settings, principal, review_id, changes)
    )


@router.delete(
    "/{review_id}",
    summary="Delete a review and its rating (its author or a moderator)",
    status_code=204,
    responses=errors(401, 404, 422),
)
async def delete_review(
    review_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await reviews.delete(session, principal, review_id)
    return Response(status_code=204)


@router.put(
    "/{review_id}/moderation",
    summary="Approve, reject or flag a review (moderators)",
    response_model=ModeratedReviewOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def moderate_review(
    review_id: uuid.UUID,
    body: ReviewModerationIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> ModeratedReviewOut:
    return ModeratedReviewOut.of(
        await reviews.moderate(session, principal, review_id, body.status, body.note)
    )


@router.post(
    "/{review_id}/reply",
    summary="Reply to a review publicly (the course's instructors, once)",
    response_model=ReviewOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def reply_to_review(
    review_id: uuid.UUID, body: ReviewReplyIn, session: DbSession, principal: CurrentPrincipal
) -> ReviewOut:
    return ReviewOut.of(await reviews.reply(session, principal, review_id, body.text))


@router.put(
    "/{review_id}/helpful",
    summary="Vote a review helpful (once per user)",
    response_model=ReviewOut,
    responses=errors(401, 403, 404, 422),
)
async def vote_helpful(
    review_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ReviewOut:
    return ReviewOut.of(await reviews.helpful(session, principal, review_id, on=True))


@router.delete(
    "/{review_id}/helpful",
    summary="Take back a helpful vote",
    response_model=ReviewOut,
    responses=errors(401, 403, 404, 422),
)
async def unvote_helpful(
    review_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ReviewOut:
    return ReviewOut.of(await reviews.helpful(session, principal, review_id, on=False))
