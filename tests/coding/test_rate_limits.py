"""Submissions and runs are rate limited per learner: 429 with Retry-After and the
X-RateLimit-* headers; a refused submission records nothing and queues nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from campus.coding.models import CodeSubmission
from campus.kernel.db import Database
from tests.fixtures.catalog import ok
from tests.fixtures.coding import ADDER, CodingFactory, call

TESTS = [call("adds", [1, 2], 3)]


@pytest.mark.coding_settings(code_submissions_per_minute=2, code_runs_per_minute=3)
async def test_submissions_and_runs_are_rate_limited_per_learner(
    coding: CodingFactory, db: Database
) -> None:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    for _ in range(2):
        accepted = await coding.submit(world.learner, exercise["id"], ADDER)
        ok(accepted, 201)
        assert accepted.headers["X-RateLimit-Limit"] == "2"
    refused = await coding.submit(world.learner, exercise["id"], ADDER)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    # another learner has a budget of their own
    ok(await coding.submit(world.other_learner, exercise["id"], ADDER), 201)
    async with db.read_session() as session:
        mine = await session.scalar(
            sa.select(sa.func.count()).where(CodeSubmission.user_id == world.learner.id)
        )
    assert mine == 2

    for _ in range(3):
        ok(await coding.run(world.learner, exercise["id"], ADDER))
    limited = await coding.run(world.learner, exercise["id"], ADDER)
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
