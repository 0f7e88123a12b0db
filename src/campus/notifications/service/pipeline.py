"""The pipeline: an intent (who, what type, payload, dedupe key) becomes one notification per
recipient (at most once: ``(user_id, dedupe_key)`` is unique), then one delivery per channel
after preferences, quiet hours and digests; each delivery is rendered and sent by the
``notifications.deliver`` job, retried with backoff, and logged."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity import api as identity_api
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job
from campus.notifications.channels.base import ChannelSender, OutgoingMessage
from campus.notifications.data import Channel, DeliveryStatus, DigestFrequency
from campus.notifications.events import DELIVER_JOB
from campus.notifications.models import (
    EmailSuppression,
    Notification,
    NotificationDelivery,
    PushSubscription,
)
from campus.notifications.service import preferences, rendering, schedule, templates
from campus.notifications.settings import NotificationsSettings

log = get_logger("campus.notifications")

#: Channels every user can be reached on; push and SMS join when a device or phone is known.
BASE_CHANNELS = frozenset({Channel.IN_APP, Channel.EMAIL})
MAX_BACKOFF = 3600


@dataclass(frozen=True, slots=True)
class Intent:
    """Tell ``user_id`` about something. ``secrets`` are rendered into the message but never
    stored (links holding tokens); ``address`` overrides the account's email address."""

    user_id: uuid.UUID
    type_code: str
    dedupe_key: str
    payload: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    send_at: datetime | None = None
    address: str | None = None
    secrets: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    user_id: uuid.UUID
    email: str
    first_name: str
    language: str
    active: bool


async def recipient(session: AsyncSession, user_id: uuid.UUID) -> Recipient | None:
    summary = await identity_api.get_user_summary(session, user_id)
    if summary is None:
        return None
    language = await identity_api.preferred_language(session, user_id)
    return Recipient(
        user_id, summary.email, summary.first_name, language or "en", summary.is_active
    )


async def has_push_subscription(session: AsyncSession, user_id: uuid.UUID) -> bool:
    found = await session.scalar(
        sa.select(PushSubscription.id).where(PushSubscription.user_id == user_id).limit(1)
    )
    return found is not None


async def push_targets(session: AsyncSession, user_id: uuid.UUID) -> list[tuple[str, str, str]]:
    rows = await session.execute(
        sa.select(PushSubscription.endpoint, PushSubscription.p256dh, PushSubscription.auth)
        .where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.id)
    )
    return [(row.endpoint, row.p256dh, row.auth) for row in rows]


async def is_suppressed(session: AsyncSession, address: str) -> bool:
    found = await session.scalar(
        sa.select(EmailSuppression.address).where(EmailSuppression.address == address.lower())
    )
    return found is not None


def _values(
    settings: Settings, who: Recipient, payload: Mapping[str, Any], url: str | None
) -> dict[str, Any]:
    return {
        **payload,
        "first_name": who.first_name,
        "platform_name": NotificationsSettings.of(settings).platform_name,
        "url": url,
    }


async def notify(
    session: AsyncSession,
    settings: Settings,
    intent: Intent,
    *,
    extra_channels: frozenset[str] = frozenset(),
) -> uuid.UUID | None:
    """Record the notification and its deliveries in the caller's transaction. Returns its id,
    or None when this recipient already had it (same dedupe key) or cannot be reached."""
    kind = templates.notification_type(intent.type_code)
    who = await recipient(session, intent.user_id)
    if who is None or not who.active:
        return None
    prefs = await preferences.get(session, intent.user_id)
    address = (intent.address or who.email).lower()
    email_ok = not await is_suppressed(session, address)
    available = set(BASE_CHANNELS | extra_channels)
    push_on = bool(NotificationsSettings.of(settings).push_vapid_private_key.get_secret_value())
    if (
        push_on
        and Channel.PUSH in kind.channels
        and await has_push_subscription(session, intent.user_id)
    ):
        available.add(Channel.PUSH)
    if prefs.phone:
        available.add(Channel.SMS)
    channels = preferences.channels_for(
        kind, prefs, email_ok=email_ok, available=frozenset(available)
    )
    now = utcnow()
    title = body = ""
    in_inbox = Channel.IN_APP in channels
    if in_inbox:
        template = await templates.current(session, kind.code, Channel.IN_APP, who.language)
        shown = rendering.render(
            template.subject,
            template.body_text,
            None,
            _values(settings, who, intent.payload, intent.url),
        )
        title, body = shown.subject, shown.text[:4000]
    notification_id = new_id()
    inserted = await session.execute(
        dialect_insert(session, Notification)
        .values(
            id=notification_id,
            user_id=intent.user_id,
            type_code=kind.code,
            category=kind.category.value,
            dedupe_key=intent.dedupe_key[:200],
            payload=dict(intent.payload),
            title=title,
            body=body,
            url=intent.url,
            in_inbox=in_inbox,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
    )
    if rowcount(inserted) == 0:
        return None
    quiet = None
    if not kind.urgent and prefs.quiet_start is not None:
        zone = await preferences.time_zone(session, prefs)
        quiet = schedule.quiet_until(now, zone, prefs.quiet_start, prefs.quiet_end)
    for channel in channels:
        send_at = intent.send_at or now
        status = DeliveryStatus.PENDING
        if channel != Channel.IN_APP:
            if quiet is not None and quiet > send_at:
                send_at = quiet
            if (
                channel == Channel.EMAIL
                and kind.digestible
                and prefs.digest(kind.category) != DigestFrequency.IMMEDIATE
            ):
                status = DeliveryStatus.BATCHED
        delivery = NotificationDelivery(
            notification_id=notification_id,
            user_id=intent.user_id,
            type_code=kind.code,
            channel=channel.value,
            status=status.value,
            address=(
                address
                if channel == Channel.EMAIL
                else prefs.phone
                if channel == Channel.SMS
                else None
            ),
            language=who.language,
            send_at=send_at,
        )
        session.add(delivery)
        await session.flush()
        if status == DeliveryStatus.PENDING:
            await enqueue_job(
                session,
                DELIVER_JOB,
                {"deliveryId": str(delivery.id), "secrets": dict(intent.secrets or {})},
                run_at=send_at if send_at > now else None,
                sensitive=bool(intent.secrets),
            )
    return notification_id


def backoff(settings: Settings, attempts: int) -> timedelta:
    base = NotificationsSettings.of(settings).retry_base_seconds
    return timedelta(seconds=min(MAX_BACKOFF, base * 2 ** max(0, attempts - 1)))


async def deliver(
    session: AsyncSession,
    settings: Settings,
    senders: Mapping[str, ChannelSender],
    delivery_id: uuid.UUID,
    secrets: Mapping[str, Any] | None = None,
) -> str | None:
    """Render and send one delivery; returns its new status (None when there was nothing to
    do: sent already, cancelled, or unknown). A failure is retried by a new job after a
    backoff until ``max_attempts``, then the delivery is ``failed``: nothing is lost."""
    claimed = await session.execute(
        sa.update(NotificationDelivery)
        .where(
            NotificationDelivery.id == delivery_id,
            NotificationDelivery.status.in_([DeliveryStatus.PENDING, DeliveryStatus.QUEUED]),
        )
        .values(status=DeliveryStatus.QUEUED, attempts=NotificationDelivery.attempts + 1)
    )
    if rowcount(claimed) == 0:
        return None
    row = (
        await session.execute(
            sa.select(NotificationDelivery, Notification)
            .join(Notification, Notification.id == NotificationDelivery.notification_id)
            .where(NotificationDelivery.id == delivery_id)
            .execution_options(populate_existing=True)
        )
    ).one()
    delivery: NotificationDelivery = row[0]
    notification: Notification = row[1]
    kind = templates.notification_type(notification.type_code)
    now = utcnow()
    if delivery.channel == Channel.IN_APP:
        # The inbox item was rendered when the notification was made: only tell the streams.
        message = OutgoingMessage(
            delivery_id=delivery.id,
            notification_id=notification.id,
            user_id=delivery.user_id,
            type_code=kind.code,
            category=kind.category.value,
            mandatory=kind.mandatory,
            address=None,
            language=delivery.language or "en",
            subject=notification.title,
            text=notification.body,
            url=notification.url,
            extra={"createdAt": notification.created_at.isoformat()},
        )
        return await _send(session, settings, senders, delivery, message, None, now)
    who = await recipient(session, delivery.user_id)
    if who is None or not who.active:
        delivery.status = DeliveryStatus.SKIPPED
        delivery.last_error = "recipient unavailable"
        return delivery.status
    if delivery.channel == Channel.EMAIL and (
        delivery.address is None or await is_suppressed(session, delivery.address)
    ):
        delivery.status = DeliveryStatus.SKIPPED
        delivery.last_error = "address suppressed"
        return delivery.status
    template = await templates.current(session, kind.code, delivery.channel, who.language)
    values = _values(settings, who, notification.payload, notification.url)
    values.update(secrets or {})
    shown = rendering.render(template.subject, template.body_text, template.body_html, values)
    message = OutgoingMessage(
        delivery_id=delivery.id,
        notification_id=notification.id,
        user_id=delivery.user_id,
        type_code=kind.code,
        category=kind.category.value,
        mandatory=kind.mandatory,
        address=delivery.address,
        language=template.language,
        subject=shown.subject,
        text=shown.text,
        html=shown.html,
        url=notification.url,
        extra={
            "createdAt": notification.created_at.isoformat(),
            "urgent": kind.urgent,
            "subscriptions": (
                await push_targets(session, delivery.user_id)
                if delivery.channel == Channel.PUSH
                else []
            ),
        },
    )
    delivery.template_version = template.version
    delivery.language = template.language
    return await _send(session, settings, senders, delivery, message, secrets, now)


async def _send(
    session: AsyncSession,
    settings: Settings,
    senders: Mapping[str, ChannelSender],
    delivery: NotificationDelivery,
    message: OutgoingMessage,
    secrets: Mapping[str, Any] | None,
    now: datetime,
) -> str:
    sender = senders.get(delivery.channel)
    try:
        if sender is None:
            raise RuntimeError(f"no sender for {delivery.channel}")
        result = await sender.send(message)
        status, detail, provider_id = result.status, result.detail, result.provider_message_id
        if result.stale:
            await session.execute(
                sa.delete(PushSubscription).where(
                    PushSubscription.user_id == delivery.user_id,
                    PushSubscription.endpoint.in_(result.stale),
                )
            )
    except Exception as exc:  # a provider error is a failed attempt, retried
        status, detail, provider_id = "failed", f"{type(exc).__name__}: {exc}"[:1000], None
    if status == "ok":
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = now
        delivery.provider_message_id = provider_id
        delivery.last_error = None
        return delivery.status
    delivery.last_error = (detail or status)[:1000]
    limit = NotificationsSettings.of(settings).max_attempts
    if status == "gone" or delivery.attempts >= limit:
        delivery.status = DeliveryStatus.FAILED
        log.warning(
            "notification_delivery_failed",
            delivery_id=str(delivery.id),
            channel=delivery.channel,
            attempts=delivery.attempts,
        )
        return delivery.status
    delivery.status = DeliveryStatus.PENDING
    retry_at = now + backoff(settings, delivery.attempts)
    delivery.send_at = retry_at
    await enqueue_job(
        session,
        DELIVER_JOB,
        {"deliveryId": str(delivery.id), "secrets": dict(secrets or {})},
        run_at=retry_at,
        sensitive=bool(secrets),
    )
    return delivery.status
