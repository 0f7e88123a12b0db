"""Account emails delivered through a real SMTP server (aiosmtpd on a free loopback port)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from httpx import AsyncClient

from campus.config import Settings
from campus.kernel.jobs import Relay


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Collector, int]]:
    collector = Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield collector, port
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, smtp: tuple[Collector, int]) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1], "smtp_starttls": False}
    )


async def test_the_verification_email_goes_out_over_smtp_and_its_link_works(
    client: AsyncClient, relay: Relay, smtp: tuple[Collector, int]
) -> None:
    collector, _ = smtp
    response = await client.post(
        "/api/v1/auth/register",
        json={
            "firstName": "Sam",
            "lastName": "Mailer",
            "email": "sam@example.net",
            "password": "postbox-meadow-signal-3",
        },
    )
    assert response.status_code == 202
    await relay.drain()
    assert len(collector.messages) == 1
    recipients, message = collector.messages[0]
    assert recipients == ["sam@example.net"]
    assert message["Subject"] == "Verify your email address"
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    token = text.split("verify-email?token=", 1)[1].split()[0]
    verified = await client.post("/api/v1/auth/email/verify", json={"token": token})
    assert verified.status_code == 200
