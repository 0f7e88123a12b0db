"""Free slots: weekly rules and date overrides in the consultant's time zone, turned into UTC
intervals day by day (so every DST change is the calendar's, not ours), minus the time
existing sessions occupy, minimum notice, horizon and the daily limit (ADR 0040).

Pure functions: the repository reads the rows, this module decides.

* A window ``09:00-12:00`` on a local date is the UTC interval from that date's 09:00 to its
  12:00, each resolved in the consultant's zone. On the day clocks go forward a window across
  the gap is shorter (02:00-04:00 in Berlin is one hour); on the day they go back it is longer.
  A local time that does not exist is read with the offset before the change (``fold=0``),
  an ambiguous one as its first occurrence.
* Slots start at the window's start and every ``step`` minutes after it, and end
  ``duration`` minutes later, inside the window.
* A slot is free when ``[start - buffer_before, end + buffer_after)`` overlaps no occupied
  range of the consultant (an occupied range is a session with its own buffers), its start
  is at least ``min_notice`` after now and at most ``horizon`` after now, and the consultant
  has fewer than ``daily_limit`` sessions on the slot's local date.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_ZONES: frozenset[str] | None = None


def known_zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None (never a path, never a guess)."""
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    if name not in _ZONES:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True, slots=True)
class Window:
    """Minutes after local midnight."""

    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class Availability:
    time_zone: str
    #: weekday (0 Monday) -> windows
    weekly: Mapping[int, Sequence[Window]]
    #: date -> windows of that date (empty: a day off)
    overrides: Mapping[date, Sequence[Window]]
    min_notice: timedelta
    horizon: timedelta
    daily_limit: int | None


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime
    ends_at: datetime


def local_moment(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """``minute`` minutes after local midnight of ``day`` in ``zone``, in UTC (1440 is the
    next day's midnight)."""
    base = datetime.combine(day, time(0), tzinfo=zone)
    if minute >= 1440:
        base = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        minute -= 1440
    wall = base.replace(hour=minute // 60, minute=minute % 60, fold=0)
    return wall.astimezone(UTC)


def windows_of(availability: Availability, day: date) -> Sequence[Window]:
    if day in availability.overrides:
        return availability.overrides[day]
    return availability.weekly.get(day.weekday(), ())


def free_slots(
    availability: Availability,
    *,
    duration: timedelta,
    buffer_before: timedelta,
    buffer_after: timedelta,
    step: timedelta,
    window_from: datetime,
    window_to: datetime,
    now: datetime,
    occupied: Iterable[tuple[datetime, datetime]],
    sessions_per_day: Mapping[date, int],
) -> list[Slot]:
    """Free slots starting in ``[window_from, window_to)``, in time order."""
    zone = known_zone(availability.time_zone)
    if zone is None:
        raise ValueError(f"unknown time zone {availability.time_zone!r}")
    earliest = max(window_from, now + availability.min_notice)
    latest = min(window_to, now + availability.horizon + timedelta(microseconds=1))
    if earliest >= latest:
        return []
    busy = sorted(occupied)
    busy_starts = [start for start, _ in busy]
    # The longest occupied range bounds how far back an overlapping one can start.
    longest = max((end - start for start, end in busy), default=timedelta(0))
    first_day = earliest.astimezone(zone).date() - timedelta(days=1)
    last_day = latest.astimezone(zone).date() + timedelta(days=1)
    found: list[Slot] = []
    day = first_day
    while day <= last_day:
        limit = availability.daily_limit
        if limit is not None and sessions_per_day.get(day, 0) >= limit:
            day += timedelta(days=1)
            continue
        for window in windows_of(availability, day):
            opens = local_moment(day, window.start_minute, zone)
            closes = local_moment(day, window.end_minute, zone)
            start = opens
            while start + duration <= closes:
                if start >= latest:
                    break
                if start >= earliest and _free(
                    start - buffer_before,
                    start + duration + buffer_after,
                    busy,
                    busy_starts,
                    longest,
                ):
                    found.append(Slot(start, start + duration))
                start += step
        day += timedelta(days=1)
    found.sort(key=lambda slot: slot.starts_at)
    unique: list[Slot] = []
    for slot in found:
        if not unique or unique[-1].starts_at != slot.starts_at:
            unique.append(slot)
    return unique


def _free(
    start: datetime,
    end: datetime,
    busy: Sequence[tuple[datetime, datetime]],
    busy_starts: Sequence[datetime],
    longest: timedelta,
) -> bool:
    index = bisect.bisect_left(busy_starts, start - longest)
    while index < len(busy) and busy[index][0] < end:
        if busy[index][1] > start:
            return False
        index += 1
    return True
