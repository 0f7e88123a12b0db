"""Billing's settings section (``CAMPUS_BILLING_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class BillingSettings(SettingsSection):
    """The grace period after a failed renewal and its dunning schedule, what an immediate
    cancellation refunds, when trial reminders go out and how many renewals a job run takes."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_BILLING_", extra="ignore", frozen=True)

    #: Days a subscription keeps its access after a failed renewal.
    grace_period_days: int = Field(default=7, ge=0, le=60)
    #: Days after the first failure on which the charge is retried (comma-separated).
    dunning_retry_days: str = "1,3,5"
    #: ``prorated``: an immediate cancellation refunds the unused part of the period.
    cancel_refund_mode: Literal["none", "prorated"] = "prorated"
    #: Days before a trial ends when ``billing.trial_ending`` is announced.
    trial_reminder_days: int = Field(default=3, ge=0, le=30)
    #: Subscriptions one run of the renewal job takes (a full batch queues the next one).
    renewal_batch_size: int = Field(default=200, ge=1, le=10_000)
    #: How often the renewal job runs, in minutes.
    renewal_interval_minutes: int = Field(default=15, ge=1, le=24 * 60)

    #: Minutes a subscription waits for its first payment on the gateway's hosted page.
    checkout_expiry_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)

    #: Paid periods a promo code discounts: 1 the first period only, N the first N, 0 for ever.
    coupon_periods: int = Field(default=1, ge=0, le=120)

    @field_validator("dunning_retry_days")
    @classmethod
    def _days(cls, value: str) -> str:
        days = [part.strip() for part in value.split(",") if part.strip()]
        if not all(day.isdigit() and 0 < int(day) <= 60 for day in days):
            raise ValueError("a comma-separated list of days between 1 and 60")
        if [int(d) for d in days] != sorted({int(d) for d in days}):
            raise ValueError("the days must increase")
        return ",".join(days)

    @property
    def retry_days(self) -> tuple[int, ...]:
        return tuple(int(day) for day in self.dunning_retry_days.split(",") if day)
