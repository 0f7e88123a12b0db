"""Concurrency invariants on PostgreSQL, each with a control that shows the race without the
guard: fifty parallel ratings by one learner make one review, and parallel votes count one per
user with the counter equal to the vote rows."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from campus.community.models import Post, Review, Vote
from campus.community.service import forums, reviews
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.errors import AppError
from tests.community.conftest import ForumFactory, as_principal
from tests.conftest import postgres_only

PARALLEL = 50


async def naive_rate(
    db: Database, course_id: uuid.UUID, user_id: uuid.UUID, gate: asyncio.Barrier
) -> str:
    """The check-then-act the unique constraint and ON CONFLICT replace: look, then insert."""
    try:
        async with db.session() as session:
            found = await session.scalar(
                sa.select(Review.id).where(Review.course_id == course_id, Review.user_id == user_id)
            )
            await gate.wait()  # everyone has looked before anyone inserts
            if found is not None:
                return "found"
            now = utcnow()
            session.add(
                Review(
                    course_id=course_id,
                    user_id=user_id,
                    rating=5,
                    status="approved",
                    helpful_count=0,
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            return "inserted"
    except IntegrityError:
        return "error"


@postgres_only
async def test_control_look_then_insert_lets_every_parallel_rating_through_the_look(
    db: Database,
) -> None:
    course_id, user_id = uuid.uuid4(), uuid.uuid4()
    gate = asyncio.Barrier(20)
    outcomes = Counter(
        await asyncio.gather(*(naive_rate(db, course_id, user_id, gate) for _ in range(20)))
    )
    # Nobody found a review: without the unique constraint there would be twenty.
    assert outcomes == Counter({"inserted": 1, "error": 19})


@postgres_only
async def test_fifty_parallel_ratings_by_one_learner_make_one_review(forum: ForumFactory) -> None:
    p = await forum.people()
    settings = forum.app.state.settings
    who = as_principal(p.learner)
    course_id = uuid.UUID(p.course_id)

    async def one(rating: int) -> str:
        try:
            async with forum.db.session() as session:
                await reviews.create(
                    session, settings, who, course_id, rating=rating, title=None, text=None
                )
            return "created"
        except AppError as exc:
            return exc.code

    outcomes = Counter(await asyncio.gather(*(one(1 + i % 5) for i in range(PARALLEL))))
    assert outcomes == Counter({"created": 1, "review_exists": PARALLEL - 1})
    async with forum.db.read_session() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(Review))
    assert count == 1
    changed = [n for n in await forum.event_names() if n == "community.course_ratings_changed"]
    assert changed == ["community.course_ratings_changed"]


async def naive_vote(db: Database, post_id: uuid.UUID, gate: asyncio.Barrier) -> None:
    """A read-modify-write of the counter: every voter reads the same count."""
    async with db.session() as session:
        count = await session.scalar(sa.select(Post.vote_count).where(Post.id == post_id))
        await gate.wait()
        await session.execute(
            sa.update(Post).where(Post.id == post_id).values(vote_count=(count or 0) + 1)
        )


@postgres_only
async def test_control_read_modify_write_of_the_counter_loses_votes(forum: ForumFactory) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    post = await forum.post(p.learner, topic["id"])
    post_id = uuid.UUID(post["id"])
    gate = asyncio.Barrier(10)
    await asyncio.gather(*(naive_vote(forum.db, post_id, gate) for _ in range(10)))
    async with forum.db.read_session() as session:
        assert await session.scalar(sa.select(Post.vote_count).where(Post.id == post_id)) == 1


@postgres_only
async def test_parallel_votes_count_once_per_user_and_match_the_vote_rows(
    forum: ForumFactory,
) -> None:
    p = await forum.people()
    topic = await forum.topic(p.learner, p.course_id)
    post = await forum.post(p.learner, topic["id"])
    post_id = uuid.UUID(post["id"])
    voters = [p.learner, p.instructor, p.course_moderator, p.moderator, p.admin]

    async def one(user_index: int, up: bool) -> None:
        async with forum.db.session() as session:
            await forums.vote(session, as_principal(voters[user_index]), post_id, up=up)

    # Every voter votes ten times at once; then three take their vote back twice at once.
    await asyncio.gather(*(one(i % len(voters), True) for i in range(PARALLEL)))
    await asyncio.gather(*(one(i % 3, False) for i in range(6)))
    async with forum.db.read_session() as session:
        counter = await session.scalar(sa.select(Post.vote_count).where(Post.id == post_id))
        rows = await session.scalar(
            sa.select(sa.func.count()).select_from(Vote).where(Vote.target_id == post_id)
        )
    assert (counter, rows) == (2, 2)
