"""The community context's tables. Users, courses, modules and lessons of other contexts are
plain UUID columns, never foreign keys; relationships: none (every read is an explicit query in
``repository``).

A forum is a course's (``course_id``) or the platform's (``course_id`` NULL, with a
``category``). Counters on topics, posts and reviews are kept by conditional ``UPDATE``s in
the transaction that inserts or deletes the row they count (``repository``), so they equal a
count of the rows at every commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import (
    Base,
    IdMixin,
    JSONDoc,
    TimestampMixin,
    register_unmanaged_schema_objects,
)

#: Raw-SQL search objects created by migration 0018 for one dialect only (as the catalog's).
SEARCH_FTS_TABLE = "community_topic_search_fts"  # SQLite FTS5 (+ shadow tables, triggers)
SEARCH_PG_VECTOR = "search_vector_pg"  # PostgreSQL stored tsvector column ...
SEARCH_PG_INDEX = "ix_community_topic_search_document"  # ... and its GIN index
register_unmanaged_schema_objects(SEARCH_FTS_TABLE, SEARCH_PG_VECTOR, SEARCH_PG_INDEX)


class ForumSettings(Base):
    """A course forum's settings (no row: the defaults)."""

    __tablename__ = "community_forum_settings"

    course_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: Anyone may read the forum of the (published) course before enrolling.
    public_preview: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class CourseModerator(Base):
    """A user the course's instructor made a moderator of its forum."""

    __tablename__ = "community_course_moderators"

    course_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    appointed_by: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Topic(IdMixin, TimestampMixin, Base):
    __tablename__ = "community_topics"
    __table_args__ = (
        sa.CheckConstraint("(course_id IS NULL) <> (category IS NULL)", name="course_or_category"),
        # The course forum's list: pinned first, then the chosen order (activity, newest).
        sa.Index(
            "ix_community_topics_course_activity",
            "course_id",
            "is_pinned",
            "last_activity_at",
        ),
        sa.Index("ix_community_topics_category_activity", "category", "last_activity_at"),
        sa.Index("ix_community_topics_lesson", "lesson_id"),
    )

    course_id: Mapped[uuid.UUID | None] = mapped_column()
    #: The platform forum's category (``data.ForumCategory``); NULL in a course forum.
    category: Mapped[str | None] = mapped_column(sa.String(20))
    author_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    tags: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    module_id: Mapped[uuid.UUID | None] = mapped_column()
    lesson_id: Mapped[uuid.UUID | None] = mapped_column()
    is_pinned: Mapped[bool] = mapped_column(default=False)
    is_locked: Mapped[bool] = mapped_column(default=False)
    #: ``visible``, ``flagged`` (by the filter, still shown to its author and moderators) or
    #: ``hidden`` (by a moderator).
    status: Mapped[str] = mapped_column(sa.String(10), default="visible")
    solution_post_id: Mapped[uuid.UUID | None] = mapped_column()
    post_count: Mapped[int] = mapped_column(default=0)
    vote_count: Mapped[int] = mapped_column(default=0)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column()
    deleted_at: Mapped[datetime | None] = mapped_column()


class Post(IdMixin, TimestampMixin, Base):
    __tablename__ = "community_posts"
    __table_args__ = (
        sa.Index("ix_community_posts_topic_created", "topic_id", "created_at"),
        sa.CheckConstraint("depth >= 0", name="depth_not_negative"),
    )

    topic_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("community_topics.id", ondelete="CASCADE")
    )
    parent_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("community_posts.id", ondelete="CASCADE"), index=True
    )
    #: 0 for a reply to the topic, parent's + 1 for a reply to a post (bounded by settings).
    depth: Mapped[int] = mapped_column(default=0)
    author_id: Mapped[uuid.UUID] = mapped_column(index=True)
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(10), default="visible")
    vote_count: Mapped[int] = mapped_column(default=0)
    edited_at: Mapped[datetime | None] = mapped_column()
    #: Soft delete: the post stays in the thread as "[deleted]" so replies keep their place.
    deleted_at: Mapped[datetime | None] = mapped_column()


class Revision(IdMixin, Base):
    """A topic's or post's previous text, kept at each edit."""

    __tablename__ = "community_revisions"
    __table_args__ = (sa.Index("ix_community_revisions_target", "target_id", "created_at"),)

    target_id: Mapped[uuid.UUID] = mapped_column()
    editor_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str | None] = mapped_column(sa.String(200))
    body_markdown: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Vote(Base):
    """One upvote of a user on a topic or a post (``target_id`` is either)."""

    __tablename__ = "community_votes"

    target_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(Base):
    __tablename__ = "community_follows"

    topic_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("community_topics.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Mention(Base):
    """A user mentioned by a topic's or post's text (``source_id``): the first mention
    publishes ``community.mentioned``; an edit mentioning them again does not."""

    __tablename__ = "community_mentions"

    source_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Sanction(IdMixin, Base):
    """A mute or ban of a user in a course forum (``course_id``) or everywhere (NULL)."""

    __tablename__ = "community_sanctions"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('mute', 'ban')", name="kind"),
        sa.Index("ix_community_sanctions_user", "user_id", "ends_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column()
    kind: Mapped[str] = mapped_column(sa.String(4))
    reason: Mapped[str] = mapped_column(sa.String(500))
    ends_at: Mapped[datetime | None] = mapped_column()
    moderator_id: Mapped[uuid.UUID] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    lifted_at: Mapped[datetime | None] = mapped_column()


class Report(IdMixin, Base):
    """A report of a topic, post or review by a user, or a flag by the content filter
    (``reporter_id`` NULL). Open reports are the moderation queue."""

    __tablename__ = "community_reports"
    __table_args__ = (
        sa.Index("ix_community_reports_status", "status", "created_at"),
        # A user reports a piece of content once while it is open.
        sa.Index(
            "uq_community_reports_open",
            "target_id",
            "reporter_id",
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        ),
    )

    target_type: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    target_author_id: Mapped[uuid.UUID] = mapped_column()
    reporter_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(10), default="open")
    resolved_by: Mapped[uuid.UUID | None] = mapped_column()
    resolved_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationLogEntry(IdMixin, Base):
    __tablename__ = "community_moderation_log"
    __table_args__ = (sa.Index("ix_community_moderation_log_course", "course_id", "created_at"),)

    moderator_id: Mapped[uuid.UUID] = mapped_column()
    action: Mapped[str] = mapped_column(sa.String(10))
    target_type: Mapped[str] = mapped_column(sa.String(10))
    target_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column()
    report_id: Mapped[uuid.UUID | None] = mapped_column()
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Review(IdMixin, TimestampMixin, Base):
    """A learner's rating (1-5) of a course, with an optional review text (seed 001
    course_ratings + course_reviews: one row per learner and course)."""

    __tablename__ = "community_reviews"
    __table_args__ = (
        sa.UniqueConstraint("course_id", "user_id", name="uq_community_reviews_course_user"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        sa.Index("ix_community_reviews_course_status", "course_id", "status", "created_at"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column()
    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    rating: Mapped[int] = mapped_column()
    title: Mapped[str | None] = mapped_column(sa.String(200))
    text: Mapped[str | None] = mapped_column(sa.Text)
    #: ``pending_moderation``, ``approved``, ``rejected`` or ``flagged``.
    status: Mapped[str] = mapped_column(sa.String(20), default="pending_moderation")
    moderator_id: Mapped[uuid.UUID | None] = mapped_column()
    moderation_note: Mapped[str | None] = mapped_column(sa.String(500))
    helpful_count: Mapped[int] = mapped_column(default=0)
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    reply_by: Mapped[uuid.UUID | None] = mapped_column()
    replied_at: Mapped[datetime | None] = mapped_column()


class HelpfulVote(Base):
    __tablename__ = "community_review_votes"

    review_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("community_reviews.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Testimonial(IdMixin, TimestampMixin, Base):
    __tablename__ = "community_testimonials"
    __table_args__ = (sa.Index("ix_community_testimonials_featured", "is_featured", "status"),)

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    course_id: Mapped[uuid.UUID | None] = mapped_column()
    text: Mapped[str] = mapped_column(sa.String(2000))
    author_name: Mapped[str] = mapped_column(sa.String(120))
    author_title: Mapped[str | None] = mapped_column(sa.String(120))
    #: ``pending``, ``approved`` or ``rejected``.
    status: Mapped[str] = mapped_column(sa.String(10), default="pending")
    is_featured: Mapped[bool] = mapped_column(default=False)
    approved_by: Mapped[uuid.UUID | None] = mapped_column()


class LessonNote(IdMixin, TimestampMixin, Base):
    """A learner's private note on a lesson."""

    __tablename__ = "community_lesson_notes"
    __table_args__ = (sa.Index("ix_community_lesson_notes_owner", "user_id", "course_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column()
    lesson_id: Mapped[uuid.UUID] = mapped_column()
    text: Mapped[str] = mapped_column(sa.String(10_000))
    video_seconds: Mapped[int | None] = mapped_column()


class TopicSearchDocument(Base):
    """A topic's folded title and body (NFKD, no marks, lower case). SQLite mirrors it into an
    FTS5 table by trigger; PostgreSQL adds a stored ``tsvector`` column with a GIN index
    (migration 0018), as the catalog's course search."""

    __tablename__ = "community_topic_search"

    topic_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("community_topics.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    headline: Mapped[str] = mapped_column(sa.Text)
    body: Mapped[str] = mapped_column(sa.Text)
