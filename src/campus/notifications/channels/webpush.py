"""The web push channel: the pipeline's adapter around ``push.PushSender`` (one message per
subscribed device of the user; devices whose subscription is gone are reported as stale)."""

from __future__ import annotations

from campus.notifications.channels.base import OutgoingMessage, SendResult
from campus.notifications.channels.push import (
    PushSender,
    PushStatus,
    PushSubscriptionInfo,
    PushUrgency,
)


class PushChannel:
    def __init__(self, sender: PushSender) -> None:
        self.sender = sender

    async def send(self, message: OutgoingMessage) -> SendResult:
        devices = message.extra.get("subscriptions") or []
        if not devices:
            return SendResult("gone", detail="no push subscription")
        payload = {
            "id": str(message.notification_id),
            "type": message.type_code,
            "title": message.subject,
            "body": message.text[:1000],
            "url": message.url,
        }
        urgency = PushUrgency.HIGH if message.extra.get("urgent") else None
        ok = 0
        stale: list[str] = []
        problems: list[str] = []
        for endpoint, p256dh, auth in devices:
            result = await self.sender.send(
                PushSubscriptionInfo(endpoint, p256dh, auth), payload, urgency=urgency
            )
            if result.status == PushStatus.OK:
                ok += 1
            elif result.status == PushStatus.GONE:
                stale.append(endpoint)
            else:
                problems.append(result.detail)
        if ok:
            return SendResult("ok", f"push:{ok}/{len(devices)}", stale=tuple(stale))
        if problems:
            return SendResult("failed", detail="; ".join(problems)[:1000], stale=tuple(stale))
        return SendResult("gone", detail="every subscription is gone", stale=tuple(stale))
