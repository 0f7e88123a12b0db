"""AC-01: a route x role matrix generated from the app's route table. Every assessment route
must have an expectation (a new route without one fails), and every role is called on it:
denied roles get exactly the expected status, allowed roles get past authorization."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from httpx import AsyncClient

from tests.fixtures.assessment import API, QUESTION_BODIES, AssessmentFactory, World
from tests.fixtures.catalog import ok

ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin")
STAFF = {"instructor", "admin"}
ENROLLED = {"learner", "other_learner"}
PDF = b"%PDF-1.7\n%%EOF\n"

#: (method, path) -> (allowed roles, status for each denied authenticated role)
_staff_403 = (STAFF, 403)
_staff_404 = (STAFF, 404)
_readers = (STAFF | ENROLLED, 403)
_owner_and_staff = (STAFF | {"learner"}, 404)
_owner_only = ({"learner"}, 404)
_enrolled_only = (ENROLLED, 403)
EXPECTED: dict[tuple[str, str], tuple[set[str], int | dict[str, int]]] = {
    ("POST", "/courses/{course_id}/questions"): _staff_403,
    ("GET", "/courses/{course_id}/questions"): _staff_403,
    ("GET", "/questions/{question_id}"): _staff_404,
    ("PUT", "/questions/{question_id}"): _staff_404,
    ("DELETE", "/questions/{question_id}"): _staff_404,
    ("PUT", "/questions/{question_id}/translations/{language}"): _staff_404,
    ("POST", "/courses/{course_id}/quizzes"): _staff_403,
    ("GET", "/courses/{course_id}/quizzes"): _readers,
    ("GET", "/quizzes/{quiz_id}"): _readers,
    ("PATCH", "/quizzes/{quiz_id}"): _staff_403,
    ("PUT", "/quizzes/{quiz_id}/questions"): _staff_403,
    ("GET", "/quizzes/{quiz_id}/statistics"): _staff_403,
    ("POST", "/quizzes/{quiz_id}/attempts"): _enrolled_only,
    ("GET", "/quizzes/{quiz_id}/attempts"): _readers,
    ("GET", "/quizzes/{quiz_id}/attempts/current"): _enrolled_only,
    ("GET", "/attempts/{attempt_id}"): _owner_and_staff,
    ("PUT", "/attempts/{attempt_id}/answers/{question_id}"): _owner_only,
    ("POST", "/attempts/{attempt_id}/submit"): _owner_only,
    ("GET", "/attempts/{attempt_id}/analysis"): _owner_and_staff,
    ("GET", "/submissions/{submission_id}"): _owner_and_staff,
    ("PATCH", "/submissions/{submission_id}"): _owner_only,
    ("POST", "/submissions/{submission_id}/files"): _owner_only,
    ("POST", "/submissions/{submission_id}/submit"): _owner_only,
    ("GET", "/assessment-files/{file_id}"): _owner_and_staff,
    ("GET", "/grading/queue"): _staff_403,
    ("POST", "/submissions/{submission_id}/grade"): (
        STAFF,
        {"learner": 403, "other_learner": 404, "other_instructor": 404},
    ),
    ("POST", "/submissions/{submission_id}/revision-request"): (
        STAFF,
        {"learner": 403, "other_learner": 404, "other_instructor": 404},
    ),
    ("GET", "/submissions/{submission_id}/grade-history"): _owner_and_staff,
    ("PUT", "/submissions/{submission_id}/analysis"): (
        STAFF,
        {"learner": 403, "other_learner": 404, "other_instructor": 404},
    ),
    ("GET", "/submissions/{submission_id}/analysis"): _owner_and_staff,
    ("GET", "/courses/{course_id}/grading-settings"): _readers,
    ("PUT", "/courses/{course_id}/grading-settings"): _staff_403,
    ("GET", "/courses/{course_id}/gradebook"): _staff_403,
    ("GET", "/courses/{course_id}/gradebook/me"): _enrolled_only,
    ("GET", "/courses/{course_id}/gradebook.csv"): _staff_403,
}
for segment in ("assignments", "exams"):
    EXPECTED.update(
        {
            ("POST", f"/courses/{{course_id}}/{segment}"): _staff_403,
            ("GET", f"/courses/{{course_id}}/{segment}"): _readers,
            ("GET", f"/{segment}/{{assignment_id}}"): _readers,
            ("PATCH", f"/{segment}/{{assignment_id}}"): _staff_403,
            ("POST", f"/{segment}/{{assignment_id}}/resources"): _staff_403,
            ("POST", f"/{segment}/{{assignment_id}}/submissions"): _enrolled_only,
            ("GET", f"/{segment}/{{assignment_id}}/submissions"): _readers,
        }
    )


def assessment_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) served by an assessment endpoint (included routers are nested in
    ``app.routes``; ``iter_route_contexts`` flattens them with their full paths)."""
    found = set()
    for context in iter_route_contexts(app.routes):
        endpoint = getattr(context, "endpoint", None)
        module = getattr(endpoint, "__module__", "")
        # The graded-code routes (campus.coding) have their own matrix.
        if not module.startswith("campus.assessment"):
            continue
        path = context.path
        assert path is not None, context  # every endpoint route has one
        for method in set(context.methods or ()) - {"HEAD"}:
            found.add((method, path.removeprefix(API)))
    return sorted(found)


async def _scenario(
    assessment: AssessmentFactory, client: AsyncClient
) -> tuple[World, dict[str, Any]]:
    world = await assessment.world()
    questions = await assessment.every_type(world)
    spare = await assessment.question(world.instructor, world.course_id, QUESTION_BODIES[2])
    quiz = await assessment.quiz(world, questions)
    attempt = ok(await assessment.start(world.learner, quiz["id"]), 201)
    ok(await assessment.start(world.other_learner, quiz["id"]), 201)
    work = await assessment.assignment(world)
    exam = await assessment.assignment(world, "exams")
    draft = ok(
        await client.post(
            f"{API}/assignments/{work['id']}/submissions",
            json={"textAnswer": "mine"},
            headers=world.learner.headers,
        ),
        201,
    )
    with_file = ok(await assessment.upload(world.learner, draft["id"], "a.pdf", PDF), 201)
    ok(await client.post(f"{API}/submissions/{draft['id']}/submit", headers=world.learner.headers))
    ok(
        await client.post(
            f"{API}/submissions/{draft['id']}/grade",
            json={"marks": 60},
            headers=world.instructor.headers,
        )
    )
    ok(
        await client.put(
            f"{API}/submissions/{draft['id']}/analysis",
            json={"strengths": ["x"]},
            headers=world.instructor.headers,
        )
    )
    ids = {
        "course_id": world.course_id,
        "question_id": spare["id"],
        "quiz_id": quiz["id"],
        "attempt_id": attempt["id"],
        "submission_id": draft["id"],
        "file_id": with_file["files"][0]["id"],
        "language": "fr",
        "assignments": work["id"],
        "exams": exam["id"],
        "tf_id": questions[2]["id"],
        "pool": [q["id"] for q in questions],
    }
    return world, ids


async def _spare_question(assessment: AssessmentFactory, world: World) -> str:
    return str(
        (await assessment.question(world.instructor, world.course_id, QUESTION_BODIES[2]))["id"]
    )


def _request(method: str, path: str, ids: dict[str, Any]) -> dict[str, Any]:
    url = path
    for key in ("course_id", "quiz_id", "attempt_id", "submission_id", "file_id", "language"):
        url = url.replace("{" + key + "}", str(ids[key]))
    if "{assignment_id}" in url:
        url = url.replace("{assignment_id}", ids[url.split("/")[1]])
    if url.startswith("/attempts/") and "{question_id}" in url:
        url = url.replace("{question_id}", ids["tf_id"])
    url = url.replace("{question_id}", ids["deleted_id" if method == "DELETE" else "question_id"])
    kwargs: dict[str, Any] = {}
    if url.endswith("/resources") or url.endswith("/files"):
        kwargs["files"] = {"file": ("a.pdf", PDF, "application/pdf")}
    elif method in ("POST", "PUT", "PATCH"):
        kwargs["json"] = _body(method, path, ids)
    return {"method": method, "url": API + url, **kwargs}


def _body(method: str, path: str, ids: dict[str, Any]) -> dict[str, Any] | None:
    if (path.endswith("/questions") and method == "POST") or path == "/questions/{question_id}":
        return QUESTION_BODIES[2]
    if path.endswith("/translations/{language}"):
        return {"text": "Les listes..."}
    if path == "/courses/{course_id}/quizzes":
        return {"title": "Another quiz"}
    if path == "/quizzes/{quiz_id}":
        return {"title": "Renamed"}
    if path == "/quizzes/{quiz_id}/questions":
        return {"questionIds": ids["pool"]}
    if path.endswith("/answers/{question_id}"):
        return {"value": True}
    if path.startswith("/courses/{course_id}/") and path.endswith(("assignments", "exams")):
        return {"title": "New", "durationMinutes": 30}
    if path.startswith(("/assignments/", "/exams/")) and method == "PATCH":
        return {"title": "Renamed"}
    if path.endswith("/submissions") or path == "/submissions/{submission_id}":
        return {"textAnswer": "text"}
    if path.endswith("/grade"):
        return {"marks": 70}
    if path.endswith("/revision-request"):
        return {"feedback": "Again"}
    if path.endswith("/analysis"):
        return {"strengths": ["y"]}
    if path.endswith("/grading-settings"):
        return {
            "bands": [{"letter": "A", "minPercent": 50}, {"letter": "F", "minPercent": 0}],
            "passPercent": 50,
        }
    return None


def test_every_assessment_route_has_an_expectation(app: FastAPI) -> None:
    routes = set(assessment_routes(app))
    assert routes, "no assessment routes found"
    missing = routes - set(EXPECTED)
    stale = set(EXPECTED) - routes
    assert not missing, f"routes without an access expectation: {sorted(missing)}"
    assert not stale, f"expectations for routes that do not exist: {sorted(stale)}"


async def test_route_role_matrix(
    app: FastAPI, assessment: AssessmentFactory, client: AsyncClient
) -> None:
    world, ids = await _scenario(assessment, client)
    failures: list[str] = []
    for method, path in assessment_routes(app):
        allowed, denied = EXPECTED[(method, path)]
        order = [r for r in ROLES if r not in allowed] + [r for r in ROLES if r in allowed]
        for role in order:
            if method == "DELETE":  # each allowed caller archives a question of its own
                ids["deleted_id"] = await _spare_question(assessment, world)
            user = world.by_role(role)
            headers = user.headers if user else {}
            response = await client.request(headers=headers, **_request(method, path, ids))
            status = response.status_code
            if role == "anonymous":
                ok_ = status == 401
                want = "401"
            elif role in allowed:
                ok_ = status < 500 and status not in (401, 403, 404)
                want = "allowed"
            else:
                expected = denied if isinstance(denied, int) else denied[role]
                ok_ = status == expected
                want = str(expected)
            if not ok_:
                failures.append(
                    f"{method} {path} as {role}: {status} (want {want}) {response.text[:160]}"
                )
    assert not failures, "\n".join(failures)
