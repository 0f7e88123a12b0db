"""Every error is the one envelope (ARCHITECTURE.md §5): status, stable code, details, traceId."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response
from starlette.types import Receive, Scope, Send

from campus.kernel.db import Database
from campus.kernel.http import CampusMiddleware
from campus.kernel.outbox import OutboxMessage
from tests.kernel.conftest import KERNEL_MAX_BODY, LogCapture
from tests.kernel.routes import PREFIX


def assert_envelope(response: Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"success", "error"}
    assert body["success"] is False
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message", "details", "traceId"}
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], dict)
    assert error["traceId"] == response.headers["x-request-id"]
    return error


def field_names(error: dict[str, Any]) -> set[str]:
    return {field["field"] for field in error["details"]["fields"]}


async def test_unknown_route_is_a_404_envelope_with_the_request_id_as_trace_id(
    client: AsyncClient,
) -> None:
    response = await client.get("/api/v1/no-such-thing", headers={"X-Request-ID": "req-404"})
    error = assert_envelope(response, 404, "not_found")
    assert error["traceId"] == "req-404"


async def test_wrong_method_is_a_405_envelope_whose_allow_header_lists_every_method(
    client: AsyncClient,
) -> None:
    response = await client.delete(f"{PREFIX}/items")
    error = assert_envelope(response, 405, "method_not_allowed")
    allowed = {m.strip() for m in response.headers["allow"].split(",")}
    assert {"GET", "POST"} <= allowed
    assert "DELETE" not in allowed
    assert set(error["details"]["allowed"]) == allowed


async def test_declared_content_length_over_the_limit_is_a_413_before_the_body_is_read(
    client: AsyncClient,
) -> None:
    body = b'{"name": "' + b"x" * KERNEL_MAX_BODY + b'", "count": 1}'
    response = await client.post(
        f"{PREFIX}/echo", content=body, headers={"Content-Type": "application/json"}
    )
    error = assert_envelope(response, 413, "payload_too_large")
    assert error["details"] == {"maxBytes": KERNEL_MAX_BODY}


async def test_streamed_body_without_content_length_is_cut_off_at_the_limit_not_buffered(
    client: AsyncClient,
) -> None:
    chunk = b"x" * 4096
    total_chunks = 10_000  # 40 MB if it were all read
    sent = 0

    async def body() -> AsyncIterator[bytes]:
        nonlocal sent
        yield b'{"name": "'
        for _ in range(total_chunks):
            sent += len(chunk)
            yield chunk

    response = await client.post(
        f"{PREFIX}/echo", content=body(), headers={"Content-Type": "application/json"}
    )
    error = assert_envelope(response, 413, "payload_too_large")
    assert error["details"] == {"maxBytes": KERNEL_MAX_BODY}
    # Reading stopped one chunk past the limit: the server never held the whole body.
    assert sent <= KERNEL_MAX_BODY + 2 * len(chunk)


async def test_body_within_the_limit_passes(client: AsyncClient) -> None:
    response = await client.post(f"{PREFIX}/echo", json={"name": "ok", "count": 2})
    assert response.status_code == 200, response.text
    assert response.json() == {"name": "ok", "count": 2}


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"name": "a", "count": 1}', "text/plain"),
        (b"name=a&count=1", "application/x-www-form-urlencoded"),
        (b'{"name": "a", "count": 1}', None),
    ],
    ids=["text-plain", "form", "no-content-type"],
)
async def test_json_route_refuses_other_content_types_with_415(
    client: AsyncClient, content: bytes, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    response = await client.post(f"{PREFIX}/echo", content=content, headers=headers)
    error = assert_envelope(response, 415, "unsupported_media_type")
    assert error["details"]["accepted"] == ["application/json"]


async def test_form_route_refuses_json_with_415_and_accepts_a_form(client: AsyncClient) -> None:
    refused = await client.post(f"{PREFIX}/form", json={"name": "a", "count": 1})
    assert_envelope(refused, 415, "unsupported_media_type")
    accepted = await client.post(f"{PREFIX}/form", data={"name": "a", "count": "1"})
    assert accepted.status_code == 200, accepted.text


async def test_missing_field_is_a_422_naming_the_field(client: AsyncClient) -> None:
    response = await client.post(f"{PREFIX}/echo", json={"name": "a"})
    error = assert_envelope(response, 422, "validation_error")
    assert field_names(error) == {"body.count"}
    assert error["details"]["fields"][0]["code"] == "missing"


async def test_extra_field_is_a_422_not_silently_ignored(client: AsyncClient) -> None:
    response = await client.post(f"{PREFIX}/echo", json={"name": "a", "count": 1, "role": "admin"})
    error = assert_envelope(response, 422, "validation_error")
    assert field_names(error) == {"body.role"}
    assert error["details"]["fields"][0]["code"] == "extra_forbidden"


async def test_wrong_type_is_a_422_naming_the_field(client: AsyncClient) -> None:
    response = await client.post(f"{PREFIX}/echo", json={"name": "a", "count": "many"})
    error = assert_envelope(response, 422, "validation_error")
    assert field_names(error) == {"body.count"}


async def test_unknown_query_parameter_is_a_422(client: AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/items", params={"page": 1, "isAdmin": "true"})
    error = assert_envelope(response, 422, "validation_error")
    assert field_names(error) == {"query.isAdmin"}
    assert error["details"]["fields"][0]["code"] == "unknown_parameter"
    assert {"page", "limit", "sort"} <= set(error["details"]["allowed"])


async def test_a_scalar_query_parameter_given_twice_is_a_422_and_a_list_one_is_not(
    client: AsyncClient,
) -> None:
    twice = await client.get(f"{PREFIX}/items?limit=5&limit=500&page=1")
    error = assert_envelope(twice, 422, "validation_error")
    assert field_names(error) == {"query.limit"}
    assert error["details"]["fields"][0]["code"] == "repeated_parameter"
    listed = await client.get(f"{PREFIX}/names?name=item-001&name=item-002")
    assert listed.status_code == 200
    assert listed.json() == {"names": ["item-001", "item-002"]}


async def test_an_empty_sort_is_a_422_not_the_default_order(client: AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/items", params={"sort": ""})
    error = assert_envelope(response, 422, "validation_error")
    assert error["details"]["fields"][0]["code"] == "unknown_sort_field"


async def test_unknown_sort_field_is_a_422(client: AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/items", params={"sort": "-passwordHash"})
    error = assert_envelope(response, 422, "validation_error")
    assert error["details"]["fields"][0]["code"] == "unknown_sort_field"


async def test_malformed_json_is_a_400(client: AsyncClient) -> None:
    response = await client.post(
        f"{PREFIX}/echo", content=b'{"name": "a", ', headers={"Content-Type": "application/json"}
    )
    assert_envelope(response, 400, "malformed_json")


async def test_rate_limited_is_a_429_with_retry_after(client: AsyncClient) -> None:
    response = await client.get(f"{PREFIX}/too-many")
    error = assert_envelope(response, 429, "rate_limited")
    assert response.headers["retry-after"] == "30"
    assert error["details"] == {"retryAfter": 30}


async def test_unhandled_exception_is_a_500_with_only_a_trace_id_and_the_log_has_the_traceback(
    client: AsyncClient, logs: LogCapture
) -> None:
    response = await client.get(f"{PREFIX}/boom", headers={"X-Request-ID": "trace-500"})
    error = assert_envelope(response, 500, "internal_error")
    assert error["traceId"] == "trace-500"
    assert error["details"] == {}
    text = response.text
    for leak in ("Traceback", "RuntimeError", "secret internal detail", "/srv/", ".py", "line 42"):
        assert leak not in text
    # The server log has the traceback, under the same request id.
    records = logs.records()
    failures = [r for r in records if r.get("event") == "unhandled_error"]
    assert len(failures) == 1
    assert failures[0]["request_id"] == "trace-500"
    assert "Traceback" in failures[0]["exception"]
    assert "secret internal detail" in failures[0]["exception"]
    access = [r for r in records if r.get("event") == "request"]
    assert access[-1]["status"] == 500
    assert access[-1]["request_id"] == "trace-500"


async def test_request_unit_of_work_is_committed_when_the_handler_returns(
    client: AsyncClient, db: Database
) -> None:
    response = await client.post(f"{PREFIX}/write")
    assert response.status_code == 200, response.text
    message_id = response.json()["messageId"]
    async with db.read_session() as session:
        names = (await session.execute(sa.select(OutboxMessage.id))).scalars().all()
    assert [str(n) for n in names] == [message_id]


async def test_request_that_fails_after_writing_commits_nothing(
    client: AsyncClient, db: Database
) -> None:
    response = await client.post(f"{PREFIX}/write", params={"fail": "true"})
    assert_envelope(response, 409, "conflict")
    async with db.read_session() as session:
        count = await session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))
    assert count == 0


async def test_openapi_lists_the_kernel_routes_and_renders(
    app: FastAPI, client: AsyncClient
) -> None:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    spec = json.loads(response.text)
    assert f"{PREFIX}/items/{{item_id}}" in spec["paths"]


async def test_query_parameter_models_and_router_level_dependencies_are_whitelisted(
    client: AsyncClient,
) -> None:
    ok = await client.get(
        "/api/v1/kernel-included/users/7", params={"status": "active", "q": "x", "tenant": "t1"}
    )
    assert ok.status_code == 200, ok.text
    assert ok.json() == {"userId": 7, "status": "active", "q": "x"}
    refused = await client.get("/api/v1/kernel-included/users/7", params={"role": "admin"})
    error = assert_envelope(refused, 422, "validation_error")
    assert field_names(error) == {"query.role"}
    assert {"status", "q", "tenant"} <= set(error["details"]["allowed"])


def test_upload_paths_get_their_own_body_limit_for_post_and_put_only() -> None:
    async def inner(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    middleware = CampusMiddleware(
        inner,
        max_body_bytes=1024,
        upload_max_bytes=4096,
        upload_paths=re.compile(r"^/api/v1/uploads/"),
    )
    assert middleware.body_limit({"method": "POST", "path": "/api/v1/uploads/x"}) == 4096
    assert middleware.body_limit({"method": "PUT", "path": "/api/v1/uploads/x"}) == 4096
    assert middleware.body_limit({"method": "PATCH", "path": "/api/v1/uploads/x"}) == 1024
    assert middleware.body_limit({"method": "POST", "path": "/api/v1/other"}) == 1024
    plain = CampusMiddleware(inner, max_body_bytes=1024)
    assert plain.body_limit({"method": "POST", "path": "/api/v1/uploads/x"}) == 1024
