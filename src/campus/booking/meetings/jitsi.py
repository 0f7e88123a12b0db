"""Jitsi Meet: a room is a URL; an unguessable name is the whole meeting."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime

from campus.booking.meetings.port import Meeting


class JitsiProvider:
    name = "jitsi"

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    async def create(
        self, session_id: uuid.UUID, topic: str, starts_at: datetime, duration_minutes: int
    ) -> Meeting:
        room = f"Campus-{session_id.hex[:8]}-{secrets.token_urlsafe(18)}"
        return Meeting(self.name, room, f"{self.base_url}/{room}")
