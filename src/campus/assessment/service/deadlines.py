"""When a timed quiz attempt or an exam is over: its deadline plus the grace allowed for
answers already in flight (``CAMPUS_ASSESSMENT_ANSWER_GRACE_SECONDS``)."""

from __future__ import annotations

from datetime import datetime, timedelta


def closes_at(deadline: datetime, grace_seconds: int) -> datetime:
    return deadline + timedelta(seconds=grace_seconds)


def is_over(deadline: datetime | None, grace_seconds: int, now: datetime) -> bool:
    """True once ``now`` is past the deadline plus grace (never without a deadline)."""
    return deadline is not None and now > closes_at(deadline, grace_seconds)


def auto_submit_at(deadline: datetime, grace_seconds: int) -> datetime:
    """When the job that closes an unfinished attempt runs: just after it is over."""
    return closes_at(deadline, grace_seconds) + timedelta(seconds=1)
