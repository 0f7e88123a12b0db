"""The in-app channel: the inbox row exists already; sending tells the open streams."""

from __future__ import annotations

from campus.notifications.channels.base import OutgoingMessage, SendResult
from campus.notifications.service import realtime


class InAppChannel:
    """Publishes through this process's broker for ``redis_url`` and ``namespace``, looked up
    at each send (an app's shutdown closes the brokers; the next send opens a new one)."""

    def __init__(self, redis_url: str, namespace: str) -> None:
        self.redis_url = redis_url
        self.namespace = namespace

    async def send(self, message: OutgoingMessage) -> SendResult:
        broker = realtime.broker_for(self.redis_url, self.namespace)
        await broker.publish(
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
