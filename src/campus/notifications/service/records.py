"""Domain records the services return."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class InboxItem:
    id: uuid.UUID
    type_code: str
    category: str
    title: str
    body: str
    url: str | None
    read_at: datetime | None
    archived_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID
    type_code: str
    channel: str
    status: str
    address: str | None
    language: str | None
    template_version: int | None
    attempts: int
    send_at: datetime
    sent_at: datetime | None
    provider_message_id: str | None
    provider_response: str | None
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, row: Any) -> DeliveryRecord:
        return cls(
            row.id,
            row.notification_id,
            row.user_id,
            row.type_code,
            row.channel,
            row.status,
            row.address,
            row.language,
            row.template_version,
            row.attempts,
            row.send_at,
            row.sent_at,
            row.provider_message_id,
            row.provider_response,
            row.last_error,
            row.created_at,
        )
