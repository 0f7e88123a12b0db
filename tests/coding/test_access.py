"""AC-01 / AC-02 for coding exercises: a route x role matrix generated from the app's route
table (a new coding route without an expectation fails), and object-level checks (BOLA):
a learner never reads or changes another learner's submissions, results or hints, and only
enrolled learners submit, run and reveal hints; denied calls change nothing."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient

from campus.coding.models import CodeAnalysis, CodeHintReveal, CodeSubmission
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.assessment import World
from tests.fixtures.catalog import ok
from tests.fixtures.coding import ADDER, API, CodingFactory, call

ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin")
STAFF = {"instructor", "admin"}
ENROLLED = {"learner", "other_learner"}

_staff = (STAFF, 403)
_readers = (STAFF | ENROLLED, 403)
_enrolled = (ENROLLED, 403)
#: (method, path) -> (allowed roles, status for each denied signed-in role)
EXPECTED: dict[tuple[str, str], tuple[set[str], int | dict[str, int]]] = {
    ("POST", "/courses/{course_id}/coding-exercises"): _staff,
    ("GET", "/courses/{course_id}/coding-exercises"): _readers,
    ("GET", "/coding-exercises/{exercise_id}"): _readers,
    ("PATCH", "/coding-exercises/{exercise_id}"): _staff,
    ("PUT", "/coding-exercises/{exercise_id}/tests"): _staff,
    ("POST", "/coding-exercises/{exercise_id}/validate"): _staff,
    ("POST", "/coding-exercises/{exercise_id}/publish"): _staff,
    ("POST", "/coding-exercises/{exercise_id}/regrade"): _staff,
    ("GET", "/coding-exercises/{exercise_id}/hints"): _enrolled,
    ("POST", "/coding-exercises/{exercise_id}/hints/next"): _enrolled,
    ("POST", "/coding-exercises/{exercise_id}/run"): _enrolled,
    ("POST", "/coding-exercises/{exercise_id}/submissions"): _enrolled,
    ("GET", "/coding-exercises/{exercise_id}/submissions"): _readers,
    ("GET", "/code-submissions/{submission_id}"): (STAFF | {"learner"}, 404),
    ("PUT", "/code-submissions/{submission_id}/feedback"): (
        STAFF,
        {"learner": 403, "other_learner": 404, "other_instructor": 404},
    ),
    ("GET", "/admin/sandbox"): ({"admin"}, 403),
}

TESTS = [call("adds", [1, 2], 3), call("adds negatives", [-1, -2], -3, hidden=True)]


def coding_routes(app: FastAPI) -> list[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        endpoint = getattr(context, "endpoint", None)
        if endpoint is None or not endpoint.__module__.startswith("campus.coding"):
            continue
        path = context.path
        assert path is not None, context  # every endpoint route has one
        for method in set(context.methods or ()) - {"HEAD"}:
            found.add((method, path.removeprefix(API)))
    return sorted(found)


def _body(method: str, path: str) -> dict[str, Any] | None:
    if path.endswith("/coding-exercises") and method == "POST":
        return {"title": "Another", "referenceSolution": ADDER, "tests": TESTS}
    if method == "PATCH":
        return {"title": "Renamed"}
    if path.endswith("/tests"):
        return {"tests": TESTS}
    if path.endswith(("/run", "/submissions")) and method == "POST":
        return {"code": ADDER}
    if path.endswith("/feedback"):
        return {"feedback": "Nice", "strengths": ["clear"]}
    return None


async def _scenario(coding: CodingFactory, relay: Relay) -> tuple[World, dict[str, str]]:
    world = await coding.world()
    exercise = await coding.exercise(world, tests=TESTS)
    graded = await coding.graded(relay, world.learner, exercise["id"], ADDER)
    ids = {
        "course_id": world.course_id,
        "exercise_id": exercise["id"],
        "submission_id": graded["id"],
    }
    return world, ids


def test_every_coding_route_has_an_expectation(app: FastAPI) -> None:
    routes = set(coding_routes(app))
    assert routes, "no coding routes found"
    missing = routes - set(EXPECTED)
    stale = set(EXPECTED) - routes
    assert not missing, f"routes without an access expectation: {sorted(missing)}"
    assert not stale, f"expectations for routes that do not exist: {sorted(stale)}"


async def test_route_role_matrix(
    app: FastAPI, coding: CodingFactory, client: AsyncClient, relay: Relay
) -> None:
    world, ids = await _scenario(coding, relay)
    failures: list[str] = []
    for method, path in coding_routes(app):
        allowed, denied = EXPECTED[(method, path)]
        order = [r for r in ROLES if r not in allowed] + [r for r in ROLES if r in allowed]
        url = API + path.format(**ids)
        for role in order:
            await app.state.limiter.reset_all()
            user = world.by_role(role)
            headers = user.headers if user else {}
            body = _body(method, path)
            kwargs: dict[str, Any] = {} if body is None else {"json": body}
            response = await client.request(method, url, headers=headers, **kwargs)
            status = response.status_code
            if role == "anonymous":
                good, want = status == 401, "401"
            elif role in allowed:
                good, want = status < 500 and status not in (401, 403, 404), "allowed"
            else:
                expected = denied if isinstance(denied, int) else denied[role]
                good, want = status == expected, str(expected)
            if not good:
                failures.append(
                    f"{method} {path} as {role}: {status} (want {want}) {response.text[:200]}"
                )
    assert not failures, "\n".join(failures)


async def _counts(db: Database) -> tuple[int, int, int]:
    async with db.read_session() as session:
        submissions = await session.scalar(sa.select(sa.func.count()).select_from(CodeSubmission))
        reveals = await session.scalar(sa.select(sa.func.count()).select_from(CodeHintReveal))
        analyses = await session.scalar(
            sa.select(sa.func.count()).where(CodeAnalysis.analyzed_by.is_not(None))
        )
    return int(submissions or 0), int(reveals or 0), int(analyses or 0)


async def test_learners_cannot_reach_each_others_submissions_or_hints(
    coding: CodingFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world, ids = await _scenario(coding, relay)
    exercise_id, submission_id = ids["exercise_id"], ids["submission_id"]
    other = world.other_learner
    ok(
        await client.post(
            f"{API}/coding-exercises/{exercise_id}/hints/next", headers=world.learner.headers
        )
    )
    before = await _counts(db)

    for url in (f"{API}/code-submissions/{submission_id}",):
        response = await client.get(url, headers=other.headers)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "code_submission_not_found"
    feedback = await client.put(
        f"{API}/code-submissions/{submission_id}/feedback",
        json={"feedback": "mine now"},
        headers=other.headers,
    )
    assert feedback.status_code == 404
    # asking for the other learner's submissions by id in the query yields one's own only
    listed = ok(
        await client.get(
            f"{API}/coding-exercises/{exercise_id}/submissions?userId={world.learner.id}",
            headers=other.headers,
        )
    )
    assert listed["items"] == []
    assert listed["total"] == 0
    hints = ok(
        await client.get(f"{API}/coding-exercises/{exercise_id}/hints", headers=other.headers)
    )
    assert hints["revealed"] == []
    detail = ok(await client.get(f"{API}/coding-exercises/{exercise_id}", headers=other.headers))
    assert detail["revealedHints"] == []
    assert await _counts(db) == before


async def test_only_enrolled_learners_submit_run_and_reveal_hints(
    coding: CodingFactory, client: AsyncClient, relay: Relay, db: Database
) -> None:
    world, ids = await _scenario(coding, relay)
    exercise_id = ids["exercise_id"]
    before = await _counts(db)
    for user in (world.outsider, world.other_instructor, world.instructor, world.admin):
        for method, suffix, body in (
            ("POST", "/submissions", {"code": ADDER}),
            ("POST", "/run", {"code": ADDER}),
            ("POST", "/hints/next", None),
        ):
            response = await client.request(
                method,
                f"{API}/coding-exercises/{exercise_id}{suffix}",
                json=body,
                headers=user.headers,
            )
            assert response.status_code == 403, (user.first_name, suffix, response.text)
            assert response.json()["error"]["code"] == "not_enrolled"
    assert await _counts(db) == before


async def test_draft_exercises_do_not_exist_for_learners(
    coding: CodingFactory, client: AsyncClient
) -> None:
    world = await coding.world()
    draft = await coding.exercise(world, tests=TESTS, publish=False)
    for suffix in ("", "/hints", "/submissions"):
        response = await client.get(
            f"{API}/coding-exercises/{draft['id']}{suffix}", headers=world.learner.headers
        )
        assert response.status_code == 404, suffix
    listed = ok(
        await client.get(
            f"{API}/courses/{world.course_id}/coding-exercises", headers=world.learner.headers
        )
    )
    assert listed["items"] == []
    staff = ok(
        await client.get(
            f"{API}/courses/{world.course_id}/coding-exercises", headers=world.instructor.headers
        )
    )
    assert [e["id"] for e in staff["items"]] == [draft["id"]]
    assert staff["items"][0]["hiddenTestCount"] == 1


async def test_the_sandbox_status_needs_the_sandbox_admin_permission(
    client: AsyncClient, coding: CodingFactory
) -> None:
    world = await coding.world()
    assert (await client.get(f"{API}/admin/sandbox")).status_code == 401
    refused = await client.get(f"{API}/admin/sandbox", headers=world.instructor.headers)
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"permission": "sandbox:admin"}
    status = ok(await client.get(f"{API}/admin/sandbox", headers=world.admin.headers))
    assert status["runner"] == "local"
    assert "python" in status["languages"]
    layers = status["layers"]
    assert layers["rlimits"] is True
    assert "rlimits" in layers["active"]
    assert layers["python"]
    assert status["probedAt"] is not None
