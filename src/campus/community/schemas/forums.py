"""Forum wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from campus.community.data import ForumCategory
from campus.community.service.records import (
    AuthorRecord,
    PostRecord,
    RevisionRecord,
    TopicRecord,
    VoteRecord,
)
from campus.kernel.schemas import ApiModel, InputModel

#: A topic's or post's Markdown is at most 20,000 characters (a 100 KB post is a 422).
MAX_BODY = 20_000
Body = Annotated[str, StringConstraints(min_length=1, max_length=MAX_BODY)]
Title = Annotated[str, StringConstraints(min_length=3, max_length=200)]
Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[\w .+#-]+$")]


class AuthorOut(ApiModel):
    id: uuid.UUID
    display_name: str
    avatar_url: str | None

    @classmethod
    def of(cls, record: AuthorRecord | None) -> AuthorOut | None:
        if record is None:
            return None
        return cls(id=record.id, display_name=record.display_name, avatar_url=record.avatar_url)


class TopicIn(InputModel):
    title: Title
    body: Body
    tags: list[Tag] = Field(default_factory=list, max_length=10)
    module_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None


class PlatformTopicIn(TopicIn):
    category: ForumCategory


class TopicPatch(InputModel):
    title: Title | None = None
    body: Body | None = None
    tags: list[Tag] | None = Field(default=None, max_length=10)


class TopicFlagsIn(InputModel):
    is_pinned: bool | None = None
    is_locked: bool | None = None


class TopicOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID | None
    category: str | None
    author: AuthorOut | None
    title: str
    body_markdown: str
    body_html: str
    tags: list[str]
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

    @classmethod
    def of(cls, r: TopicRecord) -> TopicOut:
        return cls(
            id=r.id,
            course_id=r.course_id,
            category=r.category,
            author=AuthorOut.of(r.author),
            title=r.title,
            body_markdown=r.body_markdown,
            body_html=r.body_html,
            tags=list(r.tags),
            module_id=r.module_id,
            lesson_id=r.lesson_id,
            is_pinned=r.is_pinned,
            is_locked=r.is_locked,
            status=r.status,
            solution_post_id=r.solution_post_id,
            post_count=r.post_count,
            vote_count=r.vote_count,
            voted=r.voted,
            following=r.following,
            last_activity_at=r.last_activity_at,
            created_at=r.created_at,
            edited_at=r.edited_at,
        )


class PostIn(InputModel):
    body: Body
    parent_id: uuid.UUID | None = None


class PostPatch(InputModel):
    body: Body


class PostOut(ApiModel):
    id: uuid.UUID
    topic_id: uuid.UUID
    parent_id: uuid.UUID | None
    depth: int
    author: AuthorOut | None
    body_markdown: str | None
    body_html: str | None
    status: str
    vote_count: int
    voted: bool
    is_solution: bool
    is_deleted: bool
    created_at: datetime
    edited_at: datetime | None

    @classmethod
    def of(cls, r: PostRecord) -> PostOut:
        return cls(
            id=r.id,
            topic_id=r.topic_id,
            parent_id=r.parent_id,
            depth=r.depth,
            author=AuthorOut.of(r.author),
            body_markdown=r.body_markdown,
            body_html=r.body_html,
            status=r.status,
            vote_count=r.vote_count,
            voted=r.voted,
            is_solution=r.is_solution,
            is_deleted=r.is_deleted,
            created_at=r.created_at,
            edited_at=r.edited_at,
        )


class SolutionIn(InputModel):
    post_id: uuid.UUID


class RevisionOut(ApiModel):
    editor_id: uuid.UUID
    title: str | None
    body_markdown: str
    created_at: datetime

    @classmethod
    def of(cls, r: RevisionRecord) -> RevisionOut:
        return cls(
            editor_id=r.editor_id,
            title=r.title,
            body_markdown=r.body_markdown,
            created_at=r.created_at,
        )


class VoteOut(ApiModel):
    target_id: uuid.UUID
    vote_count: int
    voted: bool

    @classmethod
    def of(cls, r: VoteRecord) -> VoteOut:
        return cls(target_id=r.target_id, vote_count=r.vote_count, voted=r.voted)


class ForumSettingsIn(InputModel):
    public_preview: bool | None = None
    moderator_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)


class ForumSettingsOut(ApiModel):
    course_id: uuid.UUID
    public_preview: bool
    moderator_ids: list[uuid.UUID]
