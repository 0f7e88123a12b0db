"""Wire models of the inbox, preferences, templates, announcements and delivery logs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal, Self

from pydantic import Field, StringConstraints, model_validator

from campus.kernel.schemas import ApiModel, InputModel, Instant
from campus.notifications.data import Category, Channel, DigestFrequency, NotificationType
from campus.notifications.service import schedule
from campus.notifications.service.announcements import AnnouncementRecord
from campus.notifications.service.preferences import Preferences
from campus.notifications.service.records import DeliveryRecord, InboxItem
from campus.notifications.service.rendering import Rendered
from campus.notifications.service.templates import TemplateRecord

LanguageTag = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]
ClockTime = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]


class NotificationOut(ApiModel):
    id: uuid.UUID
    type_code: str
    category: str
    title: str
    body: str
    url: str | None
    read: bool
    read_at: datetime | None
    archived: bool
    created_at: datetime

    @classmethod
    def of(cls, item: InboxItem) -> Self:
        return cls(
            id=item.id,
            type_code=item.type_code,
            category=item.category,
            title=item.title,
            body=item.body,
            url=item.url,
            read=item.read_at is not None,
            read_at=item.read_at,
            archived=item.archived_at is not None,
            created_at=item.created_at,
        )


class NotificationUnreadCountOut(ApiModel):
    unread: int


class NotificationsReadAllOut(ApiModel):
    marked: int


class ReadIn(InputModel):
    read: bool


class ArchiveIn(InputModel):
    archived: bool


def _minutes(value: str | None) -> int | None:
    if value is None:
        return None
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def _clock(value: int | None) -> str | None:
    return None if value is None else f"{value // 60:02d}:{value % 60:02d}"


class NotificationQuietHoursIn(InputModel):
    start: ClockTime
    end: ClockTime


class NotificationPreferencesIn(InputModel):
    """Only the given fields change; ``channels`` and ``digests`` merge per category."""

    channels: dict[Category, dict[Channel, bool]] | None = None
    digests: dict[Category, DigestFrequency] | None = None
    quiet_hours: NotificationQuietHoursIn | None = Field(
        default=None, description="Local start and end (HH:MM); null turns quiet hours off"
    )
    time_zone: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None, description="Overrides the account's time zone; null goes back to it"
    )
    marketing_opt_out: bool | None = None
    phone: Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")] | None = Field(
        default=None, description="E.164 number for SMS; null removes it"
    )

    @model_validator(mode="after")
    def _known_zone(self) -> Self:
        if self.time_zone is not None and not schedule.is_time_zone(self.time_zone):
            raise ValueError("timeZone is not a known IANA time zone")
        return self

    def changes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        given = self.model_fields_set
        if self.channels is not None:
            out["channels"] = {
                c.value: {ch.value: on for ch, on in v.items()} for c, v in self.channels.items()
            }
        if self.digests is not None:
            out["digests"] = {c.value: f.value for c, f in self.digests.items()}
        if "quiet_hours" in given:
            q = self.quiet_hours
            out["quiet_start"] = None if q is None else _minutes(q.start)
            out["quiet_end"] = None if q is None else _minutes(q.end)
        if "time_zone" in given:
            out["time_zone"] = self.time_zone
        if self.marketing_opt_out is not None:
            out["marketing_opt_out"] = self.marketing_opt_out
        if "phone" in given:
            out["phone"] = self.phone
        return out


class NotificationQuietHoursOut(ApiModel):
    start: str
    end: str


class NotificationPreferencesOut(ApiModel):
    channels: dict[str, dict[str, bool]]
    digests: dict[str, str]
    quiet_hours: NotificationQuietHoursOut | None
    time_zone: str | None = Field(description="null: the account's time zone (users/me settings)")
    marketing_opt_out: bool
    phone: str | None

    @classmethod
    def of(cls, prefs: Preferences) -> Self:
        channels = {
            c.value: {
                ch.value: prefs.channel_on(c.value, ch.value)
                for ch in (Channel.IN_APP, Channel.EMAIL, Channel.PUSH, Channel.SMS)
            }
            for c in Category
        }
        start, end = _clock(prefs.quiet_start), _clock(prefs.quiet_end)
        return cls(
            channels=channels,
            digests={c.value: prefs.digest(c.value) for c in Category},
            quiet_hours=None
            if start is None or end is None
            else NotificationQuietHoursOut(start=start, end=end),
            time_zone=prefs.time_zone,
            marketing_opt_out=prefs.marketing_opt_out,
            phone=prefs.phone,
        )


class NotificationTypeOut(ApiModel):
    code: str
    category: str
    description: str
    channels: list[str]
    placeholders: list[str]
    required_placeholders: list[str]
    mandatory: bool
    digestible: bool
    urgent: bool

    @classmethod
    def of(cls, kind: NotificationType) -> Self:
        return cls(
            code=kind.code,
            category=kind.category.value,
            description=kind.description,
            channels=[c.value for c in kind.channels],
            placeholders=list(kind.placeholders),
            required_placeholders=list(kind.required),
            mandatory=kind.mandatory,
            digestible=kind.digestible,
            urgent=kind.urgent,
        )


class NotificationTemplateIn(InputModel):
    subject: Annotated[str, StringConstraints(min_length=1, max_length=300)]
    body_text: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    body_html: Annotated[str, StringConstraints(max_length=50_000)] | None = None


class NotificationTemplatePreviewIn(NotificationTemplateIn):
    values: (
        dict[
            Annotated[str, StringConstraints(max_length=60)],
            Annotated[str, StringConstraints(max_length=2000)],
        ]
        | None
    ) = Field(default=None, max_length=30)


class NotificationTemplateOut(ApiModel):
    type_code: str
    channel: str
    language: str
    version: int
    subject: str
    body_text: str
    body_html: str | None

    @classmethod
    def of(cls, t: TemplateRecord) -> Self:
        return cls(
            type_code=t.type_code,
            channel=t.channel,
            language=t.language,
            version=t.version,
            subject=t.subject,
            body_text=t.body_text,
            body_html=t.body_html,
        )


class NotificationPreviewOut(ApiModel):
    subject: str
    text: str
    html: str | None

    @classmethod
    def of(cls, r: Rendered) -> Self:
        return cls(subject=r.subject, text=r.text, html=r.html)


class CourseAnnouncementIn(InputModel):
    title: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    message: Annotated[str, StringConstraints(min_length=1, max_length=5000)]
    send_at: Instant | None = Field(default=None, description="When to send; now when absent")


class CourseAnnouncementOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID | None
    title: str
    message: str
    send_at: datetime
    status: str
    recipients: int
    created_at: datetime

    @classmethod
    def of(cls, a: AnnouncementRecord) -> Self:
        return cls(
            id=a.id,
            course_id=a.course_id,
            title=a.title,
            message=a.message,
            send_at=a.send_at,
            status=a.status,
            recipients=a.recipients,
            created_at=a.created_at,
        )


class NotificationDeliveryOut(ApiModel):
    id: uuid.UUID
    notification_id: uuid.UUID
    user_id: uuid.UUID
    type_code: str
    channel: str
    status: str
    address: str | None
    language: str | None
    template_version: int | None
    attempts: int
    send_at: datetime
    sent_at: datetime | None
    provider_message_id: str | None
    provider_response: str | None
    last_error: str | None
    created_at: datetime

    @classmethod
    def of(cls, d: DeliveryRecord) -> Self:
        return cls(**{name: getattr(d, name) for name in cls.model_fields})


class NotificationStatsOut(ApiModel):
    channels: dict[str, dict[str, int]]


class NotificationTestSendIn(InputModel):
    type_code: Annotated[str, StringConstraints(max_length=60)]


class NotificationTestSendOut(ApiModel):
    notification_id: uuid.UUID | None


class EmailProviderEventIn(InputModel):
    message_id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    event: Literal["delivered", "bounce", "complaint", "open", "click"]
    hard: bool = False
    detail: Annotated[str, StringConstraints(max_length=1000)] | None = None


class EmailProviderEventOut(ApiModel):
    applied: bool


class PushKeysIn(InputModel):
    p256dh: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    auth: Annotated[str, StringConstraints(min_length=1, max_length=40)]


class PushSubscriptionIn(InputModel):
    """A browser's ``PushSubscription.toJSON()``."""

    endpoint: Annotated[str, StringConstraints(min_length=8, max_length=2048)]
    keys: PushKeysIn


class PushEndpointIn(InputModel):
    endpoint: Annotated[str, StringConstraints(min_length=8, max_length=2048)]


class PushKeyOut(ApiModel):
    application_server_key: str
