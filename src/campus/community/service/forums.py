"""Forums: topics, threaded posts, edits with history, soft delete, solutions, pin and lock,
votes, follows, mentions and search. Services never commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community import policies
from campus.community.data import ContentStatus, ForumCategory, TargetType
from campus.community.events import (
    EXCERPT_LENGTH,
    Mentioned,
    PostCreated,
    ReplyCreated,
    SolutionAccepted,
)
from campus.community.exceptions import (
    PostDeleted,
    PostNotFound,
    ThreadTooDeep,
    TopicLocked,
    TopicNotFound,
)
from campus.community.models import Post, Topic
from campus.community.policies import ForumAccess
from campus.community.repository import forums as repo
from campus.community.service import content_filter, markdown
from campus.community.service.records import (
    AuthorRecord,
    PostRecord,
    RevisionRecord,
    TopicRecord,
    VoteRecord,
)
from campus.community.service.reports import file_report
from campus.community.settings import CommunitySettings
from campus.config import Settings
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.events import publish
from campus.kernel.ids import parse_id
from campus.learning import api as learning

#: At most this many people are mentioned (and notified) by one text.
MAX_MENTIONS = 20


@dataclass(frozen=True, slots=True)
class TopicDraft:
    title: str
    body: str
    tags: tuple[str, ...] = ()
    module_id: uuid.UUID | None = None
    lesson_id: uuid.UUID | None = None


# --------------------------------------------------------------------------- records


async def _authors(
    session: AsyncSession, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, AuthorRecord]:
    found = await identity.get_user_summaries(session, set(ids))
    return {uid: AuthorRecord(uid, s.display_name, s.avatar_url) for uid, s in found.items()}


def _topic_record(
    topic: Topic, authors: dict[uuid.UUID, AuthorRecord], voted: bool, following: bool
) -> TopicRecord:
    return TopicRecord(
        id=topic.id,
        course_id=topic.course_id,
        category=topic.category,
        author=authors.get(topic.author_id),
        title=topic.title,
        body_markdown=topic.body_markdown,
        body_html=topic.body_html,
        tags=tuple(topic.tags),
        module_id=topic.module_id,
        lesson_id=topic.lesson_id,
        is_pinned=topic.is_pinned,
        is_locked=topic.is_locked,
        status=topic.status,
        solution_post_id=topic.solution_post_id,
        post_count=topic.post_count,
        vote_count=topic.vote_count,
        voted=voted,
        following=following,
        last_activity_at=topic.last_activity_at,
        created_at=topic.created_at,
        edited_at=topic.edited_at,
    )


def _post_record(
    post: Post, topic: Topic, authors: dict[uuid.UUID, AuthorRecord], voted: bool
) -> PostRecord:
    deleted = post.deleted_at is not None
    return PostRecord(
        id=post.id,
        topic_id=post.topic_id,
        parent_id=post.parent_id,
        depth=post.depth,
        author=None if deleted else authors.get(post.author_id),
        body_markdown=None if deleted else post.body_markdown,
        body_html=None if deleted else post.body_html,
        status=post.status,
        vote_count=post.vote_count,
        voted=voted,
        is_solution=topic.solution_post_id == post.id,
        is_deleted=deleted,
        created_at=post.created_at,
        edited_at=post.edited_at,
    )


# --------------------------------------------------------------------------- helpers


def _check_body(body: str, field: str = "body") -> None:
    if not body.strip():
        raise field_error(field, "The text cannot be empty.")


async def _topic_in_forum(
    session: AsyncSession, principal: Principal | None, topic_id: uuid.UUID
) -> tuple[Topic, ForumAccess]:
    """The topic and the caller's rights in its forum; a topic the caller may not see is a
    404 when hidden, a 403 when the forum is closed to them."""
    topic = await repo.get_topic(session, topic_id)
    if topic is None:
        raise TopicNotFound()
    access = await policies.forum_access(session, principal, topic.course_id)
    access.require_read()
    if topic.status != ContentStatus.VISIBLE and not (
        access.can_moderate or topic.author_id == access.user_id
    ):
        raise TopicNotFound()
    return topic, access


async def _members_among(
    session: AsyncSession, course_id: uuid.UUID | None, ids: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """Which of ``ids`` may be mentioned: the course's learners, instructors and moderators
    (any active user in the platform forum)."""
    if not ids:
        return []
    users = await identity.get_user_summaries(session, ids)
    active = [uid for uid in ids if uid in users and users[uid].is_active]
    if course_id is None or not active:
        return active
    staff = set(await catalog.course_instructor_ids(session, course_id))
    staff |= set(await repo.course_moderator_ids(session, course_id))
    members = []
    for uid in active:
        if uid in staff or await learning.is_enrolled(session, uid, course_id):
            members.append(uid)
    return members


async def _mention(
    session: AsyncSession,
    topic: Topic,
    post_id: uuid.UUID | None,
    author_id: uuid.UUID,
    body: str,
) -> None:
    ids = [
        uid
        for uid in (parse_id(raw) for raw in markdown.mentioned_ids(body)[:MAX_MENTIONS])
        if uid is not None and uid != author_id
    ]
    now = utcnow()
    for uid in await _members_among(session, topic.course_id, ids):
        if await repo.record_mention(session, post_id or topic.id, uid, now):
            await publish(
                session,
                Mentioned(
                    post_id=post_id,
                    topic_id=topic.id,
                    course_id=topic.course_id,
                    topic_title=topic.title,
                    author_id=author_id,
                    mentioned_user_id=uid,
                    excerpt=markdown.excerpt(body, EXCERPT_LENGTH),
                    created_at=now,
                ),
            )


async def _screen(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    access: ForumAccess,
    *texts: str,
    topic: bool,
) -> list[str]:
    """The filter's reasons to flag new content (moderators are not screened)."""
    if access.can_moderate:
        return []
    section = CommunitySettings.of(settings)
    reasons = content_filter.text_reasons(section, principal.user_id, *texts)
    reasons += await content_filter.rate_reasons(session, section, principal.user_id, topic=topic)
    return reasons


# --------------------------------------------------------------------------- topics


async def list_topics(
    session: AsyncSession,
    principal: Principal | None,
    *,
    course_id: uuid.UUID | None,
    category: ForumCategory | None,
    sort: str,
    search: str | None,
    lesson_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[TopicRecord], int]:
    access = await policies.forum_access(session, principal, course_id)
    access.require_read()
    tokens = tuple(markdown.search_words(search or ""))[:8]
    if search and not tokens:
        return [], 0
    topics, total = await repo.list_topics(
        session,
        course_id=course_id,
        category=None if category is None else category.value,
        sort=sort,
        search_tokens=tokens,
        lesson_id=lesson_id,
        viewer=access.user_id,
        moderator=access.can_moderate,
        limit=limit,
        offset=offset,
    )
    authors = await _authors(session, [t.author_id for t, _ in topics]) if topics else {}
    return [_topic_record(t, authors, voted, False) for t, voted in topics], total


async def create_topic(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    course_id: uuid.UUID | None,
    category: ForumCategory | None,
    draft: TopicDraft,
) -> TopicRecord:
    if course_id is None and category is None:
        raise field_error("category", "A platform topic needs a category.")
    access = await policies.forum_access(session, principal, course_id)
    policies.may_open_topic_in(access, category if course_id is None else None)
    _check_body(draft.body)
    if (
        course_id is not None
        and draft.module_id is not None
        and not await catalog.is_course_module(session, course_id, draft.module_id)
    ):
        raise field_error("moduleId", "No such module in this course.")
    if course_id is not None and draft.lesson_id is not None:
        lesson = await catalog.get_lesson_content(session, draft.lesson_id)
        if lesson is None or lesson.course_id != course_id:
            raise field_error("lessonId", "No such lesson in this course.")
    reasons = await _screen(
        session, settings, principal, access, draft.title, draft.body, topic=True
    )
    now = utcnow()
    topic = Topic(
        course_id=course_id,
        category=None if course_id is not None else category.value if category else None,
        author_id=principal.user_id,
        title=draft.title,
        body_markdown=draft.body,
        body_html=markdown.render(draft.body),
        tags=list(dict.fromkeys(draft.tags)),
        module_id=draft.module_id,
        lesson_id=draft.lesson_id,
        status=ContentStatus.FLAGGED if reasons else ContentStatus.VISIBLE,
        last_activity_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(topic)
    await session.flush()
    await repo.save_search_document(
        session,
        topic,
        " ".join(markdown.search_words(draft.title + " " + " ".join(draft.tags))),
        " ".join(markdown.search_words(markdown.plain_text(draft.body))),
    )
    await repo.follow(session, topic.id, principal.user_id, now)
    if reasons:
        await file_report(
            session,
            target_type=TargetType.TOPIC,
            target_id=topic.id,
            course_id=course_id,
            target_author_id=principal.user_id,
            reporter_id=None,
            reason="filter: " + ", ".join(reasons),
        )
    else:
        await _mention(session, topic, None, principal.user_id, draft.body)
    authors = await _authors(session, [principal.user_id])
    return _topic_record(topic, authors, False, True)


async def get_topic(
    session: AsyncSession, principal: Principal | None, topic_id: uuid.UUID
) -> TopicRecord:
    topic, _ = await _topic_in_forum(session, principal, topic_id)
    authors = await _authors(session, [topic.author_id])
    voted = following = False
    if principal is not None:
        voted = bool(await repo.voted_among(session, principal.user_id, [topic.id]))
        following = await repo.is_following(session, topic.id, principal.user_id)
    return _topic_record(topic, authors, voted, following)


async def edit_topic(
    session: AsyncSession,
    principal: Principal,
    topic_id: uuid.UUID,
    *,
    title: str | None,
    body: str | None,
    tags: tuple[str, ...] | None,
) -> TopicRecord:
    topic, access = await _topic_in_forum(session, principal, topic_id)
    access.require_write()
    if topic.author_id != principal.user_id and not access.can_moderate:
        raise Forbidden("Only the topic's author or a moderator may edit it.")
    now = utcnow()
    await repo.add_revision(
        session,
        target_id=topic.id,
        editor_id=principal.user_id,
        title=topic.title,
        body_markdown=topic.body_markdown,
        created_at=now,
    )
    values: dict[str, object] = {"edited_at": now, "updated_at": now}
    if title is not None:
        values["title"] = topic.title = title
    if body is not None:
        _check_body(body)
        values["body_markdown"] = topic.body_markdown = body
        values["body_html"] = topic.body_html = markdown.render(body)
    if tags is not None:
        values["tags"] = topic.tags = list(dict.fromkeys(tags))
    await repo.update_topic(session, topic.id, **values)
    await repo.save_search_document(
        session,
        topic,
        " ".join(markdown.search_words(topic.title + " " + " ".join(topic.tags))),
        " ".join(markdown.search_words(markdown.plain_text(topic.body_markdown))),
    )
    if body is not None:
        await _mention(session, topic, None, topic.author_id, body)
    return await get_topic(session, principal, topic.id)


async def delete_topic(session: AsyncSession, principal: Principal, topic_id: uuid.UUID) -> None:
    topic, access = await _topic_in_forum(session, principal, topic_id)
    if topic.author_id != principal.user_id and not access.can_moderate:
        raise Forbidden("Only the topic's author or a moderator may delete it.")
    now = utcnow()
    await repo.update_topic(session, topic.id, deleted_at=now, updated_at=now)
    await repo.delete_search_document(session, topic.id)


async def set_flags(
    session: AsyncSession,
    principal: Principal,
    topic_id: uuid.UUID,
    *,
    pinned: bool | None = None,
    locked: bool | None = None,
) -> TopicRecord:
    """Pin or lock (instructors and moderators), each recorded in the moderation log."""
    from campus.community.repository import moderation as moderation_repo

    topic, access = await _topic_in_forum(session, principal, topic_id)
    access.require_moderate()
    values: dict[str, object] = {}
    now = utcnow()
    for flag, value, on, off in (
        ("is_pinned", pinned, "pin", "unpin"),
        ("is_locked", locked, "lock", "unlock"),
    ):
        if value is None:
            continue
        values[flag] = value
        await moderation_repo.log(
            session,
            moderator_id=principal.user_id,
            action=on if value else off,
            target_type=TargetType.TOPIC.value,
            target_id=topic.id,
            course_id=topic.course_id,
            note="",
            created_at=now,
        )
    if values:
        await repo.update_topic(session, topic.id, **values)
    return await get_topic(session, principal, topic.id)


async def history(
    session: AsyncSession,
    principal: Principal | None,
    target_id: uuid.UUID,
    limit: int,
    offset: int,
) -> tuple[list[RevisionRecord], int]:
    """The earlier texts of a topic or post (oldest first)."""
    post = await repo.get_post(session, target_id)
    topic_id = post.topic_id if post is not None else target_id
    await _topic_in_forum(session, principal, topic_id)
    if post is not None and post.deleted_at is not None:
        raise PostDeleted()
    found, total = await repo.revisions(session, target_id, limit, offset)
    return [
        RevisionRecord(r.editor_id, r.title, r.body_markdown, r.created_at) for r in found
    ], total


# --------------------------------------------------------------------------- posts


async def list_posts(
    session: AsyncSession,
    principal: Principal | None,
    topic_id: uuid.UUID,
    *,
    limit: int,
    offset: int,
) -> tuple[list[PostRecord], int]:
    """A page of the topic's posts; a fixed number of queries whatever the page holds."""
    topic, access = await _topic_in_forum(session, principal, topic_id)
    posts, total = await repo.list_posts(
        session,
        topic.id,
        viewer=access.user_id,
        moderator=access.can_moderate,
        limit=limit,
        offset=offset,
    )
    authors = await _authors(session, [p.author_id for p, _ in posts]) if posts else {}
    return [_post_record(p, topic, authors, voted) for p, voted in posts], total


async def create_post(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    topic_id: uuid.UUID,
    *,
    body: str,
    parent_id: uuid.UUID | None,
) -> PostRecord:
    topic, access = await _topic_in_forum(session, principal, topic_id)
    access.require_write()
    _check_body(body)
    if topic.is_locked:
        raise TopicLocked()
    depth = 0
    parent: Post | None = None
    if parent_id is not None:
        parent = await repo.get_post(session, parent_id)
        if parent is None or parent.topic_id != topic.id:
            raise field_error("parentId", "No such post in this topic.")
        if parent.deleted_at is not None:
            raise PostDeleted("The post you reply to was deleted.")
        depth = parent.depth + 1
        if depth > CommunitySettings.of(settings).max_depth:
            raise ThreadTooDeep()
    reasons = await _screen(session, settings, principal, access, body, topic=False)
    now = utcnow()
    if not await repo.bump_topic_for_post(session, topic.id, now):
        raise TopicLocked()
    post = Post(
        topic_id=topic.id,
        parent_id=parent_id,
        depth=depth,
        author_id=principal.user_id,
        body_markdown=body,
        body_html=markdown.render(body),
        status=ContentStatus.FLAGGED if reasons else ContentStatus.VISIBLE,
        created_at=now,
        updated_at=now,
    )
    session.add(post)
    await session.flush()
    excerpt = markdown.excerpt(body, EXCERPT_LENGTH)
    if reasons:
        await file_report(
            session,
            target_type=TargetType.POST,
            target_id=post.id,
            course_id=topic.course_id,
            target_author_id=principal.user_id,
            reporter_id=None,
            reason="filter: " + ", ".join(reasons),
        )
    else:
        await _announce(session, topic, post, parent, excerpt)
    await repo.follow(session, topic.id, principal.user_id, now)
    authors = await _authors(session, [principal.user_id])
    return _post_record(post, topic, authors, False)


async def _announce(
    session: AsyncSession, topic: Topic, post: Post, parent: Post | None, excerpt: str
) -> None:
    """The events of a visible new post: followers, the parent's author, mentions."""
    followers = [uid for uid in await repo.follower_ids(session, topic.id) if uid != post.author_id]
    await publish(
        session,
        PostCreated(
            post_id=post.id,
            topic_id=topic.id,
            course_id=topic.course_id,
            category_slug=topic.category,
            topic_title=topic.title,
            author_id=post.author_id,
            parent_post_id=post.parent_id,
            excerpt=excerpt,
            recipient_ids=tuple(followers),
            created_at=post.created_at,
        ),
    )
    if parent is not None and parent.author_id != post.author_id:
        await publish(
            session,
            ReplyCreated(
                post_id=post.id,
                parent_post_id=parent.id,
                topic_id=topic.id,
                course_id=topic.course_id,
                topic_title=topic.title,
                author_id=post.author_id,
                parent_author_id=parent.author_id,
                excerpt=excerpt,
                created_at=post.created_at,
            ),
        )
    await _mention(session, topic, post.id, post.author_id, post.body_markdown)


async def _post_in_forum(
    session: AsyncSession, principal: Principal, post_id: uuid.UUID
) -> tuple[Post, Topic, ForumAccess]:
    post = await repo.get_post(session, post_id)
    if post is None:
        raise PostNotFound()
    topic, access = await _topic_in_forum(session, principal, post.topic_id)
    if post.status != ContentStatus.VISIBLE and not (
        access.can_moderate or post.author_id == principal.user_id
    ):
        raise PostNotFound()
    return post, topic, access


async def edit_post(
    session: AsyncSession, principal: Principal, post_id: uuid.UUID, body: str
) -> PostRecord:
    post, topic, access = await _post_in_forum(session, principal, post_id)
    access.require_write()
    if post.deleted_at is not None:
        raise PostDeleted()
    if post.author_id != principal.user_id and not access.can_moderate:
        raise Forbidden("Only the post's author or a moderator may edit it.")
    _check_body(body)
    now = utcnow()
    await repo.add_revision(
        session,
        target_id=post.id,
        editor_id=principal.user_id,
        title=None,
        body_markdown=post.body_markdown,
        created_at=now,
    )
    post.body_markdown, post.body_html, post.edited_at = body, markdown.render(body), now
    await repo.update_post(
        session,
        post.id,
        body_markdown=body,
        body_html=post.body_html,
        edited_at=now,
        updated_at=now,
    )
    await _mention(session, topic, post.id, post.author_id, body)
    authors = await _authors(session, [post.author_id])
    voted = bool(await repo.voted_among(session, principal.user_id, [post.id]))
    return _post_record(post, topic, authors, voted)


async def delete_post(session: AsyncSession, principal: Principal, post_id: uuid.UUID) -> None:
    """Soft delete: the post stays in the thread without its text; a solution stops being
    one."""
    post, topic, access = await _post_in_forum(session, principal, post_id)
    if post.author_id != principal.user_id and not access.can_moderate:
        raise Forbidden("Only the post's author or a moderator may delete it.")
    if not await repo.soft_delete_post(session, post.id, utcnow()):
        raise PostDeleted()
    if topic.solution_post_id == post.id:
        await repo.set_solution(session, topic.id, None)


async def accept_solution(
    session: AsyncSession,
    principal: Principal,
    post_id: uuid.UUID,
    topic_id: uuid.UUID | None = None,
) -> TopicRecord:
    """The topic's author or an instructor marks a post of the topic as its solution (another
    post replaces the previous one)."""
    post = await repo.get_post(session, post_id)
    if topic_id is not None:
        await _topic_in_forum(session, principal, topic_id)
        if post is None or post.topic_id != topic_id:
            raise field_error("postId", "No such post in this topic.")
    if post is None:
        raise PostNotFound()
    topic, access = await _topic_in_forum(session, principal, post.topic_id)
    if topic.author_id != principal.user_id and not (access.is_staff or access.can_moderate):
        raise Forbidden("Only the topic's author or an instructor may accept a solution.")
    if post.deleted_at is not None or post.status != ContentStatus.VISIBLE:
        raise PostDeleted("A deleted or hidden post cannot be the solution.")
    if await repo.set_solution(session, topic.id, post.id):
        await publish(
            session,
            SolutionAccepted(
                topic_id=topic.id,
                post_id=post.id,
                course_id=topic.course_id,
                topic_title=topic.title,
                post_author_id=post.author_id,
                accepted_by=principal.user_id,
                accepted_at=utcnow(),
            ),
        )
    return await get_topic(session, principal, topic.id)


async def clear_solution(
    session: AsyncSession, principal: Principal, topic_id: uuid.UUID
) -> TopicRecord:
    topic, access = await _topic_in_forum(session, principal, topic_id)
    if topic.author_id != principal.user_id and not (access.is_staff or access.can_moderate):
        raise Forbidden("Only the topic's author or an instructor may change the solution.")
    await repo.set_solution(session, topic.id, None)
    return await get_topic(session, principal, topic.id)


# --------------------------------------------------------------------------- votes, follows


async def vote(
    session: AsyncSession, principal: Principal, target_id: uuid.UUID, *, up: bool
) -> VoteRecord:
    """Upvote (or take back the vote on) a topic or post: one vote per user, counted by the
    insert that happened."""
    post = await repo.get_post(session, target_id)
    model: type[Topic] | type[Post]
    if post is not None:
        if post.deleted_at is not None:
            raise PostDeleted()
        _, _, access = await _post_in_forum(session, principal, target_id)
        model = Post
    else:
        _, access = await _topic_in_forum(session, principal, target_id)
        model = Topic
    access.require_write()
    if up:
        await repo.add_vote(session, model, target_id, principal.user_id, utcnow())
    else:
        await repo.remove_vote(session, model, target_id, principal.user_id)
    target = await (
        repo.get_post(session, target_id) if post else repo.get_topic(session, target_id)
    )
    assert target is not None
    return VoteRecord(target_id, target.vote_count, up)


async def follow(
    session: AsyncSession, principal: Principal, topic_id: uuid.UUID, *, on: bool
) -> TopicRecord:
    topic, _ = await _topic_in_forum(session, principal, topic_id)
    if on:
        await repo.follow(session, topic.id, principal.user_id, utcnow())
    else:
        await repo.unfollow(session, topic.id, principal.user_id)
    return await get_topic(session, principal, topic.id)


# --------------------------------------------------------------------------- course settings


async def forum_settings(
    session: AsyncSession, principal: Principal | None, course_id: uuid.UUID
) -> tuple[bool, list[uuid.UUID]]:
    access = await policies.forum_access(session, principal, course_id)
    access.require_read()
    return (
        await repo.public_preview(session, course_id),
        await repo.course_moderator_ids(session, course_id),
    )


async def update_forum_settings(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    *,
    public_preview: bool | None,
    moderator_ids: Sequence[uuid.UUID] | None,
) -> tuple[bool, list[uuid.UUID]]:
    """Instructors of the course (and admins, platform moderators) set the public preview and
    choose the course moderators."""
    access = await policies.forum_access(session, principal, course_id)
    if not access.is_staff:
        raise Forbidden("Only the course's instructors may change its forum's settings.")
    now = utcnow()
    if public_preview is not None:
        await repo.set_public_preview(session, course_id, public_preview, now)
    if moderator_ids is not None:
        found = await identity.get_user_summaries(session, set(moderator_ids))
        missing = set(moderator_ids) - set(found)
        if missing:
            raise field_error("moderatorIds", "No such user.")
        await repo.set_course_moderators(
            session, course_id, set(moderator_ids), principal.user_id, now
        )
    return await forum_settings(session, principal, course_id)
