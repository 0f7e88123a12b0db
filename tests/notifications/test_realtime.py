"""Real time: an open Server-Sent Events stream receives a new notification of its own user,
and only those. With ``CAMPUS_REDIS_URL`` (the PostgreSQL + Redis run) the notification is
published through Redis by the job and reaches the stream through the app's subscriber, as it
would from a worker process; without it, through the in-process hub."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from campus.community.events import ReviewApproved
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.notifications.service import realtime
from tests.fixtures.identity import AppUser, IdentityFactory
from tests.notifications.helpers import emit

#: Upper bound for a message to arrive (the expectation is well under a second).
WITHIN = 5.0


class Stream:
    def __init__(self) -> None:
        self.chunks: asyncio.Queue[bytes] = asyncio.Queue()
        self.status: int | None = None
        self.headers: dict[bytes, bytes] = {}

    async def next_event(self) -> dict[str, Any]:
        buffer = b""
        while True:
            buffer += await asyncio.wait_for(self.chunks.get(), timeout=WITHIN)
            for block in buffer.split(b"\n\n"):
                if block.startswith(b"id: ") and b"event: notification" in block:
                    data = block.split(b"data: ", 1)[1]
                    parsed: dict[str, Any] = json.loads(data)
                    return parsed


@asynccontextmanager
async def open_stream(app: FastAPI, user: AppUser) -> AsyncIterator[Stream]:
    """A raw ASGI request, so the streamed body is read as it comes (an HTTP client over
    ASGITransport would wait for the end of the response)."""
    stream = Stream()
    gone = asyncio.Event()
    sent_request = False

    async def receive() -> dict[str, Any]:
        nonlocal sent_request
        if not sent_request:
            sent_request = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            stream.status = message["status"]
            stream.headers = dict(message["headers"])
        elif message["type"] == "http.response.body" and message.get("body"):
            stream.chunks.put_nowait(message["body"])

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "https",
        "path": "/api/v1/notifications/stream",
        "raw_path": b"/api/v1/notifications/stream",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {user.access_token}".encode()),
            (b"accept", b"text/event-stream"),
        ],
        "client": ("203.0.113.10", 50000),
        "server": ("testserver", 443),
    }
    task = asyncio.create_task(app(scope, receive, send))
    try:
        # The first request of a fresh app warms its routers: give it time.
        first = await asyncio.wait_for(stream.chunks.get(), timeout=30)
        assert first == b": connected\n\n"
        yield stream
    finally:
        gone.set()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def approved(user_id: uuid.UUID, rating: int) -> ReviewApproved:
    return ReviewApproved(
        review_id=uuid.uuid4(),
        course_id=uuid.uuid4(),
        user_id=user_id,
        rating=rating,
        approved_at=utcnow(),
    )


async def test_an_open_stream_receives_its_users_new_notification_and_no_one_elses(
    app: FastAPI, identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    settings = app.state.settings
    broker = realtime.broker_for(settings.redis_url, settings.redis_namespace)
    watcher = await identity.signed_in()
    other = await identity.signed_in()
    await relay.drain()  # their welcome notifications, before anyone listens
    async with open_stream(app, watcher) as stream:
        assert stream.status == 200
        assert stream.headers[b"content-type"].startswith(b"text/event-stream")
        assert broker.scaled_out == bool(settings.redis_url)
        await emit(db, approved(other.id, 3), approved(watcher.id, 5))
        started = asyncio.get_running_loop().time()
        await relay.drain()
        event = await stream.next_event()
        assert asyncio.get_running_loop().time() - started < 1.0
        assert event["typeCode"] == "community.review_approved"
        assert event["title"] == "Your review is published"
        assert event["body"] == "Your 5-star review is now published."
        assert stream.chunks.empty()  # the other user's notification did not come here
