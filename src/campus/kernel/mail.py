"""Outgoing email port. Embedded default: each message becomes an ``.eml`` file in
``<data dir>/mail-outbox`` and a log line (without the body, which may hold secrets).
With ``CAMPUS_SMTP_HOST`` set, messages go to that SMTP server.

Services never send directly: they call ``queue_email`` inside their transaction, and the
``kernel.send_email`` job delivers after commit (so a rolled-back change sends nothing).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol

import aiosmtplib
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.logging import get_logger
from campus.kernel.outbox import Delivery, HandlerRegistry, enqueue_job

log = get_logger("campus.mail")

SEND_EMAIL_JOB = "kernel.send_email"


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


def build_message(
    sender: str, to: str, subject: str, text: str, html: str | None, message_id: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="campus.local")
    message["Date"] = utcnow().strftime("%a, %d %b %Y %H:%M:%S +0000")
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


class FileMailer:
    """Writes each message atomically as ``<outbox>/<timestamp>-<message id>.eml``.

    The file is written under a temporary name, flushed to disk and renamed, so a reader never
    sees half a message. Sending is idempotent per Message-ID (the send job uses the outbox
    message id): a retried delivery whose first copy was written is not written again.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def send(self, message: EmailMessage) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        ident = str(message["Message-ID"]).strip().strip("<>").split("@", 1)[0]
        safe_ident = "".join(c for c in ident if c.isalnum() or c in "._-")[:64] or "message"
        if any(self.directory.glob(f"*-{safe_ident}.eml")):
            log.info("email_already_written", message_id=safe_ident)
            return
        stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
        target = self.directory / f"{stamp}-{safe_ident}.eml"
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(message))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        log.info(
            "email_written",
            to=str(message["To"]),
            subject=str(message["Subject"]),
            file=target.name,
        )


class SmtpMailer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        await aiosmtplib.send(
            message,
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_username or None,
            password=s.smtp_password.get_secret_value() or None,
            start_tls=s.smtp_starttls,
            timeout=30,
        )
        log.info("email_sent", to=str(message["To"]), subject=str(message["Subject"]))


def mail_outbox_dir(settings: Settings) -> Path:
    return settings.data_dir / "mail-outbox"


def make_mailer(settings: Settings) -> Mailer:
    if settings.smtp_host:
        return SmtpMailer(settings)
    return FileMailer(mail_outbox_dir(settings))


async def queue_email(
    session: AsyncSession,
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    sensitive: bool = True,
) -> None:
    """Queue an email in the caller's transaction. Messages with links holding tokens are
    ``sensitive``: their payload is wiped from the outbox once delivered."""
    await enqueue_job(
        session,
        SEND_EMAIL_JOB,
        {"to": to, "subject": subject, "text": text, "html": html},
        sensitive=sensitive,
    )


def register(registry: HandlerRegistry, settings: Settings, mailer: Mailer) -> None:
    async def send_email(_session: AsyncSession, delivery: Delivery) -> None:
        payload = delivery.payload
        message = build_message(
            settings.mail_from,
            str(payload["to"]),
            str(payload["subject"]),
            str(payload["text"]),
            payload.get("html") and str(payload["html"]),
            # One Message-ID per outbox message, so a retried delivery is recognisable.
            message_id=f"<{delivery.id}@campus.local>",
        )
        await mailer.send(message)

    registry.job(SEND_EMAIL_JOB, send_email)
