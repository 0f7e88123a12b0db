"""Free-slot computation: weekly rules in the consultant's zone across the DST changes of
Europe/Berlin and America/New_York (both directions), overrides and days off, buffers,
minimum notice, horizon and the daily limit, and a brute-force reference on random rules."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from campus.booking.service.slots import Availability, Slot, Window, free_slots

NOW = datetime(2026, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def availability(
    zone: str,
    weekly: dict[int, list[tuple[int, int]]] | None = None,
    overrides: dict[date, list[tuple[int, int]]] | None = None,
    *,
    notice: timedelta = timedelta(0),
    horizon: timedelta = timedelta(days=400),
    daily_limit: int | None = None,
) -> Availability:
    every_day = {d: [(9 * 60, 12 * 60)] for d in range(7)}
    return Availability(
        time_zone=zone,
        weekly={d: [Window(*w) for w in ws] for d, ws in (weekly or every_day).items()},
        overrides={d: [Window(*w) for w in ws] for d, ws in (overrides or {}).items()},
        min_notice=notice,
        horizon=horizon,
        daily_limit=daily_limit,
    )


def slots_on(
    avail: Availability,
    day: date,
    *,
    duration: int = 60,
    step: int = 60,
    before: int = 0,
    after: int = 0,
    now: datetime = NOW,
    occupied: list[tuple[datetime, datetime]] | None = None,
    per_day: dict[date, int] | None = None,
) -> list[Slot]:
    zone = ZoneInfo(avail.time_zone)
    start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
    end = (datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(days=1)).astimezone(UTC)
    return free_slots(
        avail,
        duration=timedelta(minutes=duration),
        buffer_before=timedelta(minutes=before),
        buffer_after=timedelta(minutes=after),
        step=timedelta(minutes=step),
        window_from=start,
        window_to=end,
        now=now,
        occupied=occupied or [],
        sessions_per_day=per_day or {},
    )


def utc_hours(found: list[Slot]) -> list[str]:
    return [s.starts_at.strftime("%H:%M") for s in found]


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        # Berlin: CET (UTC+1) until 2026-03-29 02:00, then CEST (UTC+2).
        ("Europe/Berlin", date(2026, 3, 28), ["08:00", "09:00", "10:00"]),
        ("Europe/Berlin", date(2026, 3, 29), ["07:00", "08:00", "09:00"]),
        # Berlin back to CET on 2026-10-25.
        ("Europe/Berlin", date(2026, 10, 24), ["07:00", "08:00", "09:00"]),
        ("Europe/Berlin", date(2026, 10, 25), ["08:00", "09:00", "10:00"]),
        # New York: EST (UTC-5) until 2026-03-08, then EDT (UTC-4); back on 2026-11-01.
        ("America/New_York", date(2026, 3, 7), ["14:00", "15:00", "16:00"]),
        ("America/New_York", date(2026, 3, 8), ["13:00", "14:00", "15:00"]),
        ("America/New_York", date(2026, 10, 31), ["13:00", "14:00", "15:00"]),
        ("America/New_York", date(2026, 11, 1), ["14:00", "15:00", "16:00"]),
    ],
)
def test_a_nine_to_twelve_rule_stays_nine_to_twelve_local_across_dst_changes(
    zone: str, day: date, expected: list[str]
) -> None:
    found = slots_on(availability(zone), day)
    assert utc_hours(found) == expected
    assert [s.starts_at.astimezone(ZoneInfo(zone)).hour for s in found] == [9, 10, 11]


def test_a_window_across_the_spring_gap_is_an_hour_shorter_and_the_autumn_one_longer() -> None:
    night = {d: [(1 * 60, 4 * 60)] for d in range(7)}  # 01:00-04:00 local
    spring = slots_on(availability("Europe/Berlin", night), date(2026, 3, 29))
    autumn = slots_on(availability("Europe/Berlin", night), date(2026, 10, 25))
    ordinary = slots_on(availability("Europe/Berlin", night), date(2026, 6, 1))
    assert len(ordinary) == 3
    assert len(spring) == 2  # 01:00 CET, 03:00 CEST (02:00 does not exist)
    assert len(autumn) == 4  # 01:00, 02:00 CEST, 02:00 CET, 03:00 CET
    assert [
        s.starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%H:%M") for s in spring
    ] == [
        "01:00",
        "03:00",
    ]
    # Every slot lasts its real hour, whatever the wall clock does.
    assert all(s.ends_at - s.starts_at == HOUR for s in spring + autumn)


def test_the_viewer_in_another_zone_sees_the_same_instants() -> None:
    found = slots_on(availability("America/New_York"), date(2026, 3, 8))
    tokyo = [s.starts_at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M") for s in found]
    assert tokyo == ["22:00", "23:00", "00:00"]


def test_overrides_replace_the_weekly_rule_and_a_day_off_has_no_slots() -> None:
    avail = availability(
        "Europe/Berlin",
        overrides={date(2026, 6, 1): [(14 * 60, 16 * 60)], date(2026, 6, 2): []},
    )
    assert utc_hours(slots_on(avail, date(2026, 6, 1))) == ["12:00", "13:00"]
    assert slots_on(avail, date(2026, 6, 2)) == []
    assert len(slots_on(avail, date(2026, 6, 3))) == 3


def test_buffers_keep_free_time_around_existing_sessions() -> None:
    avail = availability("UTC")
    day = date(2026, 6, 1)
    taken = [(datetime(2026, 6, 1, 10, tzinfo=UTC), datetime(2026, 6, 1, 10, 30, tzinfo=UTC))]
    plain = slots_on(avail, day, duration=30, step=30, occupied=taken)
    assert utc_hours(plain) == ["09:00", "09:30", "10:30", "11:00", "11:30"]
    buffered = slots_on(avail, day, duration=30, step=30, before=15, after=15, occupied=taken)
    assert utc_hours(buffered) == ["09:00", "11:00", "11:30"]


def test_minimum_notice_horizon_and_daily_limit() -> None:
    day = date(2026, 6, 1)
    now = datetime(2026, 6, 1, 7, tzinfo=UTC)
    noticed = slots_on(availability("UTC", notice=3 * HOUR), day, now=now)
    assert utc_hours(noticed) == ["10:00", "11:00"]
    short = slots_on(availability("UTC", horizon=timedelta(hours=3)), day, now=now)
    assert utc_hours(short) == ["09:00", "10:00"]
    assert slots_on(availability("UTC", daily_limit=2), day, per_day={day: 2}) == []
    assert len(slots_on(availability("UTC", daily_limit=2), day, per_day={day: 1})) == 3
    assert slots_on(availability("UTC"), day, now=datetime(2026, 6, 2, tzinfo=UTC)) == []


# --------------------------------------------------------------------------- brute force


def reference(
    avail: Availability,
    *,
    duration: timedelta,
    before: timedelta,
    after: timedelta,
    step: timedelta,
    window_from: datetime,
    window_to: datetime,
    now: datetime,
    occupied: list[tuple[datetime, datetime]],
    per_day: dict[date, int],
) -> list[datetime]:
    """Every UTC minute of the range, asked independently whether a slot starts there."""
    zone = ZoneInfo(avail.time_zone)

    def instant(day: date, minute: int) -> datetime:
        # Resolved another way: a naive wall time, localized with fold=0 via timestamp().
        naive = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
        return datetime.fromtimestamp(naive.replace(tzinfo=zone).timestamp(), UTC)

    found = []
    minute = window_from.replace(second=0, microsecond=0)
    while minute < window_to:
        ok = minute >= window_from and minute >= now + avail.min_notice
        ok = ok and minute <= now + avail.horizon
        if ok:
            ok = False
            for back in (0, 1, 2):
                day = minute.astimezone(zone).date() - timedelta(days=back)
                if avail.daily_limit is not None and per_day.get(day, 0) >= avail.daily_limit:
                    continue
                windows = avail.overrides.get(day, avail.weekly.get(day.weekday(), []))
                for w in windows:
                    opens, closes = instant(day, w.start_minute), instant(day, w.end_minute)
                    if (
                        opens <= minute
                        and minute + duration <= closes
                        and (minute - opens) % step == timedelta(0)
                    ):
                        ok = True
        if ok:
            lo, hi = minute - before, minute + duration + after
            ok = all(not (s < hi and e > lo) for s, e in occupied)
        if ok:
            found.append(minute)
        minute += timedelta(minutes=1)
    return found


@pytest.mark.parametrize("seed", range(12))
def test_free_slots_match_a_brute_force_reference_on_random_rules(seed: int) -> None:
    rng = random.Random(seed)
    zone = rng.choice(["Europe/Berlin", "America/New_York", "Australia/Sydney", "UTC"])
    # Around a DST change of the zone (both directions over the seeds).
    anchor = rng.choice(
        [
            datetime(2026, 3, 27, tzinfo=UTC),
            datetime(2026, 10, 23, tzinfo=UTC),
            datetime(2026, 3, 6, tzinfo=UTC),
            datetime(2026, 10, 30, tzinfo=UTC),
            datetime(2026, 4, 3, tzinfo=UTC),
        ]
    )
    weekly: dict[int, list[tuple[int, int]]] = {}
    for weekday in range(7):
        start = rng.randrange(0, 20) * 60 + rng.choice([0, 30])
        weekly[weekday] = [(start, min(1440, start + rng.choice([60, 120, 180, 240])))]
    overrides: dict[date, list[tuple[int, int]]] = {}
    for _ in range(2):
        day = (anchor + timedelta(days=rng.randrange(0, 4))).date()
        overrides[day] = rng.choice([[], [(rng.choice([60, 120, 480]), 720)]])
    avail = availability(
        zone,
        weekly,
        overrides,
        notice=timedelta(hours=rng.choice([0, 5, 30])),
        horizon=timedelta(days=rng.choice([2, 3, 30])),
        daily_limit=rng.choice([None, 1, 2]),
    )
    now = anchor + timedelta(hours=rng.randrange(0, 12))
    occupied = []
    for _ in range(rng.randrange(0, 4)):
        s = anchor + timedelta(minutes=rng.randrange(0, 4 * 24 * 4) * 15)
        occupied.append((s, s + timedelta(minutes=rng.choice([30, 60, 90]))))
    per_day = {(anchor + timedelta(days=1)).date(): rng.choice([0, 1, 2])}
    params: dict[str, Any] = {
        "duration": timedelta(minutes=rng.choice([30, 45, 60])),
        "step": timedelta(minutes=rng.choice([15, 30, 60])),
        "window_from": anchor,
        "window_to": anchor + timedelta(days=4),
        "now": now,
        "occupied": occupied,
    }
    before = timedelta(minutes=rng.choice([0, 10]))
    after = timedelta(minutes=rng.choice([0, 15]))
    got = free_slots(
        avail, buffer_before=before, buffer_after=after, sessions_per_day=per_day, **params
    )
    want = reference(avail, before=before, after=after, per_day=per_day, **params)
    assert [s.starts_at for s in got] == want
