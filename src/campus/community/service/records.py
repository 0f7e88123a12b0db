"""What community's services return (the endpoints build the wire models from these)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class AuthorRecord:
    id: uuid.UUID
    display_name: str
    avatar_url: str | None


@dataclass(frozen=True, slots=True)
class TopicRecord:
    id: uuid.UUID
    course_id: uuid.UUID | None
    category: str | None
    author: AuthorRecord | None
    title: str
    body_markdown: str
    body_html: str
    tags: tuple[str, ...]
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    is_pinned: bool
    is_locked: bool
    status: str
    solution_post_id: uuid.UUID | None
    post_count: int
    vote_count: int
    voted: bool
    following: bool
    last_activity_at: datetime
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class PostRecord:
    id: uuid.UUID
    topic_id: uuid.UUID
    parent_id: uuid.UUID | None
    depth: int
    author: AuthorRecord | None
    body_markdown: str | None
    body_html: str | None
    status: str
    vote_count: int
    voted: bool
    is_solution: bool
    is_deleted: bool
    created_at: datetime
    edited_at: datetime | None


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    editor_id: uuid.UUID
    title: str | None
    body_markdown: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class VoteRecord:
    target_id: uuid.UUID
    vote_count: int
    voted: bool


@dataclass(frozen=True, slots=True)
class ReviewRecord:
    id: uuid.UUID
    course_id: uuid.UUID
    user_id: uuid.UUID
    author: AuthorRecord | None
    rating: int
    title: str | None
    text: str | None
    status: str
    moderation_note: str | None
    helpful_count: int
    helpful: bool
    reply_text: str | None
    replied_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class RatingSummary:
    course_id: uuid.UUID
    average: Decimal
    count: int
    distribution: dict[int, int]


@dataclass(frozen=True, slots=True)
class ReportRecord:
    id: uuid.UUID
    target_type: str
    target_id: uuid.UUID
    course_id: uuid.UUID | None
    target_author_id: uuid.UUID
    reporter_id: uuid.UUID | None
    reason: str
    status: str
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class LogRecord:
    id: uuid.UUID
    moderator_id: uuid.UUID
    action: str
    target_type: str
    target_id: uuid.UUID
    course_id: uuid.UUID | None
    report_id: uuid.UUID | None
    note: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class SanctionRecord:
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID | None
    kind: str
    reason: str
    ends_at: datetime | None
    moderator_id: uuid.UUID
    created_at: datetime


@dataclass(frozen=True, slots=True)
class TestimonialRecord:
    id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID | None
    text: str
    author_name: str
    author_title: str | None
    status: str
    is_featured: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NoteRecord:
    id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID
    text: str
    video_seconds: int | None
    created_at: datetime
    updated_at: datetime
