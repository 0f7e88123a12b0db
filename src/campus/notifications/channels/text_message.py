"""The SMS channel: the pipeline's adapter around an ``sms.SmsProvider`` (sandbox or
Twilio)."""

from __future__ import annotations

from campus.notifications.channels.base import OutgoingMessage, SendResult
from campus.notifications.channels.sms import SmsProvider, SmsStatus


class SmsChannel:
    def __init__(self, provider: SmsProvider) -> None:
        self.provider = provider

    async def send(self, message: OutgoingMessage) -> SendResult:
        if not message.address:
            return SendResult("gone", detail="no phone number")
        body = f"{message.subject}: {message.text}" if message.text else message.subject
        result = await self.provider.send(message.address, body[:1600])
        if result.status == SmsStatus.FAILED:
            detail = f"{result.error_code}: {result.error_message}"
            return SendResult("failed" if result.retryable else "gone", detail=detail[:1000])
        return SendResult("ok", result.provider_message_id)
