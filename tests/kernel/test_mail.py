"""The mail port: FileMailer (atomic .eml files), SmtpMailer against a real SMTP server, and
the ``kernel.send_email`` job (after commit only; a failing server means retry, not loss)."""

from __future__ import annotations

import email
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi import FastAPI

from campus.config import Settings
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.jobs import Relay, backoff_seconds
from campus.kernel.mail import (
    SEND_EMAIL_JOB,
    FileMailer,
    SmtpMailer,
    build_message,
    mail_outbox_dir,
    queue_email,
)
from campus.kernel.outbox import MessageStatus, OutboxMessage
from tests.kernel.conftest import AppFactory, LogCapture


class Boom(Exception):
    pass


class CollectingHandler:
    """An aiosmtpd handler that keeps every message, or refuses with a 451 while ``failing``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.failing = False
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failing:
            return "451 4.3.0 Temporary failure, try again later"
        parsed = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        with self.lock:
            self.messages.append(parsed)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[CollectingHandler, int]]:
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


def body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


# --------------------------------------------------------------------------- FileMailer


async def test_file_mailer_writes_one_complete_eml_file_atomically(tmp_path: Path) -> None:
    outbox = tmp_path / "mail-outbox"
    mailer = FileMailer(outbox)
    message = build_message(
        "Campus <no-reply@campus.local>",
        "ada@example.com",
        "Verify your email",
        "Open https://campus.example/verify#token",
        "<p>Verify</p>",
        message_id="<0193b60c-1111-7222-8333-444455556666@campus.local>",
    )
    await mailer.send(message)
    files = sorted(outbox.iterdir())
    assert [f.name for f in files if f.suffix != ".eml"] == []  # no temporary files left
    assert len(files) == 1
    assert files[0].name.endswith("-0193b60c-1111-7222-8333-444455556666.eml")
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    assert parsed["To"] == "ada@example.com"
    assert parsed["Subject"] == "Verify your email"
    assert "https://campus.example/verify#token" in body_text(parsed)


async def test_file_mailer_writes_a_retried_message_only_once(tmp_path: Path) -> None:
    mailer = FileMailer(tmp_path)
    message = build_message("a@campus.local", "b@example.com", "Hi", "x", None, "<same-id@x>")
    await mailer.send(message)
    await mailer.send(message)
    assert len(list(tmp_path.glob("*.eml"))) == 1


async def test_file_mailer_leaves_no_partial_file_when_writing_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    mailer = FileMailer(tmp_path)

    def broken_replace(*_args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("campus.kernel.mail.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        await mailer.send(build_message("a@x", "b@example.com", "S", "T", None, "<id@x>"))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- SmtpMailer


async def test_smtp_mailer_delivers_to_a_real_smtp_server(
    smtp: tuple[CollectingHandler, int], settings: Settings
) -> None:
    handler, port = smtp
    smtp_settings = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    )
    await SmtpMailer(smtp_settings).send(
        build_message("no-reply@campus.local", "ada@example.com", "Hello", "Body text", None)
    )
    assert len(handler.messages) == 1
    assert handler.envelopes == [("no-reply@campus.local", ["ada@example.com"])]
    assert handler.messages[0]["Subject"] == "Hello"


# --------------------------------------------------------------------------- the send job


async def test_queued_email_is_written_by_the_job_after_commit_and_logged_without_its_body(
    db: Database, relay: Relay, settings: Settings, logs: LogCapture
) -> None:
    async with db.session() as session:
        await queue_email(
            session, to="ada@example.com", subject="Reset", text="https://x/reset#SECRETTOKEN"
        )
        assert not mail_outbox_dir(settings).exists()  # nothing is sent before commit
    assert await relay.drain() == 1
    files = list(mail_outbox_dir(settings).glob("*.eml"))
    assert len(files) == 1
    assert "SECRETTOKEN" in files[0].read_text()
    assert "SECRETTOKEN" not in logs.text
    async with db.read_session() as session:
        row = (await session.execute(sa.select(OutboxMessage))).scalar_one()
        session.expunge(row)
    assert row.status == MessageStatus.DONE
    assert row.payload == {}  # queued mail is sensitive by default: wiped once delivered


async def test_email_queued_in_a_rolled_back_transaction_is_never_sent(
    db: Database, relay: Relay, settings: Settings
) -> None:
    async def queue_then_fail() -> None:
        async with db.session() as session:
            await queue_email(session, to="ada@example.com", subject="No", text="never")
            raise Boom

    with pytest.raises(Boom):
        await queue_then_fail()
    assert await relay.drain() == 0
    assert not mail_outbox_dir(settings).exists()


async def test_failing_smtp_server_means_retry_not_loss(
    make_app: AppFactory, smtp: tuple[CollectingHandler, int], frozen_clock: Clock
) -> None:
    handler, port = smtp
    handler.failing = True
    async with make_app(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False) as app:
        relay = _relay(app)
        async with app.state.db.session() as session:
            await queue_email(session, to="ada@example.com", subject="Welcome", text="Hi Ada")

        await relay.drain()
        async with app.state.db.read_session() as session:
            row = (await session.execute(sa.select(OutboxMessage))).scalar_one()
            session.expunge(row)
        assert row.name == SEND_EMAIL_JOB
        assert row.status == MessageStatus.PENDING
        assert row.attempts == 1
        assert "451" in (row.last_error or "")
        assert row.payload["to"] == "ada@example.com"  # kept for the retry
        assert handler.messages == []

        handler.failing = False
        frozen_clock.advance(seconds=backoff_seconds(1))
        assert await relay.drain() == 1
        assert len(handler.messages) == 1
        delivered = handler.messages[0]
        assert delivered["Message-ID"] == f"<{row.id}@campus.local>"  # stable across retries
        assert body_text(delivered).strip() == "Hi Ada"
        async with app.state.db.read_session() as session:
            status = await session.scalar(sa.select(OutboxMessage.status))
        assert status == MessageStatus.DONE
        assert await relay.drain() == 0
        assert len(handler.messages) == 1


def _relay(app: FastAPI) -> Relay:
    return Relay(
        app.state.db,
        app.state.registry,
        worker_id="mail-test",
        max_attempts=app.state.settings.outbox_max_attempts,
    )
