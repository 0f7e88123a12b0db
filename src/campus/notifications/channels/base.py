"""The channel port: what a channel receives and what it answers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One rendered delivery, ready for a channel."""

    delivery_id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID
    type_code: str
    category: str
    mandatory: bool
    address: str | None
    language: str
    subject: str
    text: str
    html: str | None = None
    url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SendResult:
    """``ok``: handed over; ``gone``: the address no longer exists (do not retry);
    ``failed``: a failure (retried with backoff up to the attempts limit)."""

    status: Literal["ok", "gone", "failed"]
    provider_message_id: str | None = None
    detail: str | None = None
    #: Targets the provider said no longer exist (push endpoints), to forget.
    stale: tuple[str, ...] = ()


class ChannelSender(Protocol):
    async def send(self, message: OutgoingMessage) -> SendResult: ...
