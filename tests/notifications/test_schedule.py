"""Quiet hours and digest periods on the user's wall clock, across time zones and a daylight
saving change."""

from __future__ import annotations

from datetime import UTC, datetime

from campus.notifications.service.schedule import digest_period, quiet_until


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_quiet_hours_across_midnight_end_at_the_local_morning() -> None:
    # 23:30 in Paris (CET, UTC+1) is inside 22:00-07:00: it waits until 07:00 Paris = 06:00 UTC.
    assert quiet_until(at(2026, 1, 14, 22, 30), "Europe/Paris", 22 * 60, 7 * 60) == at(
        2026, 1, 15, 6, 0
    )
    # The same instant in New York (17:30) is outside the window.
    assert quiet_until(at(2026, 1, 14, 22, 30), "America/New_York", 22 * 60, 7 * 60) is None
    # After midnight, before the end.
    assert quiet_until(at(2026, 1, 15, 2, 0), "Europe/Paris", 22 * 60, 7 * 60) == at(
        2026, 1, 15, 6, 0
    )


def test_quiet_hours_follow_the_clock_across_a_daylight_saving_change() -> None:
    # Night of 28-29 March 2026: Paris moves from UTC+1 to UTC+2 at 02:00 local.
    # 23:00 local on the 28th (22:00 UTC) waits until 07:00 local on the 29th = 05:00 UTC,
    # eight hours of wall clock but seven real hours.
    assert quiet_until(at(2026, 3, 28, 22, 0), "Europe/Paris", 22 * 60, 7 * 60) == at(
        2026, 3, 29, 5, 0
    )
    # Autumn: 25 October 2026, UTC+2 -> UTC+1; 07:00 local is 06:00 UTC.
    assert quiet_until(at(2026, 10, 24, 21, 0), "Europe/Paris", 22 * 60, 7 * 60) == at(
        2026, 10, 25, 6, 0
    )
    # A window ending in the spring-forward gap (02:30 does not exist) ends at 03:30 local.
    assert quiet_until(at(2026, 3, 29, 0, 30), "Europe/Paris", 1 * 60, 2 * 60 + 30) == at(
        2026, 3, 29, 1, 30
    )


def test_a_digest_is_due_from_the_local_morning_and_weekly_on_its_weekday() -> None:
    # 05:30 UTC is 07:30 in Paris (summer time, before 08:00) and 14:30 in Tokyo.
    assert digest_period(at(2026, 3, 30, 5, 30), "Europe/Paris", "daily", 8, 0) is None
    assert digest_period(at(2026, 3, 30, 5, 30), "Asia/Tokyo", "daily", 8, 0) == "2026-03-30"
    assert digest_period(at(2026, 3, 30, 6, 0), "Europe/Paris", "daily", 8, 0) == "2026-03-30"
    # Monday 30 March 2026 is in ISO week 14; Tuesday is not the weekly digest's day.
    assert digest_period(at(2026, 3, 30, 7, 0), "Europe/Paris", "weekly", 8, 0) == "2026-W14"
    assert digest_period(at(2026, 3, 31, 7, 0), "Europe/Paris", "weekly", 8, 0) is None
