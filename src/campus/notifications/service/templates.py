"""Templates per type, channel and language: the current version (saved or shipped), saving a
new version (placeholders checked), previews with sample data."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.kernel.errors import ValidationFailed
from campus.notifications.data import LANGUAGES, TYPES, Channel, NotificationType
from campus.notifications.exceptions import NotificationTypeNotFound, TemplateVersionTaken
from campus.notifications.models import NotificationTemplate
from campus.notifications.service import defaults, rendering


@dataclass(frozen=True, slots=True)
class TemplateRecord:
    type_code: str
    channel: str
    language: str
    version: int
    subject: str
    body_text: str
    body_html: str | None


def notification_type(code: str) -> NotificationType:
    found = TYPES.get(code)
    if found is None:
        raise NotificationTypeNotFound()
    return found


def shipped(type_code: str, channel: str, language: str) -> TemplateRecord | None:
    """Version 0: the shipped default, or None for a language Campus ships none in."""
    texts = defaults.TEXTS.get(type_code, {}).get(language)
    if texts is None:
        return None
    subject, text = texts
    if channel == Channel.EMAIL:
        in_text = "{{ url }}" in text
        return TemplateRecord(
            type_code,
            channel,
            language,
            0,
            subject,
            defaults.email_text(language, text, link_in_text=in_text),
            defaults.email_html(language, text, link_in_text=in_text),
        )
    return TemplateRecord(type_code, channel, language, 0, subject, text, None)


def _candidates(language: str | None) -> list[str]:
    out: list[str] = []
    if language:
        out.append(language)
        base = language.split("-", 1)[0].lower()
        if base not in out:
            out.append(base)
    if LANGUAGES[0] not in out:
        out.append(LANGUAGES[0])
    return out


async def current(
    session: AsyncSession, type_code: str, channel: str, language: str | None
) -> TemplateRecord:
    """The template for the user's language, falling back to its base language and then to
    the platform default: the newest saved version, else the shipped one."""
    candidates = _candidates(language)
    rows = (
        await session.execute(
            sa.select(NotificationTemplate)
            .where(
                NotificationTemplate.type_code == type_code,
                NotificationTemplate.channel == channel,
                NotificationTemplate.language.in_(candidates),
            )
            .order_by(NotificationTemplate.version.desc())
        )
    ).scalars()
    saved: dict[str, NotificationTemplate] = {}
    for row in rows:
        saved.setdefault(row.language, row)
    for lang in candidates:
        chosen = saved.get(lang)
        if chosen is not None:
            return _record(chosen)
        found = shipped(type_code, channel, lang)
        if found is not None:
            return found
    raise NotificationTypeNotFound()


def _record(row: NotificationTemplate) -> TemplateRecord:
    return TemplateRecord(
        row.type_code,
        row.channel,
        row.language,
        row.version,
        row.subject,
        row.body_text,
        row.body_html,
    )


def validate(
    kind: NotificationType, channel: str, subject: str, body_text: str, body_html: str | None
) -> None:
    if Channel(channel) not in kind.channels:
        raise ValidationFailed(
            "This type is not sent on that channel.",
            details={"fields": [{"field": "channel", "message": "not a channel of this type"}]},
        )
    try:
        rendering.check(
            {
                "subject": (subject, False),
                "bodyText": (body_text, False),
                "bodyHtml": (body_html, True),
            },
            kind.placeholders,
            kind.required,
        )
    except rendering.TemplateProblem as exc:
        raise ValidationFailed(
            "The template is invalid.",
            details={
                "fields": [
                    {"field": "template", "message": problem, "code": "invalid_template"}
                    for problem in exc.problems
                ]
            },
        ) from exc


async def save(
    session: AsyncSession,
    *,
    type_code: str,
    channel: str,
    language: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    author_id: uuid.UUID | None,
) -> TemplateRecord:
    """Save a new version (placeholders checked: a 422 changes nothing)."""
    kind = notification_type(type_code)
    validate(kind, channel, subject, body_text, body_html)
    if channel != Channel.EMAIL:
        body_html = None
    latest = await session.scalar(
        sa.select(sa.func.max(NotificationTemplate.version)).where(
            NotificationTemplate.type_code == type_code,
            NotificationTemplate.channel == channel,
            NotificationTemplate.language == language,
        )
    )
    row = NotificationTemplate(
        type_code=type_code,
        channel=channel,
        language=language,
        version=(latest or 0) + 1,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        created_by=author_id,
    )
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError as exc:  # the unique (type, channel, language, version) decided
        raise TemplateVersionTaken() from exc
    return _record(row)


async def versions(
    session: AsyncSession, type_code: str, channel: str, language: str
) -> list[TemplateRecord]:
    """Every saved version, newest first, then the shipped one."""
    notification_type(type_code)
    rows = (
        await session.execute(
            sa.select(NotificationTemplate)
            .where(
                NotificationTemplate.type_code == type_code,
                NotificationTemplate.channel == channel,
                NotificationTemplate.language == language,
            )
            .order_by(NotificationTemplate.version.desc())
        )
    ).scalars()
    out = [_record(row) for row in rows]
    base = shipped(type_code, channel, language)
    if base is not None:
        out.append(base)
    return out


def sample_values(kind: NotificationType, platform_name: str) -> dict[str, Any]:
    values: dict[str, Any] = {name: f"[{name}]" for name in kind.placeholders}
    values.update(
        first_name="Ada",
        platform_name=platform_name,
        url="https://campus.example/notifications",
        items=["First item", "Second item"],
        period="daily",
        passed=True,
    )
    return values


def preview(
    kind: NotificationType,
    channel: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    platform_name: str,
    values: dict[str, Any] | None = None,
) -> rendering.Rendered:
    validate(kind, channel, subject, body_text, body_html)
    sample = sample_values(kind, platform_name)
    sample.update({k: v for k, v in (values or {}).items() if k in kind.placeholders})
    return rendering.render(subject, body_text, body_html, sample)
