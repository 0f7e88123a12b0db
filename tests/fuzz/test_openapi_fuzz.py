"""Every operation of ``/openapi.json``, fuzzed by Schemathesis as four callers.

For each caller (anonymous, learner, instructor, admin) the test builds one world through the
real API: a published course with a module and lessons, a question of every type, a published
quiz with a learner's attempt, an assignment and an exam with a learner's draft submission, a
published coding exercise with a learner's submission, a category, a tag, an entitlement and a
roster export. Then every operation of the document gets ``EXAMPLES`` generated requests (a
fixed seed: the same requests on every run), most of them with the path parameters naming
those real objects, the others with generated ones, and about a third of them with data the
document says is invalid. A response fails the test when it is a 5xx, when its status code is
not declared for the operation, when its body or content type does not match what the
document declares, when a declared response header is missing or malformed, or when a request
the document calls invalid is answered with a success.

The requests are sent to the harness's app on its own event loop: Hypothesis runs in a worker
thread and hands each request to the loop (the app's database engine belongs to that loop).
Operations run in a fixed order: reads, then writes, then deletes (deepest paths first), so a
deletion does not turn the rest of the run into 404s; the caller's session is renewed before
each operation (a logout does not turn it into 401s) and rate limits are reset.

Run it alone with ``python3 dev.py test tests/fuzz``; ``CAMPUS_FUZZ_EXAMPLES`` changes the
number of requests per operation and caller.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from fastapi import FastAPI
from httpx import AsyncClient
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Result
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.fixtures.assessment import AssessmentFactory
from tests.fixtures.catalog import API, CatalogFactory, ok
from tests.fixtures.coding import ADDER, CodingFactory
from tests.fixtures.identity import AppUser, IdentityFactory

#: Generated requests per operation and caller (about 1 300 per caller).
EXAMPLES = int(os.environ.get("CAMPUS_FUZZ_EXAMPLES", "8"))
ROLES = ("anonymous", "learner", "instructor", "admin")
BASE_URL = "https://testserver"

POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
NEGATIVE_CHECKS = [*POSITIVE_CHECKS, negative_data_rejection]
#: A request the document calls invalid must be refused with a 4xx: 413 (a body over the
#: platform's size limit) is a refusal too.
CONFIG = schemathesis.Config.from_dict(
    {"checks": {"negative_data_rejection": {"expected-statuses": ["4XX"]}}}
)


@dataclass
class World:
    """The objects path parameters name, and who calls."""

    caller: AppUser | None
    path: dict[str, str] = field(default_factory=dict)


async def build_world(
    role: str,
    client: AsyncClient,
    identity: IdentityFactory,
    catalog: CatalogFactory,
    assessment: AssessmentFactory,
    coding: CodingFactory,
) -> World:
    w = await assessment.world()
    course = w.course
    course_id = w.course_id
    module = course["curriculum"][0]
    lesson_id = module["lessons"][0]["id"]
    staff = w.instructor.headers

    questions = await assessment.every_type(w)
    quiz = await assessment.quiz(w, questions)
    attempt = ok(await assessment.start(w.learner, quiz["id"]), 201)
    assignment = await assessment.assignment(w)
    await assessment.assignment(w, "exams")
    submission = ok(
        await client.post(
            f"{API}/assignments/{assignment['id']}/submissions",
            json={"textAnswer": "my answer"},
            headers=w.learner.headers,
        ),
        201,
    )
    resource = ok(
        await client.post(
            f"{API}/assignments/{assignment['id']}/resources",
            files={"file": ("notes.txt", b"Read me first.\n", "text/plain")},
            headers=staff,
        ),
        201,
    )
    exercise = await coding.exercise(w)
    code_submission = ok(await coding.submit(w.learner, exercise["id"], ADDER), 201)
    category = await catalog.category(w.admin)
    tag = ok(await client.post(f"{API}/tags", json={"label": "Fuzz"}, headers=w.admin.headers), 201)
    enrollment = ok(
        await client.post(
            f"{API}/enrollments", json={"courseId": course_id}, headers=w.learner.headers
        )
    )
    entitlement = ok(
        await client.post(
            f"{API}/courses/{course_id}/entitlements",
            json={"userId": str(w.outsider.id)},
            headers=staff,
        ),
        201,
    )
    export = ok(await client.post(f"{API}/courses/{course_id}/roster-exports", headers=staff), 202)

    caller = w.by_role(role)
    path = {
        "course_id": course_id,
        "course_ref": course_id,
        "module_id": module["id"],
        "lesson_id": lesson_id,
        "version_id": course["currentVersion"]["id"],
        "language": "fr",
        "question_id": questions[0]["id"],
        "quiz_id": quiz["id"],
        "attempt_id": attempt["id"],
        "assignment_id": assignment["id"],
        "submission_id": submission["id"],
        "file_id": resource["id"],
        "exercise_id": exercise["id"],
        "category_id": category["id"],
        "category_ref": category["id"],
        "tag_id": tag["id"],
        "enrollment_id": enrollment["id"],
        "entitlement_id": entitlement["id"],
        "export_id": export["id"],
        # Admin operations on users act on the learner, never on the caller itself.
        "user_id": str(w.learner.id),
        "instructor_id": str(w.instructor.id),
        "role": "student",
    }
    if caller is not None and caller.session_id is not None:
        path["session_id"] = str(caller.session_id)
    del code_submission  # graded later: its id is the submission_id of code-submissions
    return World(caller, path)


def _order(operation: Any) -> tuple[int, int, str]:
    """Reads first, then writes, then deletes (deepest first)."""
    method = operation.method.upper()
    rank = {"GET": 0, "DELETE": 2}.get(method, 1)
    depth = -operation.path.count("/") if method == "DELETE" else 0
    return (rank, depth, f"{operation.path} {method}")


def _prepared(kwargs: dict[str, Any]) -> requests.PreparedRequest:
    """The request exactly as Schemathesis serializes it (json, form, multipart bodies)."""
    kwargs = dict(kwargs)
    kwargs.pop("cookies", None)
    return requests.Request(**kwargs).prepare()


def _is_event_stream(operation: Any) -> bool:
    """An operation whose success is an endless Server-Sent Events stream: a fuzzed request
    would wait for its end forever (its tests read it over a real socket instead)."""
    responses = operation.definition.raw.get("responses", {})
    return any(
        "text/event-stream" in (response.get("content") or {})
        for status, response in responses.items()
        if str(status).startswith("2")
    )


def _loaded(
    result: Result[APIOperation[Any, Any, Any, Any], InvalidSchema],
) -> APIOperation[Any, Any, Any, Any]:
    """An operation of the document (one Schemathesis could not load fails the test)."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


def _wire_headers(prepared: requests.PreparedRequest) -> list[tuple[bytes, bytes]]:
    """The request's headers as the bytes HTTPX would send (requests allows str or bytes
    values; HTTPX encodes text names and values as ASCII)."""
    return [
        (name.encode("ascii"), value if isinstance(value, bytes) else value.encode("ascii"))
        for name, value in prepared.headers.items()
    ]


def _content(prepared: requests.PreparedRequest) -> bytes | str | None:
    """The prepared body: Schemathesis's bodies are bytes or text, never streams."""
    body = prepared.body
    if body is None or isinstance(body, (bytes, str)):
        return body
    raise TypeError(f"a streamed request body cannot be sent: {type(body).__name__}")


def _strategy(operation: Any, path: dict[str, str], headers: dict[str, str]) -> Any:
    own = {p.name for p in operation.path_parameters}
    real = {k: v for k, v in path.items() if k in own}
    strategies = [operation.as_strategy(headers=headers, path_parameters=real or None)]
    strategies.append(
        operation.as_strategy(
            GenerationMode.NEGATIVE, headers=headers, path_parameters=real or None
        )
    )
    if own:
        strategies.append(operation.as_strategy(headers=headers))
    return st.one_of(*strategies)


def _checks(case: Any) -> list[Any]:
    """The checks of a response to ``case``: a request with data the document calls invalid
    must also be refused, unless its body is multipart (a form field the document types as a
    number and a file part holding that number are the same bytes on the wire: any value is a
    valid file, the server's content check decides)."""
    negative = case.meta is not None and case.meta.generation.mode.is_negative
    multipart = (case.media_type or "").startswith("multipart/")
    return NEGATIVE_CHECKS if negative and not multipart else POSITIVE_CHECKS


@dataclass
class Finding:
    operation: str
    message: str


def fuzz_operation(
    operation: Any,
    headers: dict[str, str],
    path: dict[str, str],
    send: Callable[[requests.PreparedRequest], Any],
) -> Finding | None:
    strategy = _strategy(operation, path, headers)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
        print_blob=False,
    )
    @hypothesis.given(case=strategy)
    def run(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url=BASE_URL, headers=headers)
        prepared = _prepared(kwargs)
        response = send(prepared)
        case.validate_response(response, checks=_checks(case), headers=headers)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # every finding is collected, the run goes on
        return Finding(f"{operation.method.upper()} {operation.path}", str(exc)[:3000])
    return None


@pytest.mark.parametrize("role", ROLES)
async def test_every_operation_answers_as_the_document_says(
    role: str,
    app: FastAPI,
    client: AsyncClient,
    identity: IdentityFactory,
    catalog: CatalogFactory,
    assessment: AssessmentFactory,
    coding: CodingFactory,
) -> None:
    world = await build_world(role, client, identity, catalog, assessment, coding)
    schema = schemathesis.openapi.from_dict(app.openapi(), config=CONFIG)
    operations = sorted(
        (
            operation
            for operation in (_loaded(result) for result in schema.get_all_operations())
            if not _is_event_stream(operation)
        ),
        key=_order,
    )
    loop = asyncio.get_running_loop()

    async def fresh_headers() -> dict[str, str]:
        await app.state.limiter.reset_all()
        if world.caller is None:
            return {}
        await identity.start_session(world.caller)
        return world.caller.headers

    async def send_async(prepared: requests.PreparedRequest) -> Any:
        return await client.request(
            prepared.method or "GET",
            prepared.url or "/",
            headers=_wire_headers(prepared),
            content=_content(prepared),
        )

    def send(prepared: requests.PreparedRequest) -> Any:
        return asyncio.run_coroutine_threadsafe(send_async(prepared), loop).result()

    findings: list[Finding] = []
    started = time.monotonic()
    for operation in operations:
        headers = await fresh_headers()
        found = await asyncio.to_thread(fuzz_operation, operation, headers, world.path, send)
        if found is not None:
            findings.append(found)
    elapsed = time.monotonic() - started
    report = "\n\n".join(f"=== {f.operation}\n{f.message}" for f in findings)
    assert not findings, (
        f"{len(findings)} of {len(operations)} operations answered against the document "
        f"as {role} ({elapsed:.0f}s):\n\n{report}"
    )
