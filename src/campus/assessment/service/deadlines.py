"""When a timed quiz attempt or an exam is over: its deadline plus the grace allowed for
answers already in flight (``CAMPUS_ASSESSMENT_ANSWER_GRACE_SECONDS``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from campus.kernel.clock import add_saturating


def closes_at(deadline: datetime, grace_seconds: int) -> datetime:
    return add_saturating(deadline, timedelta(seconds=grace_seconds))


def is_over(deadline: datetime | None, grace_seconds: int, now: datetime) -> bool:
    """True once ``now`` is past the deadline plus grace (never without a deadline)."""
    return deadline is not None and now > closes_at(deadline, grace_seconds)


def auto_submit_at(deadline: datetime, grace_seconds: int) -> datetime:
    """When the job that closes an unfinished attempt runs: just after it is over."""
    return add_saturating(closes_at(deadline, grace_seconds), timedelta(seconds=1))


def ends_at(start: datetime, duration: timedelta, closes: datetime | None) -> datetime:
    """The deadline of something that lasts ``duration`` from ``start`` but never past
    ``closes`` (a quiz's ``availableUntil``, an exam's due date); saturates, never overflows."""
    end = add_saturating(start, duration)
    return end if closes is None or end <= closes else closes
