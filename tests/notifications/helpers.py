"""Helpers of the notifications tests: publish an event, read a user's inbox and deliveries,
a real SMTP server (aiosmtpd) that can be made to refuse mail."""

from __future__ import annotations

import socket
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from campus.kernel.db import Database
from campus.kernel.events import Event, publish
from campus.notifications.models import Notification, NotificationDelivery


async def emit(db: Database, *events: Event) -> None:
    async with db.session() as session:
        for event in events:
            await publish(session, event)


async def notifications_of(db: Database, user_id: uuid.UUID) -> list[Notification]:
    async with db.read_session() as session:
        rows = await session.execute(
            sa.select(Notification).where(Notification.user_id == user_id).order_by(Notification.id)
        )
        found = list(rows.scalars())
        session.expunge_all()  # detached snapshots: the read session's rollback expires nothing
        return found


async def deliveries_of(
    db: Database, user_id: uuid.UUID, channel: str | None = None
) -> list[NotificationDelivery]:
    async with db.read_session() as session:
        query = sa.select(NotificationDelivery).where(NotificationDelivery.user_id == user_id)
        if channel is not None:
            query = query.where(NotificationDelivery.channel == channel)
        rows = await session.execute(query.order_by(NotificationDelivery.id))
        found = list(rows.scalars())
        session.expunge_all()
        return found


class Collector:
    """An SMTP server's message store; ``refuse`` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse:
            return "451 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_smtp() -> tuple[Collector, Controller, int]:
    collector = Collector()
    port = free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    return collector, controller, port


def text_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def html_of(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("html",))
    assert body is not None
    return str(body.get_content())
