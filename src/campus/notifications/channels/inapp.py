"""The in-app channel: the inbox row exists already; sending tells the open streams."""

from __future__ import annotations

from campus.notifications.channels.base import OutgoingMessage, SendResult
from campus.notifications.service.realtime import Broker


class InAppChannel:
    def __init__(self, broker: Broker) -> None:
        self.broker = broker

    async def send(self, message: OutgoingMessage) -> SendResult:
        await self.broker.publish(
            message.user_id,
            {
                "id": str(message.notification_id),
                "typeCode": message.type_code,
                "category": message.category,
                "title": message.subject,
                "body": message.text,
                "url": message.url,
                "createdAt": message.extra.get("createdAt"),
            },
        )
        return SendResult("ok", str(message.notification_id))
