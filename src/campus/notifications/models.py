"""The notifications context's tables (seed 000 "Notification Service", seed 001 "8.")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import Base, IdMixin, JSONDoc, TimestampMixin


class Notification(IdMixin, Base):
    """One notification of one user: the intent (type, payload) and, when it went to the
    in-app channel, the inbox item. ``(user_id, dedupe_key)`` is unique, so an event delivered
    twice notifies each recipient once."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "dedupe_key"),
        sa.Index("ix_notifications_inbox", "user_id", "in_inbox", "archived_at", "id"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column()
    type_code: Mapped[str] = mapped_column(sa.String(60))
    category: Mapped[str] = mapped_column(sa.String(20))
    dedupe_key: Mapped[str] = mapped_column(sa.String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    #: The in-app text, rendered once when the notification was created.
    title: Mapped[str] = mapped_column(sa.String(300), default="")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    url: Mapped[str | None] = mapped_column(sa.String(1000), default=None)
    in_inbox: Mapped[bool] = mapped_column(default=False)
    read_at: Mapped[datetime | None] = mapped_column(default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationDelivery(IdMixin, TimestampMixin, Base):
    """One channel's delivery of a notification: the delivery log (seed 000
    notification_logs, seed 001 delivery statuses)."""

    __tablename__ = "notification_deliveries"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "channel"),
        sa.Index("ix_notification_deliveries_user_status", "user_id", "status"),
        sa.Index("ix_notification_deliveries_provider", "provider_message_id"),
    )

    notification_id: Mapped[uuid.UUID] = mapped_column(
        sa.ForeignKey("notifications.id", ondelete="CASCADE")
    )
    user_id: Mapped[uuid.UUID] = mapped_column()
    type_code: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(12), index=True)
    address: Mapped[str | None] = mapped_column(sa.String(320), default=None)
    language: Mapped[str | None] = mapped_column(sa.String(16), default=None)
    template_version: Mapped[int | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(default=0)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_message_id: Mapped[str | None] = mapped_column(sa.String(200), default=None)
    provider_response: Mapped[str | None] = mapped_column(sa.String(1000), default=None)
    last_error: Mapped[str | None] = mapped_column(sa.String(1000), default=None)


class NotificationTemplate(IdMixin, Base):
    """A saved version of a template (seed 000 email_templates); the highest version of a
    (type, channel, language) is the current one. Shipped defaults are version 0 (in code)."""

    __tablename__ = "notification_templates"
    __table_args__ = (sa.UniqueConstraint("type_code", "channel", "language", "version"),)

    type_code: Mapped[str] = mapped_column(sa.String(60))
    channel: Mapped[str] = mapped_column(sa.String(10))
    language: Mapped[str] = mapped_column(sa.String(16))
    version: Mapped[int] = mapped_column()
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text, default=None)
    created_by: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationSettings(TimestampMixin, Base):
    """A user's preferences (seed 000 preferences): channels per category, digest frequency
    per category, quiet hours in their time zone, marketing email opt-out. No row: defaults."""

    __tablename__ = "notification_settings"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    #: ``{category: {channel: bool}}``; a missing entry means on.
    channels: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    #: ``{category: "immediate" | "daily" | "weekly"}``; missing means immediate.
    digests: Mapped[dict[str, Any]] = mapped_column(JSONDoc, default=dict)
    #: Minutes after local midnight; both set or both null.
    quiet_start: Mapped[int | None] = mapped_column(default=None)
    quiet_end: Mapped[int | None] = mapped_column(default=None)
    #: Overrides the account's time zone (identity's settings) for quiet hours and digests.
    time_zone: Mapped[str | None] = mapped_column(sa.String(64), default=None)
    marketing_opt_out: Mapped[bool] = mapped_column(default=False)
    #: The number SMS goes to (E.164); null: no SMS.
    phone: Mapped[str | None] = mapped_column(sa.String(16), default=None)


class PushSubscription(IdMixin, Base):
    """One browser's web push subscription (one per device); removed when the push service
    answers 404 or 410."""

    __tablename__ = "notification_push_subscriptions"

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    endpoint: Mapped[str] = mapped_column(sa.String(2048), unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(100))
    auth: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EmailSuppression(Base):
    """An address email no longer goes to (hard bounce or complaint)."""

    __tablename__ = "notification_email_suppressions"

    address: Mapped[str] = mapped_column(sa.String(320), primary_key=True)
    reason: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestRun(Base):
    """A digest sent: one per user, frequency and period (the unique key makes two workers
    send it once)."""

    __tablename__ = "notification_digest_runs"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    frequency: Mapped[str] = mapped_column(sa.String(10), primary_key=True)
    period: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    notification_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(IdMixin, TimestampMixin, Base):
    """A course announcement (to its learners) or a platform one (to everyone or a role)."""

    __tablename__ = "notification_announcements"

    author_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    role: Mapped[str | None] = mapped_column(sa.String(50), default=None)
    title: Mapped[str] = mapped_column(sa.String(200))
    message: Mapped[str] = mapped_column(sa.Text)
    send_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: scheduled -> sending -> sent, or cancelled.
    status: Mapped[str] = mapped_column(sa.String(12), default="scheduled")
    recipients: Mapped[int] = mapped_column(default=0)
