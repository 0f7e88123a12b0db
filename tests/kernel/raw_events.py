"""Kernel tests exercise the outbox with ad-hoc event names and payloads: this writes the same
row ``campus.kernel.events.publish`` writes, without declaring an ``Event`` class per test."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.ids import new_id
from campus.kernel.outbox import MessageKind, OutboxMessage, mark_outbox_dirty


async def publish_event(session: AsyncSession, name: str, payload: dict[str, Any]) -> uuid.UUID:
    message = OutboxMessage(id=new_id(), kind=MessageKind.EVENT, name=name, payload=payload)
    session.add(message)
    mark_outbox_dirty(session)
    return message.id
