"""X-Request-ID in and out and on every log line; JSON logs; LOG-01 (no secrets), LOG-03
(no forged lines). LOG-04 is ``test_errors.test_unhandled_exception_is_a_500_...``."""

from __future__ import annotations

import json
import re

import pytest
import structlog
from fastapi import FastAPI
from httpx import AsyncClient
from starlette.types import Message

from campus.kernel.logging import REDACTED, redact_secrets
from tests.kernel.conftest import LogCapture
from tests.kernel.routes import PREFIX

GENERATED_ID = re.compile(r"[0-9a-f]{32}")
# A JWT-looking bearer token and a password: neither may appear in any log line.
JWT = (
    "eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9"
    ".eyJzdWIiOiIwMTkzYjYwYy1mZmZmIiwiZXhwIjoxOTAwMDAwMDAwfQ"
    ".c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
)
PASSWORD = "Correct-Horse-Battery-9271"


async def test_valid_request_id_is_echoed(client: AsyncClient) -> None:
    response = await client.get("/healthz", headers={"X-Request-ID": "client-abc.123:xyz"})
    assert response.headers["x-request-id"] == "client-abc.123:xyz"


async def test_request_id_is_generated_when_absent(client: AsyncClient) -> None:
    first = await client.get("/healthz")
    second = await client.get("/healthz")
    assert GENERATED_ID.fullmatch(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.mark.parametrize(
    "bad_id",
    ["has space", "x" * 129, "semi;colon", "<script>", "ünïcode", ""],
    ids=["space", "oversized", "semicolon", "markup", "non-ascii", "empty"],
)
async def test_invalid_request_id_is_replaced(client: AsyncClient, bad_id: str) -> None:
    response = await client.get("/healthz", headers=[(b"X-Request-ID", bad_id.encode("utf-8"))])
    assert GENERATED_ID.fullmatch(response.headers["x-request-id"])


@pytest.mark.parametrize("bad_id", [b"abc\n", b"abc\r\nX-Evil: 1", b"abc\ndef"])
async def test_request_id_with_a_newline_is_replaced(app: FastAPI, bad_id: bytes) -> None:
    # Sent at the ASGI level: HTTP clients refuse to put a newline in a header.
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/healthz",
        "raw_path": b"/healthz",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"x-request-id", bad_id)],
        "client": ("203.0.113.10", 50000),
        "server": ("testserver", 443),
    }
    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 200
    echoed = dict(start["headers"])[b"x-request-id"].decode()
    assert GENERATED_ID.fullmatch(echoed)


async def test_every_log_line_of_a_request_is_json_and_carries_its_request_id(
    client: AsyncClient, logs: LogCapture
) -> None:
    response = await client.get(f"{PREFIX}/log", headers={"X-Request-ID": "req-logs-1"})
    assert response.status_code == 200
    records = [r for r in logs.records() if r.get("logger") != "httpx"]
    events = {r["event"] for r in records}
    assert {"structlog_line", "stdlib line from logging", "request"} <= events
    for record in records:
        assert record["request_id"] == "req-logs-1", record
        assert {"level", "timestamp", "logger"} <= set(record)
    access = next(r for r in records if r["event"] == "request")
    assert access["route"] == f"{PREFIX}/log"
    assert access["status"] == 200


async def test_request_id_does_not_leak_into_log_lines_after_the_request(
    client: AsyncClient, logs: LogCapture
) -> None:
    await client.get("/healthz", headers={"X-Request-ID": "req-done"})
    structlog.get_logger("campus.kernel_test").info("after_request")
    after = next(r for r in logs.records() if r["event"] == "after_request")
    assert "request_id" not in after


async def test_log01_tokens_passwords_and_authorization_headers_never_reach_the_logs(
    client: AsyncClient, logs: LogCapture
) -> None:
    response = await client.post(
        f"{PREFIX}/login",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers={"Authorization": f"Bearer {JWT}", "Cookie": f"refresh_token={PASSWORD}x"},
    )
    assert response.status_code == 200
    records = logs.records()
    assert any(r["event"] == "login_attempt" for r in records)
    assert JWT not in logs.text
    for part in JWT.split("."):
        assert part not in logs.text
    assert PASSWORD not in logs.text
    assert REDACTED in logs.text


async def test_log03_a_newline_in_a_logged_value_cannot_forge_a_log_line(
    client: AsyncClient, logs: LogCapture
) -> None:
    forged = 'Ada\n{"event": "admin_login", "level": "critical", "request_id": "forged"}\r\nX'
    response = await client.post(
        f"{PREFIX}/greet", json={"name": forged}, headers={"X-Request-ID": "req-inject"}
    )
    assert response.status_code == 200
    records = logs.records()  # every physical line parses as one JSON object
    assert not any(r.get("event") == "admin_login" for r in records)
    assert not any(r.get("request_id") == "forged" for r in records)
    greetings = [r for r in records if r.get("request_id") == "req-inject"]
    # structlog line, stdlib line, access line: exactly three lines for this request.
    assert len([r for r in greetings if r["logger"] != "httpx"]) == 3
    assert next(r for r in greetings if r["event"] == "greeting")["name"] == forged.strip()


async def test_logs_go_to_stderr_as_json(
    client: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    await client.get("/healthz", headers={"X-Request-ID": "req-stderr"})
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]
    assert any(r.get("request_id") == "req-stderr" and r["event"] == "request" for r in parsed)


def test_redact_secrets_drops_secret_keys_and_scrubs_tokens_in_text() -> None:
    event = {
        "event": f"login with Authorization: Bearer {JWT}",
        "password": PASSWORD,
        "new_password": PASSWORD,
        "refresh_token": "opaque-refresh-value",
        "headers": {"authorization": f"Bearer {JWT}", "cookie": "sid=abc", "accept": "x"},
        "body": {"email": "ada@example.com", "password": PASSWORD, "nested": [{"api_key": "k"}]},
        "url": "postgresql://campus:db-secret-pw@db.internal:5432/campus",
        "query": f"next=/home&token={PASSWORD}&page=2",
        "message": f"raw {JWT} here",
        "email": "ada@example.com",
        "request_id": "keep-me",
    }
    out = redact_secrets(None, "info", dict(event))
    text = json.dumps(out)
    for secret in (JWT, PASSWORD, "opaque-refresh-value", "sid=abc", "db-secret-pw"):
        assert secret not in text
    assert out["password"] == REDACTED
    assert out["headers"]["authorization"] == REDACTED
    assert out["headers"]["accept"] == "x"
    assert out["body"]["email"] == "ada@example.com"
    assert out["body"]["nested"][0]["api_key"] == REDACTED
    assert out["url"] == "postgresql://campus:[redacted]@db.internal:5432/campus"
    assert out["query"] == "next=/home&token=[redacted]&page=2"
    assert out["email"] == "ada@example.com"
    assert out["request_id"] == "keep-me"
