"""The community demo data: a Python forum with a pinned, a locked and a solved topic, reviews
that the catalog's ratings come from, featured testimonials and one report; seeding twice
changes nothing."""

from __future__ import annotations

import uuid
from decimal import Decimal

import sqlalchemy as sa

from campus.catalog import api as catalog_api
from campus.community import models
from campus.community.models import Report, Review, Topic
from campus.community.repository import reviews as reviews_repo
from tests.fixtures.demo import DemoWorld


async def test_the_demo_has_a_lively_python_forum_reviews_testimonials_and_a_report(
    demo: DemoWorld,
) -> None:
    async with demo.db.read_session() as session:
        topics = {
            t.title: (t.is_pinned, t.is_locked, t.solution_post_id is not None, t.post_count)
            for t in await session.scalars(sa.select(Topic))
        }
        statuses = sorted(await session.scalars(sa.select(Review.status)))
        featured = await session.scalar(
            sa.select(sa.func.count())
            .select_from(models.Testimonial)
            .where(models.Testimonial.is_featured)
        )
        reports = list(await session.scalars(sa.select(Report.status)))
        course_ids = set(await session.scalars(sa.select(Review.course_id)))
        ratings: dict[uuid.UUID, tuple[tuple[Decimal, int], tuple[Decimal, int]]] = {}
        for course_id in course_ids:
            summary = await catalog_api.get_course_summary(session, course_id)
            assert summary is not None
            average, count, _ = await reviews_repo.approved_figures(session, course_id)
            ratings[course_id] = ((summary.rating_average, summary.rating_count), (average, count))
    assert topics["Welcome to the Python forum"][0] is True
    assert topics["Live session schedule (closed)"][1] is True
    assert topics["How do list comprehensions work?"][2:] == (True, 3)
    assert statuses.count("approved") >= 4
    assert "pending_moderation" in statuses
    assert featured == 2
    assert reports == ["open"]
    assert len(course_ids) >= 3
    assert all(catalog == recomputed for catalog, recomputed in ratings.values()), ratings
