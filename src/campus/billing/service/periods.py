"""Billing periods and proration, in integer minor units.

**Rounding rule.** A prorated amount is ``amount * remaining seconds // period seconds``
computed on integers and rounded **down** to the minor unit: an upgrade charges at most the
exact share and a refund returns at most the exact share; the fraction of a minor unit is
never charged nor refunded. Periods are calendar months and years: the 31st of January
renews on the last day of February, then on the 31st of March again (the anchor day is kept).
"""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from campus.billing.data import BillingCycle


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` plus ``months`` calendar months, the day clamped to the month's length."""
    index = anchor.month - 1 + months
    year, month = anchor.year + index // 12, index % 12 + 1
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def period_end(anchor: datetime, cycle: BillingCycle, periods: int) -> datetime | None:
    """The end of the ``periods``-th period counted from ``anchor`` (None: lifetime)."""
    if cycle is BillingCycle.MONTHLY:
        return add_months(anchor, periods)
    if cycle is BillingCycle.ANNUAL:
        return add_months(anchor, 12 * periods)
    return None


def prorate(amount_minor: int, start: datetime, end: datetime, now: datetime) -> int:
    """The part of ``amount_minor`` for what is left of ``[start, end)`` at ``now``, rounded
    down (module docstring)."""
    total = int((end - start) / timedelta(seconds=1))
    remaining = int((end - max(now, start)) / timedelta(seconds=1))
    if total <= 0 or remaining <= 0:
        return 0
    return amount_minor * min(remaining, total) // total


def discounted(amount_minor: int, percent_bp: int | None, amount_off_minor: int | None) -> int:
    """A period's price after a promo code: a percentage off rounded down to the minor unit
    (``amount * bp // 10000``), or a fixed amount off; never below zero."""
    if percent_bp is not None:
        return amount_minor - amount_minor * percent_bp // 10_000
    if amount_off_minor is not None:
        return max(amount_minor - amount_off_minor, 0)
    return amount_minor
