"""Local time rules: quiet hours and digest periods in the user's time zone. Windows are
computed on the wall clock of the zone (``zoneinfo``), never by adding hours to UTC, so a
daylight-saving change moves them with the user's clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def is_time_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _at(day: date, minutes: int, tz: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=tz)
    # A wall time inside a spring-forward gap does not exist: the round trip through UTC
    # lands on the first real instant after it.
    return local.astimezone(UTC)


def quiet_until(
    now: datetime, time_zone: str | None, start: int | None, end: int | None
) -> datetime | None:
    """When the quiet hours holding ``now`` end (UTC), or None outside them. ``start`` and
    ``end`` are minutes after local midnight; a window may cross midnight (22:00-07:00)."""
    if start is None or end is None or start == end:
        return None
    tz = zone(time_zone)
    local = now.astimezone(tz)
    minute = local.hour * 60 + local.minute
    if start < end:
        if not start <= minute < end:
            return None
        return _at(local.date(), end, tz)
    if minute >= start:
        return _at(local.date() + timedelta(days=1), end, tz)
    if minute < end:
        return _at(local.date(), end, tz)
    return None


def digest_period(
    now: datetime, time_zone: str | None, frequency: str, hour: int, weekday: int
) -> str | None:
    """The period whose digest is due at ``now`` (``2026-03-29`` for a day, ``2026-W13`` for a
    week), or None before the user's local morning (and, weekly, before its weekday)."""
    local = now.astimezone(zone(time_zone))
    if local.hour < hour:
        return None
    if frequency == "daily":
        return local.date().isoformat()
    if frequency == "weekly":
        if local.weekday() != weekday:
            return None
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return None
