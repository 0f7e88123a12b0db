"""Every forum query: settings, moderators, sanctions, topics, posts, votes, follows, mentions
and the topic search documents."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.community.models import (
    SEARCH_FTS_TABLE,
    SEARCH_PG_VECTOR,
    CourseModerator,
    Follow,
    ForumSettings,
    Mention,
    Post,
    Revision,
    Sanction,
    Topic,
    TopicSearchDocument,
    Vote,
)
from campus.kernel.db import dialect_insert, rowcount

# --------------------------------------------------------------------------- access


async def active_sanction(
    session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID | None, now: datetime
) -> str | None:
    """``ban``, ``mute`` or ``None``: the strongest sanction in force for the user in this
    forum (a platform-wide one counts everywhere)."""
    scope: sa.ColumnElement[bool] = Sanction.course_id.is_(None)
    if course_id is not None:
        scope = sa.or_(scope, Sanction.course_id == course_id)
    kinds = set(
        await session.scalars(
            sa.select(Sanction.kind).where(
                Sanction.user_id == user_id,
                scope,
                Sanction.lifted_at.is_(None),
                sa.or_(Sanction.ends_at.is_(None), Sanction.ends_at > now),
            )
        )
    )
    return "ban" if "ban" in kinds else ("mute" if kinds else None)


async def access_facts(
    session: AsyncSession,
    user_id: uuid.UUID | None,
    course_id: uuid.UUID,
    now: datetime,
) -> tuple[str | None, bool, bool]:
    """(the strongest sanction in force, whether the user moderates the course, whether the
    course's forum has a public preview), in one statement."""
    if user_id is None:
        level: Any = sa.null()
        moderates: Any = sa.false()
    else:
        level = (
            sa.select(sa.func.max(sa.case((Sanction.kind == "ban", 2), else_=1)))
            .where(
                Sanction.user_id == user_id,
                sa.or_(Sanction.course_id.is_(None), Sanction.course_id == course_id),
                Sanction.lifted_at.is_(None),
                sa.or_(Sanction.ends_at.is_(None), Sanction.ends_at > now),
            )
            .scalar_subquery()
        )
        moderates = sa.exists().where(
            CourseModerator.course_id == course_id, CourseModerator.user_id == user_id
        )
    preview = (
        sa.select(ForumSettings.public_preview)
        .where(ForumSettings.course_id == course_id)
        .scalar_subquery()
    )
    row = (await session.execute(sa.select(level, moderates, preview))).one()
    sanction = {2: "ban", 1: "mute"}.get(int(row[0])) if row[0] is not None else None
    return sanction, bool(row[1]), bool(row[2])


async def add_sanction(session: AsyncSession, **values: Any) -> Sanction:
    row = Sanction(**values)
    session.add(row)
    await session.flush()
    return row


async def is_course_moderator(
    session: AsyncSession, course_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        sa.select(CourseModerator.user_id).where(
            CourseModerator.course_id == course_id, CourseModerator.user_id == user_id
        )
    )
    return found is not None


async def course_moderator_ids(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            sa.select(CourseModerator.user_id)
            .where(CourseModerator.course_id == course_id)
            .order_by(CourseModerator.user_id)
        )
    )


async def set_course_moderators(
    session: AsyncSession,
    course_id: uuid.UUID,
    user_ids: Collection[uuid.UUID],
    by: uuid.UUID,
    now: datetime,
) -> None:
    await session.execute(
        sa.delete(CourseModerator).where(
            CourseModerator.course_id == course_id, CourseModerator.user_id.not_in(list(user_ids))
        )
    )
    if user_ids:
        await session.execute(
            dialect_insert(session, CourseModerator)
            .values(
                [
                    {"course_id": course_id, "user_id": u, "appointed_by": by, "created_at": now}
                    for u in user_ids
                ]
            )
            .on_conflict_do_nothing(index_elements=["course_id", "user_id"])
        )


async def public_preview(session: AsyncSession, course_id: uuid.UUID) -> bool:
    found = await session.scalar(
        sa.select(ForumSettings.public_preview).where(ForumSettings.course_id == course_id)
    )
    return bool(found)


async def set_public_preview(
    session: AsyncSession, course_id: uuid.UUID, value: bool, now: datetime
) -> None:
    await session.execute(
        dialect_insert(session, ForumSettings)
        .values(course_id=course_id, public_preview=value, updated_at=now)
        .on_conflict_do_update(
            index_elements=["course_id"], set_={"public_preview": value, "updated_at": now}
        )
    )


# --------------------------------------------------------------------------- topics


async def get_topic(session: AsyncSession, topic_id: uuid.UUID) -> Topic | None:
    """A topic that is not deleted (fresh from the database)."""
    return await session.scalar(
        sa.select(Topic)
        .where(Topic.id == topic_id, Topic.deleted_at.is_(None))
        .execution_options(populate_existing=True)
    )


def _visible(model: Any, viewer: uuid.UUID | None, moderator: bool) -> Any:
    if moderator:
        return sa.true()
    shown = model.status == "visible"
    if viewer is not None:
        shown = sa.or_(shown, sa.and_(model.status == "flagged", model.author_id == viewer))
    return shown


def _voted(model: Any, viewer: uuid.UUID | None) -> Any:
    """Whether ``viewer`` upvoted the row (a correlated EXISTS on the vote's key)."""
    if viewer is None:
        return sa.false().label("voted")
    return (
        sa.exists()
        .where(Vote.target_id == model.id, Vote.user_id == viewer)
        .correlate(model)
        .label("voted")
    )


async def _page_with_total(
    session: AsyncSession, stmt: Any, model: Any, where: list[Any], offset: int
) -> tuple[list[Any], int]:
    """The page's rows with their ``voted`` flag, and the total counted by the window
    function; a page past the end has no row to carry it, so it is counted apart."""
    rows = (await session.execute(stmt)).all()
    if rows:
        return [(row[0], bool(row[1])) for row in rows], int(rows[0][2])
    if offset == 0:
        return [], 0
    total = await session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    return [], int(total or 0)


_TOPIC_ORDER = {
    "activity": (Topic.last_activity_at.desc(),),
    "newest": (Topic.created_at.desc(),),
    "votes": (Topic.vote_count.desc(), Topic.last_activity_at.desc()),
    "unanswered": (Topic.created_at.desc(),),
}


def _fts_match(tokens: Sequence[str]) -> str:
    return " ".join(f'"{t}"*' for t in tokens)


async def list_topics(
    session: AsyncSession,
    *,
    course_id: uuid.UUID | None,
    category: str | None,
    sort: str,
    search_tokens: Sequence[str],
    lesson_id: uuid.UUID | None,
    viewer: uuid.UUID | None,
    moderator: bool,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Topic, bool]], int]:
    """One page of a forum's topics, pinned first, each with whether ``viewer`` voted for
    it, and the total: two queries."""
    where: list[Any] = [Topic.deleted_at.is_(None), _visible(Topic, viewer, moderator)]
    where.append(
        Topic.course_id == course_id if course_id is not None else Topic.course_id.is_(None)
    )
    if category is not None:
        where.append(Topic.category == category)
    if lesson_id is not None:
        where.append(Topic.lesson_id == lesson_id)
    if sort == "unanswered":
        where.append(Topic.post_count == 0)
    if search_tokens:
        if session.get_bind().dialect.name == "postgresql":
            tsquery = sa.func.to_tsquery(
                sa.literal_column("'simple'::regconfig"),
                sa.bindparam("tsquery", " & ".join(f"{t}:*" for t in search_tokens)),
            )
            hits = sa.select(TopicSearchDocument.topic_id).where(
                sa.literal_column(f"{TopicSearchDocument.__tablename__}.{SEARCH_PG_VECTOR}").op(
                    "@@"
                )(tsquery)
            )
        else:
            hits = sa.select(sa.column("topic_id")).select_from(
                sa.text(
                    f"(SELECT topic_id FROM {SEARCH_FTS_TABLE} "  # noqa: S608  # nosec B608 - constant table name
                    f"WHERE {SEARCH_FTS_TABLE} MATCH :fts_match)"
                ).bindparams(fts_match=_fts_match(search_tokens))
            )
        where.append(Topic.id.in_(hits))
    # A separate count: a window count over the page's query would make PostgreSQL read and
    # sort every topic of the forum before the few it returns (the list walks the index).
    total = await session.scalar(sa.select(sa.func.count()).select_from(Topic).where(*where))
    rows = await session.execute(
        sa.select(Topic, _voted(Topic, viewer))
        .where(*where)
        .order_by(Topic.is_pinned.desc(), *_TOPIC_ORDER[sort], Topic.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], bool(row[1])) for row in rows], int(total or 0)


async def bump_topic_for_post(session: AsyncSession, topic_id: uuid.UUID, now: datetime) -> bool:
    """Count a new post on an open topic; False when the topic is locked or gone (checked in
    the same statement: a lock that lands first stops the post)."""
    result = await session.execute(
        sa.update(Topic)
        .where(Topic.id == topic_id, Topic.is_locked.is_(False), Topic.deleted_at.is_(None))
        .values(post_count=Topic.post_count + 1, last_activity_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def adjust_post_count(session: AsyncSession, topic_id: uuid.UUID, delta: int) -> None:
    await session.execute(
        sa.update(Topic)
        .where(Topic.id == topic_id)
        .values(post_count=Topic.post_count + delta)
        .execution_options(synchronize_session=False)
    )


async def update_topic(session: AsyncSession, topic_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(Topic)
        .where(Topic.id == topic_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def set_solution(
    session: AsyncSession, topic_id: uuid.UUID, post_id: uuid.UUID | None
) -> bool:
    """Point the topic at its new solution; False when it already was that post."""
    result = await session.execute(
        sa.update(Topic)
        .where(
            Topic.id == topic_id,
            sa.or_(Topic.solution_post_id.is_(None), Topic.solution_post_id != post_id)
            if post_id is not None
            else Topic.solution_post_id.is_not(None),
        )
        .values(solution_post_id=post_id)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def save_search_document(
    session: AsyncSession, topic: Topic, headline: str, body: str
) -> None:
    await session.execute(
        dialect_insert(session, TopicSearchDocument)
        .values(topic_id=topic.id, course_id=topic.course_id, headline=headline, body=body)
        .on_conflict_do_update(
            index_elements=["topic_id"], set_={"headline": headline, "body": body}
        )
    )


async def delete_search_document(session: AsyncSession, topic_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(TopicSearchDocument).where(TopicSearchDocument.topic_id == topic_id)
    )


# --------------------------------------------------------------------------- posts


async def get_post(session: AsyncSession, post_id: uuid.UUID) -> Post | None:
    return await session.scalar(
        sa.select(Post).where(Post.id == post_id).execution_options(populate_existing=True)
    )


async def list_posts(
    session: AsyncSession,
    topic_id: uuid.UUID,
    *,
    viewer: uuid.UUID | None,
    moderator: bool,
    limit: int,
    offset: int,
) -> tuple[list[tuple[Post, bool]], int]:
    """A page of the topic's posts in the order they were written (clients nest them by
    ``parentId``), each with whether ``viewer`` voted for it, and the total: one query (two
    for a page past the end)."""
    where = [Post.topic_id == topic_id, _visible(Post, viewer, moderator)]
    stmt = (
        sa.select(Post, _voted(Post, viewer), sa.func.count().over().label("total"))
        .where(*where)
        .order_by(Post.created_at, Post.id)
        .limit(limit)
        .offset(offset)
    )
    return await _page_with_total(session, stmt, Post, where, offset)


async def update_post(session: AsyncSession, post_id: uuid.UUID, **values: Any) -> None:
    await session.execute(
        sa.update(Post)
        .where(Post.id == post_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def soft_delete_post(session: AsyncSession, post_id: uuid.UUID, now: datetime) -> bool:
    result = await session.execute(
        sa.update(Post)
        .where(Post.id == post_id, Post.deleted_at.is_(None))
        .values(deleted_at=now)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


async def add_revision(session: AsyncSession, **values: Any) -> None:
    session.add(Revision(**values))


async def revisions(
    session: AsyncSession, target_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Revision], int]:
    """A page of the earlier texts, oldest first, and their number."""
    where = Revision.target_id == target_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Revision).where(where))
    rows = await session.scalars(
        sa.select(Revision)
        .where(where)
        .order_by(Revision.created_at, Revision.id)
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def count_recent_by(
    session: AsyncSession, author_id: uuid.UUID, since: datetime, *, topics: bool
) -> int:
    model: Any = Topic if topics else Post
    return int(
        await session.scalar(
            sa.select(sa.func.count())
            .select_from(model)
            .where(model.author_id == author_id, model.created_at >= since)
        )
        or 0
    )


# --------------------------------------------------------------------------- votes


async def add_vote(
    session: AsyncSession, model: Any, target_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """One vote per user and target: the insert that loses a race inserts nothing, and the
    counter moves only with a row inserted."""
    result = await session.execute(
        dialect_insert(session, Vote)
        .values(target_id=target_id, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["target_id", "user_id"])
    )
    if rowcount(result) != 1:
        return False
    await session.execute(
        sa.update(model)
        .where(model.id == target_id)
        .values(vote_count=model.vote_count + 1)
        .execution_options(synchronize_session=False)
    )
    return True


async def remove_vote(
    session: AsyncSession, model: Any, target_id: uuid.UUID, user_id: uuid.UUID
) -> bool:
    result = await session.execute(
        sa.delete(Vote).where(Vote.target_id == target_id, Vote.user_id == user_id)
    )
    if rowcount(result) != 1:
        return False
    await session.execute(
        sa.update(model)
        .where(model.id == target_id)
        .values(vote_count=model.vote_count - 1)
        .execution_options(synchronize_session=False)
    )
    return True


async def voted_among(
    session: AsyncSession, user_id: uuid.UUID, target_ids: Collection[uuid.UUID]
) -> set[uuid.UUID]:
    if not target_ids:
        return set()
    return set(
        await session.scalars(
            sa.select(Vote.target_id).where(
                Vote.user_id == user_id, Vote.target_id.in_(list(target_ids))
            )
        )
    )


async def count_votes(session: AsyncSession, target_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            sa.select(sa.func.count()).select_from(Vote).where(Vote.target_id == target_id)
        )
        or 0
    )


# --------------------------------------------------------------------------- follows, mentions


async def follow(
    session: AsyncSession, topic_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> None:
    await session.execute(
        dialect_insert(session, Follow)
        .values(topic_id=topic_id, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["topic_id", "user_id"])
    )


async def unfollow(session: AsyncSession, topic_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await session.execute(
        sa.delete(Follow).where(Follow.topic_id == topic_id, Follow.user_id == user_id)
    )


async def follower_ids(session: AsyncSession, topic_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(
            sa.select(Follow.user_id).where(Follow.topic_id == topic_id).order_by(Follow.user_id)
        )
    )


async def is_following(session: AsyncSession, topic_id: uuid.UUID, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        sa.select(Follow.user_id).where(Follow.topic_id == topic_id, Follow.user_id == user_id)
    )
    return found is not None


async def record_mention(
    session: AsyncSession, source_id: uuid.UUID, user_id: uuid.UUID, now: datetime
) -> bool:
    """True when this is the first time ``source_id`` mentions the user."""
    result = await session.execute(
        dialect_insert(session, Mention)
        .values(source_id=source_id, user_id=user_id, created_at=now)
        .on_conflict_do_nothing(index_elements=["source_id", "user_id"])
    )
    return rowcount(result) == 1
