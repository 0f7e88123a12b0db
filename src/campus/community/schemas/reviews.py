"""Review and rating wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import Field, StringConstraints

from campus.community.data import ReviewStatus
from campus.community.schemas.forums import AuthorOut
from campus.community.service.records import RatingSummary, ReviewRecord
from campus.kernel.schemas import ApiModel, InputModel

ReviewTitle = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ReviewText = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
Rating = Annotated[int, Field(ge=1, le=5)]


class ReviewIn(InputModel):
    rating: Rating
    title: ReviewTitle | None = None
    text: ReviewText | None = None


class ReviewPatch(InputModel):
    rating: Rating | None = None
    title: ReviewTitle | None = None
    text: ReviewText | None = None


class ReviewModerationIn(InputModel):
    status: ReviewStatus
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class ReviewReplyIn(InputModel):
    text: ReviewText


class ReviewOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID
    author: AuthorOut | None
    rating: int
    title: str | None
    text: str | None
    status: ReviewStatus
    helpful_count: int
    helpful: bool
    reply_text: str | None
    replied_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: ReviewRecord) -> ReviewOut:
        return cls(
            id=r.id,
            course_id=r.course_id,
            author=AuthorOut.of(r.author),
            rating=r.rating,
            title=r.title,
            text=r.text,
            status=ReviewStatus(r.status),
            helpful_count=r.helpful_count,
            helpful=r.helpful,
            reply_text=r.reply_text,
            replied_at=r.replied_at,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )


class ModeratedReviewOut(ReviewOut):
    """A review as moderators see it (with the moderation note)."""

    moderation_note: str | None

    @classmethod
    def of(cls, r: ReviewRecord) -> ModeratedReviewOut:
        return cls(**ReviewOut.of(r).model_dump(), moderation_note=r.moderation_note)


class RatingSummaryOut(ApiModel):
    course_id: uuid.UUID
    average: Decimal
    count: int
    #: How many approved ratings of each value, "1".."5".
    distribution: dict[str, int]

    @classmethod
    def of(cls, r: RatingSummary) -> RatingSummaryOut:
        return cls(
            course_id=r.course_id,
            average=r.average,
            count=r.count,
            distribution={str(k): v for k, v in sorted(r.distribution.items())},
        )
