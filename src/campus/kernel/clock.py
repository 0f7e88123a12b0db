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


#: The latest and earliest moments a ``datetime`` can hold, in UTC. Deadline arithmetic
#: saturates at these instead of raising ``OverflowError`` ("open forever" is a real setting).
MAX_INSTANT = datetime.max.replace(tzinfo=UTC)
MIN_INSTANT = datetime.min.replace(tzinfo=UTC)


def add_saturating(moment: datetime, delta: timedelta) -> datetime:
    """``moment + delta``, clamped to ``MIN_INSTANT``..``MAX_INSTANT`` instead of overflowing.

    Every deadline, expiry and "run at" computed from a client-chosen date goes through this:
    a quiz available until 9999-12-31 plus a grace period is still 9999-12-31, not a 500.
    """
    try:
        return moment + delta
    except OverflowError:
        bound = datetime.max if delta > timedelta(0) else datetime.min
        return bound.replace(tzinfo=moment.tzinfo)


def as_utc(value: datetime) -> datetime:
    """Databases without time zones (SQLite) return naive datetimes; they are UTC. Aware values
    are converted, saturating at ``MIN_INSTANT``/``MAX_INSTANT``."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 9999-12-31T23:00:00-05:00 is past the last UTC moment a datetime holds: saturate.
        offset = value.utcoffset()
        return MAX_INSTANT if offset is not None and offset < timedelta(0) else MIN_INSTANT
