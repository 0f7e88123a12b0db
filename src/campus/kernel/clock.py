"""The one source of "now". Tests replace it to drive time instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _system_now() -> datetime:
    return datetime.now(UTC)


class Clock:
    """A swappable UTC clock. ``freeze``/``advance`` are for tests and benchmarks."""

    def __init__(self) -> None:
        self._source: Callable[[], datetime] = _system_now
        self._frozen: datetime | None = None

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return self._source()

    def freeze(self, at: datetime | None = None) -> datetime:
        moment = at or _system_now()
        if moment.tzinfo is None:
            raise ValueError("the clock only holds aware UTC datetimes")
        self._frozen = moment.astimezone(UTC)
        return self._frozen

    def advance(self, **delta: float) -> datetime:
        if self._frozen is None:
            raise RuntimeError("advance() needs a frozen clock")
        self._frozen = self._frozen + timedelta(**delta)
        return self._frozen

    def unfreeze(self) -> None:
        self._frozen = None


clock = Clock()


def utcnow() -> datetime:
    return clock.now()


def as_utc(value: datetime) -> datetime:
    """Databases without time zones (SQLite) return naive datetimes; they are UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
