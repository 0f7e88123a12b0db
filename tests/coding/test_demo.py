"""The demo data: seed 003's three coding exercises on the Python track, each placed on its
module's lesson, with visible and hidden tests and a reference solution that passes them."""

from __future__ import annotations

import sqlalchemy as sa
from httpx import AsyncClient

from campus.coding.demo import EXERCISES
from campus.coding.models import CodeExercise
from tests.fixtures.catalog import ok
from tests.fixtures.coding import API
from tests.fixtures.demo import DemoWorld


async def test_the_python_track_gets_three_published_coding_exercises(
    demo: DemoWorld, demo_client: AsyncClient
) -> None:
    accounts = demo.accounts
    async with demo.db.read_session() as session:
        rows = list(
            await session.scalars(sa.select(CodeExercise).order_by(CodeExercise.created_at))
        )
        summary = [(e.title, e.status, e.lesson_id is not None, e.validation_passed) for e in rows]
        course_id = rows[0].course_id
    assert summary == [(title, "published", True, True) for title in EXERCISES]

    admin = next(a for a in accounts if a.role == "admin")
    login = ok(
        await demo_client.post(
            f"{API}/auth/login", json={"email": admin.email, "password": admin.password}
        )
    )
    headers = {"Authorization": f"Bearer {login['accessToken']}"}
    listed = ok(
        await demo_client.get(f"{API}/courses/{course_id}/coding-exercises", headers=headers)
    )
    assert [e["title"] for e in listed["items"]] == list(EXERCISES)
    for item in listed["items"]:
        assert 0 < item["hiddenTestCount"] < item["testCount"]
        detail = ok(await demo_client.get(f"{API}/coding-exercises/{item['id']}", headers=headers))
        assert detail["moduleId"] is not None
        assert detail["hintCount"] >= 2
        assert detail["starterCode"]
        validated = ok(
            await demo_client.post(f"{API}/coding-exercises/{item['id']}/validate", headers=headers)
        )
        assert validated["passed"] is True, validated
