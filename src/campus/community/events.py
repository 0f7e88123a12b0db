"""Events community publishes (through the outbox, in the changing transaction), and its job
names.

Every event that notifies someone names its recipients directly (``recipientIds`` or a single
``...UserId``), resolved by community when the change happens: a consumer needs no call back
into community, and a replayed event notifies the people it notified the first time. The
actor is never among the recipients. ``courseId`` is ``None`` for the platform forum.

``community.post_created`` - a post was added to a topic (a reply to the topic or to a post);
the recipients are the topic's followers::

    {"postId", "topicId", "courseId", "categorySlug", "topicTitle", "authorId",
     "parentPostId", "excerpt", "recipientIds", "createdAt"}

``community.reply_created`` - a post answered another user's post; the recipient is the
parent post's author::

    {"postId", "parentPostId", "topicId", "courseId", "topicTitle", "authorId",
     "parentAuthorId", "excerpt", "createdAt"}

``community.mentioned`` - a topic or post mentioned a course member (``@username``); one event
per mentioned user and post (an edit that adds a mention publishes it once)::

    {"postId", "topicId", "courseId", "topicTitle", "authorId", "mentionedUserId",
     "excerpt", "createdAt"}

``postId`` is ``None`` when the mention is in the topic's own body.

``community.solution_accepted`` - a post became the accepted solution of its topic (again
after a switch); the recipient is the post's author::

    {"topicId", "postId", "courseId", "topicTitle", "postAuthorId", "acceptedBy",
     "acceptedAt"}

``community.review_approved`` - a course review was approved; the recipient is the reviewer::

    {"reviewId", "courseId", "userId", "rating", "approvedAt"}

``community.content_reported`` - a post, topic or review was reported (or flagged by the
filter: ``reporterId`` is ``None``); the recipients are the moderators who may act on it (the
course's moderators and instructors; platform moderators see the queue)::

    {"reportId", "targetType", "targetId", "courseId", "reporterId", "reason",
     "recipientIds", "reportedAt"}

``community.course_ratings_changed`` - a course's approved ratings may have changed; its
handler recomputes the course's average and count from the approved ratings and stores them in
the catalog (idempotent: any replay or reordering ends at the same figures)::

    {"courseId", "changedAt"}
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Final

from campus.kernel.events import Event


class PostCreated(Event):
    name: ClassVar[str] = "community.post_created"

    post_id: uuid.UUID
    topic_id: uuid.UUID
    course_id: uuid.UUID | None
    category_slug: str | None
    topic_title: str
    author_id: uuid.UUID
    parent_post_id: uuid.UUID | None
    excerpt: str
    recipient_ids: tuple[uuid.UUID, ...]
    created_at: datetime


class ReplyCreated(Event):
    name: ClassVar[str] = "community.reply_created"

    post_id: uuid.UUID
    parent_post_id: uuid.UUID
    topic_id: uuid.UUID
    course_id: uuid.UUID | None
    topic_title: str
    author_id: uuid.UUID
    parent_author_id: uuid.UUID
    excerpt: str
    created_at: datetime


class Mentioned(Event):
    name: ClassVar[str] = "community.mentioned"

    post_id: uuid.UUID | None
    topic_id: uuid.UUID
    course_id: uuid.UUID | None
    topic_title: str
    author_id: uuid.UUID
    mentioned_user_id: uuid.UUID
    excerpt: str
    created_at: datetime


class SolutionAccepted(Event):
    name: ClassVar[str] = "community.solution_accepted"

    topic_id: uuid.UUID
    post_id: uuid.UUID
    course_id: uuid.UUID | None
    topic_title: str
    post_author_id: uuid.UUID
    accepted_by: uuid.UUID
    accepted_at: datetime


class ReviewApproved(Event):
    name: ClassVar[str] = "community.review_approved"

    review_id: uuid.UUID
    course_id: uuid.UUID
    user_id: uuid.UUID
    rating: int
    approved_at: datetime


class ContentReported(Event):
    name: ClassVar[str] = "community.content_reported"

    report_id: uuid.UUID
    target_type: str
    target_id: uuid.UUID
    course_id: uuid.UUID | None
    reporter_id: uuid.UUID | None
    reason: str
    recipient_ids: tuple[uuid.UUID, ...]
    reported_at: datetime


class CourseRatingsChanged(Event):
    name: ClassVar[str] = "community.course_ratings_changed"

    course_id: uuid.UUID
    changed_at: datetime


#: Length of the plain-text ``excerpt`` carried by post and mention events.
EXCERPT_LENGTH: Final = 200
