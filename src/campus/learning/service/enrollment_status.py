"""An enrollment's status as of now: access past its expiry reads as expired."""

from __future__ import annotations

from datetime import datetime

from campus.learning.data import ACCESS_STATUSES, EnrollmentStatus
from campus.learning.models import Enrollment


def effective_status(row: Enrollment, now: datetime) -> EnrollmentStatus:
    """The stored status, except that access past ``expires_at`` reads as expired (the expiry
    job writes it down later)."""
    status = EnrollmentStatus(row.status)
    if status in ACCESS_STATUSES and row.expires_at is not None and row.expires_at <= now:
        return EnrollmentStatus.EXPIRED
    return status


def has_access(row: Enrollment, now: datetime) -> bool:
    return effective_status(row, now) in ACCESS_STATUSES
