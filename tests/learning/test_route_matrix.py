"""AC-01/AC-02: every learning route x (anonymous, learner, other learner, instructor of the
course, other instructor, admin).

The table must name every learning route of the app (``test_every_learning_route_...`` fails
when a route is added without expectations). ``learner`` is enrolled in the course and owns the
enrollment the routes address; ``other_learner`` is enrolled in another course only. Another
learner's enrollment is a 404; a denied call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient

from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from campus.learning import models
from tests.fixtures.catalog import API, ok
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import Course, LearningFactory, ModuleSpec, text, video

# The learner goes last: their successful calls change the objects the others are denied.
ROLES = ("anonymous", "other_learner", "other_instructor", "instructor", "admin", "learner")


@dataclass
class World:
    course: Course
    learner: AppUser
    other_learner: AppUser
    instructor: AppUser
    other_instructor: AppUser
    admin: AppUser
    enrollment_id: str
    export_id: str
    entitlement_id: str
    batch_id: str

    def caller(self, role: str) -> AppUser | None:
        return None if role == "anonymous" else getattr(self, role)


@dataclass(frozen=True)
class Case:
    expect: dict[str, int]
    params: dict[str, Callable[[World], str]] = field(default_factory=dict)
    body: Callable[[World], dict[str, Any] | None] = lambda w: None
    files: bool = False


def expect(
    learner: int,
    other_learner: int,
    instructor: int,
    other_instructor: int,
    admin: int,
) -> dict[str, int]:
    return {
        "anonymous": 401,
        "learner": learner,
        "other_learner": other_learner,
        "instructor": instructor,
        "other_instructor": other_instructor,
        "admin": admin,
    }


ENROLLMENT = {"enrollment_id": lambda w: w.enrollment_id}
COURSE = {"course_id": lambda w: w.course.id}
TEXT_LESSON = {"lesson_id": lambda w: w.course.lesson_id(0, 1)}
VIDEO_LESSON = {"lesson_id": lambda w: w.course.lesson_id(0, 0)}
STAFF_READ = expect(403, 403, 200, 403, 200)
OWNER_READ = expect(200, 404, 200, 404, 200)
OWNER_ONLY = expect(200, 404, 403, 404, 403)
LEARNER_ACTION = expect(200, 403, 403, 403, 403)

CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/enrollments"): Case(
        expect(200, 201, 201, 201, 201), body=lambda w: {"courseId": w.course.id}
    ),
    ("GET", "/api/v1/enrollments/{enrollment_id}"): Case(OWNER_READ, ENROLLMENT),
    ("DELETE", "/api/v1/enrollments/{enrollment_id}"): Case(OWNER_ONLY, ENROLLMENT),
    ("POST", "/api/v1/enrollments/{enrollment_id}/cancel"): Case(OWNER_ONLY, ENROLLMENT),
    ("POST", "/api/v1/enrollments/{enrollment_id}/revoke"): Case(
        expect(403, 404, 403, 404, 200), ENROLLMENT, body=lambda w: {"reason": "matrix"}
    ),
    ("POST", "/api/v1/enrollments/{enrollment_id}/upgrade"): Case(
        expect(409, 404, 403, 404, 403), ENROLLMENT
    ),
    ("GET", "/api/v1/enrollments/{enrollment_id}/progress"): Case(OWNER_READ, ENROLLMENT),
    ("GET", "/api/v1/enrollments/{enrollment_id}/continue"): Case(OWNER_READ, ENROLLMENT),
    ("GET", "/api/v1/learn/lessons/{lesson_id}"): Case(
        expect(200, 403, 200, 403, 200), TEXT_LESSON
    ),
    ("POST", "/api/v1/learn/lessons/{lesson_id}/start"): Case(LEARNER_ACTION, TEXT_LESSON),
    ("POST", "/api/v1/learn/lessons/{lesson_id}/heartbeat"): Case(
        LEARNER_ACTION, VIDEO_LESSON, body=lambda w: {"positionSeconds": 5, "watchedSeconds": 5}
    ),
    ("POST", "/api/v1/learn/lessons/{lesson_id}/complete"): Case(LEARNER_ACTION, TEXT_LESSON),
    ("GET", "/api/v1/me/learning"): Case(expect(200, 200, 200, 200, 200)),
    ("GET", "/api/v1/me/activity"): Case(expect(200, 200, 200, 200, 200)),
    ("GET", "/api/v1/courses/{course_id}/roster"): Case(STAFF_READ, COURSE),
    ("GET", "/api/v1/courses/{course_id}/roster.csv"): Case(STAFF_READ, COURSE),
    ("GET", "/api/v1/courses/{course_id}/roster/{user_id}"): Case(
        STAFF_READ, {**COURSE, "user_id": lambda w: str(w.learner.id)}
    ),
    ("POST", "/api/v1/courses/{course_id}/roster-exports"): Case(
        expect(403, 403, 202, 403, 202), COURSE
    ),
    ("GET", "/api/v1/courses/{course_id}/roster-exports/{export_id}"): Case(
        STAFF_READ, {**COURSE, "export_id": lambda w: w.export_id}
    ),
    ("GET", "/api/v1/courses/{course_id}/roster-exports/{export_id}/download"): Case(
        STAFF_READ, {**COURSE, "export_id": lambda w: w.export_id}
    ),
    ("POST", "/api/v1/courses/{course_id}/entitlements"): Case(
        expect(403, 403, 201, 403, 201), COURSE, body=lambda w: {"userId": str(w.other_learner.id)}
    ),
    ("GET", "/api/v1/courses/{course_id}/entitlements"): Case(STAFF_READ, COURSE),
    ("DELETE", "/api/v1/courses/{course_id}/entitlements/{entitlement_id}"): Case(
        STAFF_READ, {**COURSE, "entitlement_id": lambda w: w.entitlement_id}
    ),
    ("POST", "/api/v1/admin/enrollments/bulk"): Case(expect(403, 403, 403, 403, 202), files=True),
    ("GET", "/api/v1/admin/enrollments/bulk/{batch_id}"): Case(
        expect(403, 403, 403, 403, 200), {"batch_id": lambda w: w.batch_id}
    ),
}


def learning_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every /api/v1 route whose handler lives in campus.learning."""
    found = set()
    for route in iter_route_contexts(app.routes):
        endpoint = route.endpoint
        if (
            isinstance(route.original_route, APIRoute)
            and route.path
            and route.path.startswith("/api/v1")
            and endpoint is not None
            and endpoint.__module__.startswith("campus.learning")
        ):
            found |= {(method, route.path) for method in route.methods or ()}
    return found


def test_every_learning_route_has_expectations(app: FastAPI) -> None:
    routes = learning_routes(app)
    assert routes, "no learning routes found"
    missing = routes - set(CASES)
    stale = set(CASES) - routes
    assert not missing, f"learning routes without a row in the matrix: {sorted(missing)}"
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


def test_every_learning_route_is_documented(app: FastAPI) -> None:
    spec = app.openapi()
    for method, path in learning_routes(app):
        operation = spec["paths"][path][method.lower()]
        assert operation.get("summary"), (method, path)
        assert operation.get("tags"), (method, path)
        statuses = set(operation["responses"])
        assert {"401", "422"} <= statuses, (method, path, statuses)


_SNAPSHOT = [
    models.Enrollment,
    models.Entitlement,
    models.LessonProgress,
    models.ModuleProgress,
    models.Activity,
    models.BulkBatch,
    models.BulkRow,
    models.RosterExport,
    OutboxMessage,
]


async def snapshot(db: Database) -> list[list[tuple[Any, ...]]]:
    async with db.read_session() as session:
        tables = []
        for model in _SNAPSHOT:
            rows = (await session.execute(sa.select(model.__table__))).all()
            tables.append(sorted((tuple(r) for r in rows), key=repr))
        return tables


async def build_world(learning: LearningFactory, client: AsyncClient, relay: Relay) -> World:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin, [ModuleSpec([video(600), text()])])
    elsewhere = await learning.course(cast.owner, cast.admin)
    other_learner = await learning.learner("Other")
    await learning.enroll(other_learner, elsewhere)
    enrollment = await learning.enroll(cast.student, course)
    ok(await learning.start(cast.student, course.lesson_id(0, 0)))
    export = ok(
        await client.post(f"{API}/courses/{course.id}/roster-exports", headers=cast.owner.headers),
        202,
    )
    grant = await learning.grant(cast.owner, course.id, cast.student)
    batch = ok(
        await client.post(
            f"{API}/admin/enrollments/bulk",
            files={
                "file": ("a.csv", f"email,course,mode\n{cast.student.email},{course.id},free\n")
            },
            headers=cast.admin.headers,
        ),
        202,
    )
    await relay.drain()
    return World(
        course=course,
        learner=cast.student,
        other_learner=other_learner,
        instructor=cast.owner,
        other_instructor=cast.other,
        admin=cast.admin,
        enrollment_id=enrollment["id"],
        export_id=export["id"],
        entitlement_id=grant["id"],
        batch_id=batch["id"],
    )


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_route_answers_each_role_as_expected(
    learning: LearningFactory,
    client: AsyncClient,
    db: Database,
    relay: Relay,
    route: tuple[str, str],
) -> None:
    method, template = route
    case = CASES[route]
    world = await build_world(learning, client, relay)
    path = template.format(**{name: make(world) for name, make in case.params.items()})
    for role in ROLES:
        caller = world.caller(role)
        headers = caller.headers if caller else {}
        before = await snapshot(db)
        if case.files:
            content = f"email,course,mode\n{world.learner.email},{world.course.id},free\n"
            response = await client.request(
                method, path, files={"file": ("m.csv", content)}, headers=headers
            )
        else:
            response = await client.request(method, path, json=case.body(world), headers=headers)
        assert response.status_code == case.expect[role], (role, response.text[:500])
        if response.status_code >= 400:
            error = response.json()
            assert error["success"] is False
            assert error["error"]["code"]
            assert await snapshot(db) == before, f"{role}: a denied call changed data"
