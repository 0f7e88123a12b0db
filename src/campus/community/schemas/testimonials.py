"""Testimonial and lesson note wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from campus.community.data import TestimonialStatus
from campus.community.service.records import NoteRecord, TestimonialRecord
from campus.kernel.schemas import ApiModel, InputModel


class TestimonialIn(InputModel):
    text: Annotated[str, StringConstraints(min_length=10, max_length=2000)]
    course_id: uuid.UUID | None = None
    author_title: Annotated[str, StringConstraints(min_length=1, max_length=120)] | None = None


class TestimonialDecisionIn(InputModel):
    status: TestimonialStatus | None = None
    is_featured: bool | None = None


class TestimonialOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID | None
    text: str
    author_name: str
    author_title: str | None
    status: TestimonialStatus
    is_featured: bool
    created_at: datetime

    @classmethod
    def of(cls, r: TestimonialRecord) -> TestimonialOut:
        return cls(
            id=r.id,
            course_id=r.course_id,
            text=r.text,
            author_name=r.author_name,
            author_title=r.author_title,
            status=TestimonialStatus(r.status),
            is_featured=r.is_featured,
            created_at=r.created_at,
        )


NoteText = Annotated[str, StringConstraints(min_length=1, max_length=10_000)]
VideoSeconds = Annotated[int, Field(ge=0, le=24 * 3600)]


class NoteIn(InputModel):
    text: NoteText
    video_seconds: VideoSeconds | None = None


class NotePatch(InputModel):
    text: NoteText | None = None
    video_seconds: VideoSeconds | None = None


class NoteOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID
    text: str
    video_seconds: int | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, r: NoteRecord) -> NoteOut:
        return cls(
            id=r.id,
            course_id=r.course_id,
            lesson_id=r.lesson_id,
            text=r.text,
            video_seconds=r.video_seconds,
            created_at=r.created_at,
            updated_at=r.updated_at,
        )
