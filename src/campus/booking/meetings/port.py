"""The meeting provider port."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Meeting:
    provider: str
    meeting_id: str
    join_url: str


class MeetingError(Exception):
    """The provider refused or could not be reached (the job retries)."""


class MeetingProvider(Protocol):
    name: str

    async def create(
        self, session_id: uuid.UUID, topic: str, starts_at: datetime, duration_minutes: int
    ) -> Meeting: ...
