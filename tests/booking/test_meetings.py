"""The meeting port: Jitsi rooms by default, and the Zoom adapter against a local HTTP double
speaking Zoom's Server-to-Server OAuth and meetings API."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from campus.booking.meetings.jitsi import JitsiProvider
from campus.booking.meetings.port import MeetingError
from campus.booking.meetings.zoom import ZoomProvider
from tests.commerce.doubles.server import serve

CLIENT_ID, CLIENT_SECRET, ACCOUNT = "zoom-client", "zoom-secret", "acct-1"


class ZoomDouble:
    """``POST /oauth/token`` (Basic client credentials, grant_type=account_credentials) and
    ``POST /v2/users/me/meetings`` with the bearer token it issued."""

    def __init__(self) -> None:
        self.tokens: set[str] = set()
        self.meetings: list[dict[str, Any]] = []
        self.fail_meetings = False
        self.app = Starlette(
            routes=[
                Route("/oauth/token", self.token, methods=["POST"]),
                Route("/v2/users/me/meetings", self.create, methods=["POST"]),
            ]
        )

    async def token(self, request: Request) -> JSONResponse:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return JSONResponse({"reason": "Invalid client_id or client_secret"}, 401)
        if (request.query_params.get("grant_type"), request.query_params.get("account_id")) != (
            "account_credentials",
            ACCOUNT,
        ):
            return JSONResponse({"reason": "unsupported grant type"}, 400)
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return JSONResponse({"access_token": token, "token_type": "bearer", "expires_in": 3600})

    async def create(self, request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.tokens:
            return JSONResponse({"code": 124, "message": "Invalid access token."}, 401)
        if self.fail_meetings:
            return JSONResponse({"code": 300, "message": "Unavailable"}, 500)
        body = await request.json()
        if body.get("type") != 2 or not body.get("start_time", "").endswith("Z"):
            return JSONResponse({"code": 300, "message": "Invalid start_time"}, 400)
        meeting = {
            "id": 85746065432 + len(self.meetings),
            "join_url": f"https://zoom.us/j/{85746065432 + len(self.meetings)}",
            **body,
        }
        self.meetings.append(meeting)
        return JSONResponse(meeting, 201)


def provider(base: str, secret: str = CLIENT_SECRET) -> ZoomProvider:
    return ZoomProvider(
        api_url=f"{base}/v2",
        oauth_url=f"{base}/oauth/token",
        account_id=ACCOUNT,
        client_id=CLIENT_ID,
        client_secret=secret,
    )


async def test_the_zoom_adapter_creates_a_scheduled_meeting_with_an_account_token() -> None:
    double = ZoomDouble()
    async with serve(double.app) as base:
        meeting = await provider(base).create(
            uuid.uuid4(), "Career talk", datetime(2027, 3, 2, 10, tzinfo=UTC), 60
        )
        assert meeting.provider == "zoom"
        assert meeting.join_url == f"https://zoom.us/j/{meeting.meeting_id}"
        assert double.meetings[0]["start_time"] == "2027-03-02T10:00:00Z"
        assert double.meetings[0]["duration"] == 60
        with pytest.raises(MeetingError):
            await provider(base, secret="wrong").create(
                uuid.uuid4(), "x", datetime(2027, 3, 2, 10, tzinfo=UTC), 30
            )
        double.fail_meetings = True
        with pytest.raises(MeetingError):
            await provider(base).create(uuid.uuid4(), "x", datetime(2027, 3, 2, tzinfo=UTC), 30)


async def test_jitsi_rooms_are_unguessable_and_distinct() -> None:
    jitsi = JitsiProvider("https://meet.example/")
    session_id = uuid.uuid4()
    first = await jitsi.create(session_id, "x", datetime(2027, 3, 2, tzinfo=UTC), 30)
    second = await jitsi.create(session_id, "x", datetime(2027, 3, 2, tzinfo=UTC), 30)
    assert first.join_url.startswith(f"https://meet.example/Campus-{session_id.hex[:8]}-")
    assert first.join_url != second.join_url
    assert len(first.meeting_id) > 30
