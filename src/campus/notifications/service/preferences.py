"""A user's notification preferences and which channels a notification goes to."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity import api as identity_api
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert
from campus.notifications.data import (
    Category,
    Channel,
    DigestFrequency,
    NotificationType,
)
from campus.notifications.models import NotificationSettings


@dataclass(frozen=True, slots=True)
class Preferences:
    user_id: uuid.UUID
    channels: dict[str, dict[str, bool]] = field(default_factory=dict)
    digests: dict[str, str] = field(default_factory=dict)
    quiet_start: int | None = None
    quiet_end: int | None = None
    #: None: the account's time zone (identity's settings).
    time_zone: str | None = None
    marketing_opt_out: bool = False
    phone: str | None = None

    def channel_on(self, category: str, channel: str) -> bool:
        return bool(self.channels.get(category, {}).get(channel, True))

    def digest(self, category: str) -> str:
        return self.digests.get(category, DigestFrequency.IMMEDIATE)


def _of(row: NotificationSettings | None, user_id: uuid.UUID) -> Preferences:
    if row is None:
        return Preferences(user_id)
    return Preferences(
        user_id,
        {k: dict(v) for k, v in row.channels.items()},
        dict(row.digests),
        row.quiet_start,
        row.quiet_end,
        row.time_zone,
        row.marketing_opt_out,
        row.phone,
    )


async def get(session: AsyncSession, user_id: uuid.UUID) -> Preferences:
    return _of(await session.get(NotificationSettings, user_id), user_id)


async def time_zone(session: AsyncSession, prefs: Preferences) -> str:
    """The zone quiet hours and digests follow: the preferences' own, else the account's."""
    if prefs.time_zone:
        return prefs.time_zone
    return await identity_api.preferred_time_zone(session, prefs.user_id) or "UTC"


async def get_many(
    session: AsyncSession, user_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Preferences]:
    rows = (
        await session.execute(
            sa.select(NotificationSettings).where(NotificationSettings.user_id.in_(user_ids))
        )
    ).scalars()
    found = {row.user_id: _of(row, row.user_id) for row in rows}
    return {uid: found.get(uid) or Preferences(uid) for uid in user_ids}


async def update(session: AsyncSession, user_id: uuid.UUID, changes: dict[str, Any]) -> Preferences:
    """Merge ``changes`` (``channels`` and ``digests`` merge per category) in one upsert-style
    write: the row is locked (PostgreSQL) while merged."""
    await session.execute(
        dialect_insert(session, NotificationSettings)
        .values(user_id=user_id, channels={}, digests={})
        .on_conflict_do_nothing(index_elements=["user_id"])
    )
    row = await session.scalar(
        sa.select(NotificationSettings)
        .where(NotificationSettings.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    if "channels" in changes:
        merged = {k: dict(v) for k, v in row.channels.items()}
        for category, channels in changes["channels"].items():
            merged.setdefault(category, {}).update(channels)
        row.channels = merged
    if "digests" in changes:
        row.digests = {**row.digests, **changes["digests"]}
    for name in ("quiet_start", "quiet_end", "time_zone", "marketing_opt_out", "phone"):
        if name in changes:
            setattr(row, name, changes[name])
    row.updated_at = utcnow()
    await session.flush()
    return _of(row, user_id)


async def unsubscribe(session: AsyncSession, user_id: uuid.UUID, category: Category) -> None:
    """One-click unsubscribe: no more email of ``category`` (marketing: the global opt-out)."""
    changes: dict[str, Any] = {"channels": {category.value: {Channel.EMAIL.value: False}}}
    if category == Category.MARKETING:
        changes["marketing_opt_out"] = True
    await update(session, user_id, changes)


def channels_for(
    kind: NotificationType, prefs: Preferences, *, email_ok: bool, available: frozenset[str]
) -> list[Channel]:
    """The channels a notification of ``kind`` goes to: its defaults the user has not turned
    off (mandatory types ignore opt-outs) that can reach the user (an address email accepts,
    a registered device or phone)."""
    out: list[Channel] = []
    for channel in kind.channels:
        if channel not in available:
            continue
        if channel == Channel.EMAIL and not email_ok:
            continue
        if not kind.mandatory:
            if not prefs.channel_on(kind.category, channel):
                continue
            if (
                kind.category == Category.MARKETING
                and channel == Channel.EMAIL
                and prefs.marketing_opt_out
            ):
                continue
        out.append(channel)
    return out
