"""Zoom over its REST API with a Server-to-Server OAuth app: an account-credentials token
(``POST /oauth/token?grant_type=account_credentials&account_id=...`` with HTTP Basic client
credentials), then ``POST /users/me/meetings`` for a scheduled meeting (type 2)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import httpx

from campus.booking.meetings.port import Meeting, MeetingError


class ZoomProvider:
    name = "zoom"

    def __init__(
        self,
        *,
        api_url: str,
        oauth_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.oauth_url = oauth_url
        self.account_id = account_id
        self.client_id = client_id
        self.client_secret = client_secret
        self.transport = transport

    async def create(
        self, session_id: uuid.UUID, topic: str, starts_at: datetime, duration_minutes: int
    ) -> Meeting:
        async with httpx.AsyncClient(timeout=10.0, transport=self.transport) as http:
            try:
                token = await http.post(
                    self.oauth_url,
                    params={"grant_type": "account_credentials", "account_id": self.account_id},
                    auth=(self.client_id, self.client_secret),
                )
                if token.status_code != 200:
                    raise MeetingError(f"zoom token: HTTP {token.status_code}")
                access = str(token.json()["access_token"])
                created = await http.post(
                    f"{self.api_url}/users/me/meetings",
                    headers={"Authorization": f"Bearer {access}"},
                    json={
                        "topic": topic[:200],
                        "type": 2,
                        "start_time": starts_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "duration": duration_minutes,
                        "timezone": "UTC",
                        "settings": {"join_before_host": False, "waiting_room": True},
                    },
                )
            except (httpx.HTTPError, KeyError, ValueError) as exc:
                raise MeetingError(f"zoom: {exc}") from exc
        if created.status_code != 201:
            raise MeetingError(f"zoom meeting: HTTP {created.status_code}")
        body = created.json()
        return Meeting(self.name, str(body["id"]), str(body["join_url"]))
