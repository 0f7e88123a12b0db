"""Daily and weekly digests: batched email deliveries grouped into one email at the user's
local morning, once per period (``notification_digest_runs`` has one row per user, frequency
and period; the worker that inserts it sends the digest, any other does nothing)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount
from campus.notifications.data import TYPES, Channel, DeliveryStatus, DigestFrequency
from campus.notifications.models import DigestRun, Notification, NotificationDelivery
from campus.notifications.service import pipeline, preferences, schedule
from campus.notifications.settings import NotificationsSettings

#: Users looked at per run (the job runs every quarter of an hour).
USERS_PER_RUN = 1000


async def send_due(session: AsyncSession, settings: Settings) -> int:
    """Send every digest that is due now; returns how many were sent."""
    section = NotificationsSettings.of(settings)
    now = utcnow()
    user_ids = list(
        (
            await session.execute(
                sa.select(NotificationDelivery.user_id)
                .where(NotificationDelivery.status == DeliveryStatus.BATCHED)
                .distinct()
                .limit(USERS_PER_RUN)
            )
        ).scalars()
    )
    if not user_ids:
        return 0
    sent = 0
    for user_id, prefs in (await preferences.get_many(session, user_ids)).items():
        for frequency in (DigestFrequency.DAILY, DigestFrequency.WEEKLY):
            categories = [c for c, f in prefs.digests.items() if f == frequency]
            if not categories:
                continue
            zone = await preferences.time_zone(session, prefs)
            period = schedule.digest_period(
                now, zone, frequency, section.digest_hour, section.digest_weekday
            )
            if period is None:
                continue
            claimed = await session.execute(
                dialect_insert(session, DigestRun)
                .values(user_id=user_id, frequency=frequency.value, period=period, created_at=now)
                .on_conflict_do_nothing(index_elements=["user_id", "frequency", "period"])
            )
            if rowcount(claimed) == 0:
                continue  # this period's digest went out already (or another worker sends it)
            rows = (
                await session.execute(
                    sa.select(NotificationDelivery.id, Notification.type_code, Notification.title)
                    .join(Notification, Notification.id == NotificationDelivery.notification_id)
                    .where(
                        NotificationDelivery.user_id == user_id,
                        NotificationDelivery.channel == Channel.EMAIL,
                        NotificationDelivery.status == DeliveryStatus.BATCHED,
                        Notification.category.in_(categories),
                    )
                    .order_by(NotificationDelivery.id)
                )
            ).all()
            if not rows:
                continue
            await session.execute(
                sa.update(NotificationDelivery)
                .where(
                    NotificationDelivery.id.in_([row.id for row in rows]),
                    NotificationDelivery.status == DeliveryStatus.BATCHED,
                )
                .values(status=DeliveryStatus.DIGESTED, sent_at=now)
            )
            items = [row.title or TYPES[row.type_code].description for row in rows]
            digest_id = await pipeline.notify(
                session,
                settings,
                pipeline.Intent(
                    user_id,
                    "digest.summary",
                    f"digest:{frequency.value}:{period}",
                    {"items": items, "period": frequency.value},
                ),
            )
            await session.execute(
                sa.update(DigestRun)
                .where(
                    DigestRun.user_id == user_id,
                    DigestRun.frequency == frequency.value,
                    DigestRun.period == period,
                )
                .values(notification_id=digest_id)
            )
            sent += 1
    return sent
