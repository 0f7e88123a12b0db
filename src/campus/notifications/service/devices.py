"""A user's web push subscriptions (one per browser) and the VAPID key browsers subscribe
with."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.errors import NotFound, field_error
from campus.notifications.channels.push import (
    InvalidSubscription,
    PushSubscriptionInfo,
    application_server_key,
)
from campus.notifications.models import PushSubscription
from campus.notifications.settings import NotificationsSettings


def server_key(settings: Settings) -> str:
    key = NotificationsSettings.of(settings).push_vapid_private_key.get_secret_value()
    if not key:
        raise NotFound("Web push is not configured.", code="push_not_configured")
    return application_server_key(key)


async def subscribe(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    *,
    endpoint: str,
    p256dh: str,
    auth: str,
) -> None:
    """Store (or move to this user) a browser's subscription; the endpoint is checked."""
    server_key(settings)
    allow = NotificationsSettings.of(settings).push_allow_insecure_endpoints
    try:
        info = PushSubscriptionInfo.parse(endpoint, p256dh, auth, allow_insecure_endpoint=allow)
    except InvalidSubscription as exc:
        raise field_error("endpoint", str(exc)) from exc
    await session.execute(
        dialect_insert(session, PushSubscription)
        .values(
            user_id=user_id,
            endpoint=info.endpoint,
            p256dh=info.p256dh,
            auth=info.auth,
            created_at=utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["endpoint"],
            set_={"user_id": user_id, "p256dh": info.p256dh, "auth": info.auth},
        )
    )


async def unsubscribe(session: AsyncSession, user_id: uuid.UUID, endpoint: str) -> bool:
    result = await session.execute(
        sa.delete(PushSubscription).where(
            PushSubscription.user_id == user_id, PushSubscription.endpoint == endpoint
        )
    )
    return rowcount(result) > 0
