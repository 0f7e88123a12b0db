"""Community's demo data (idempotent: nothing happens when the Python forum's welcome topic
exists): topics in the Python course with replies, an accepted solution, a pinned and a locked
topic; approved and pending reviews on several courses (the catalog's ratings of those
courses are recomputed from them); featured testimonials; one report in the queue."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.community.data import COMMUNITY_MODERATE, ReviewStatus, TargetType, TestimonialStatus
from campus.community.models import Topic
from campus.community.service import forums, moderation, reviews, testimonials
from campus.community.service.forums import TopicDraft
from campus.config import Settings
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.errors import AppError
from campus.kernel.module import SeedState

PYTHON = "python-programming"
WELCOME = "Welcome to the Python forum"
ACCESSIBILITY = "web-accessibility-in-practice"

#: (email, course slug, rating, title, text, approved)
REVIEWS = (
    (
        "maria@campus.example",
        PYTHON,
        5,
        "Clear from day one",
        "Short lessons, real exercises.",
        True,
    ),
    ("kenji@campus.example", PYTHON, 4, None, None, True),
    ("priya@campus.example", PYTHON, 3, "Good, a bit fast", "Functions went quickly.", False),
    ("amara@campus.example", ACCESSIBILITY, 5, "Eye-opening", "I use a screen reader now.", True),
    ("maria@campus.example", ACCESSIBILITY, 4, "Practical", "Checklists I use at work.", False),
    ("lucas@campus.example", "color-theory-for-designers", 4, None, None, True),
    ("kenji@campus.example", "data-analysis-with-pandas", 5, "It clicks", "Great notebooks.", True),
)

TESTIMONIALS = (
    ("maria@campus.example", "Campus got me from zero to writing Python at work.", "Analyst"),
    ("amara@campus.example", "The accessibility course changed how our team ships.", "Developer"),
)


async def _principal(grants: dict[str, frozenset[str]], user_id: uuid.UUID, role: str) -> Principal:
    return Principal(user_id, frozenset({role}), grants.get(role, frozenset()))


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    ids = state.user_ids
    needed = ("admin@campus.example", "ada@campus.example", "maria@campus.example")
    if any(email not in ids for email in needed):
        return
    slugs = await catalog.find_course_ids_by_slugs(session, {r[1] for r in REVIEWS})
    python_id = slugs.get(PYTHON)
    if python_id is None:
        return
    exists = await session.scalar(
        sa.select(Topic.id).where(Topic.course_id == python_id, Topic.title == WELCOME)
    )
    if exists is not None:
        return
    grants = await identity.role_permissions(session)
    admin = await _principal(grants, ids["admin@campus.example"], "admin")
    teacher_id = (
        await catalog.course_instructor_ids(session, python_id) or (ids["ada@campus.example"],)
    )[0]
    teacher = await _principal(grants, teacher_id, "instructor")

    def learner(email: str) -> Principal:
        return Principal(ids[email], frozenset({"student"}), grants.get("student", frozenset()))

    maria, kenji = learner("maria@campus.example"), learner("kenji@campus.example")
    welcome = await forums.create_topic(
        session,
        settings,
        teacher,
        course_id=python_id,
        category=None,
        draft=TopicDraft(WELCOME, "Ask anything about the course here. Be kind, share code."),
    )
    await forums.set_flags(session, teacher, welcome.id, pinned=True)
    question = await forums.create_topic(
        session,
        settings,
        maria,
        course_id=python_id,
        category=None,
        draft=TopicDraft(
            "How do list comprehensions work?",
            "I understand `for` loops, but `[x * 2 for x in items]` confuses me.",
            tags=("comprehensions",),
        ),
    )
    first = await forums.create_post(
        session,
        settings,
        kenji,
        question.id,
        body="It is a loop that builds a list.",
        parent_id=None,
    )
    answer = await forums.create_post(
        session,
        settings,
        teacher,
        question.id,
        body="Read it as: *for each `x` in `items`, put `x * 2` in a new list.*\n\n"
        "```python\nresult = []\nfor x in items:\n    result.append(x * 2)\n```",
        parent_id=first.id,
    )
    await forums.accept_solution(session, maria, answer.id)
    closed = await forums.create_topic(
        session,
        settings,
        teacher,
        course_id=python_id,
        category=None,
        draft=TopicDraft("Live session schedule (closed)", "The live sessions of May are over."),
    )
    await forums.set_flags(session, teacher, closed.id, locked=True)

    for email, slug, rating, title, text, approved in REVIEWS:
        course_id = slugs.get(slug)
        if course_id is None or email not in ids:
            continue
        try:
            created = await reviews.create(
                session, settings, learner(email), course_id, rating=rating, title=title, text=text
            )
        except AppError:  # a demo learner not enrolled in that course
            continue
        if approved and text:
            moderator = Principal(
                admin.user_id, admin.roles, admin.permissions | {COMMUNITY_MODERATE}
            )
            await reviews.moderate(session, moderator, created.id, ReviewStatus.APPROVED, None)
    for course_id in {slugs[r[1]] for r in REVIEWS if r[1] in slugs}:
        await reviews.recompute_course_rating(session, course_id)

    for email, text, title in TESTIMONIALS:
        if email not in ids:
            continue
        submitted = await testimonials.submit(
            session, learner(email), text=text, course_id=None, author_title=title
        )
        await testimonials.decide(
            session, admin, submitted.id, status=TestimonialStatus.APPROVED, featured=True
        )

    if "priya@campus.example" in ids:
        spam = await forums.create_post(
            session,
            settings,
            learner("priya@campus.example"),
            question.id,
            body="Does anyone sell the answers to the quiz?",
            parent_id=None,
        )
        await moderation.report(session, maria, TargetType.POST, spam.id, "Asks for quiz answers")
