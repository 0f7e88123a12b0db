"""The email channel: multipart text + HTML through the kernel's mailer (SMTP, or ``.eml``
files in the embedded mode), with one-click unsubscribe headers (RFC 8058) on every email
that is not mandatory."""

from __future__ import annotations

from campus.config import Settings
from campus.kernel.mail import Mailer, build_message
from campus.notifications.channels.base import OutgoingMessage, SendResult
from campus.notifications.service import unsubscribe


class EmailChannel:
    def __init__(self, settings: Settings, mailer: Mailer) -> None:
        self.settings = settings
        self.mailer = mailer

    def message_id(self, message: OutgoingMessage) -> str:
        return f"<{message.delivery_id}@campus.local>"

    async def send(self, message: OutgoingMessage) -> SendResult:
        if not message.address:
            return SendResult("gone", detail="no email address")
        message_id = self.message_id(message)
        email = build_message(
            self.settings.mail_from,
            message.address,
            message.subject,
            message.text,
            message.html,
            message_id=message_id,
        )
        if not message.mandatory:
            link = unsubscribe.link(self.settings, message.user_id, message.category)
            email["List-Unsubscribe"] = f"<{link}>"
            email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        email["X-Campus-Notification"] = message.type_code
        await self.mailer.send(email)
        return SendResult("ok", message_id.strip("<>"))
