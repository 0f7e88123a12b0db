"""The renewal job: renewals that fell due, dunning retries, grace periods that ran out,
cancellations that reach the period's end, trial reminders.

**Exactly once per period.** Each subscription is handled in the job's transaction: the rows
are selected ``FOR UPDATE SKIP LOCKED`` (on PostgreSQL two workers take different rows), and
the move to the next period is a conditional UPDATE on the period it leaves, so a second run
(late, or concurrent on a backend without row locks) finds nothing to do. The charge of period
``n`` carries the gateway idempotency key ``sub:{id}:period:{n}``: when a run dies after the
charge and before its commit, the next run asks again with the same key, the gateway answers
the payment it already took, and that one payment is recorded.

**Dunning.** A failed renewal makes the subscription ``past_due``: it keeps its access for
``CAMPUS_BILLING_GRACE_PERIOD_DAYS`` days from the due date, and the charge is retried
``CAMPUS_BILLING_DUNNING_RETRY_DAYS`` days after the due date (each attempt recorded with its
outcome and failure code). A successful retry returns it to ``active`` for the period it was
due for; when the grace period ends without one it is ``expired`` and its access ends.

**Running late.** When the job has not run for a while (several periods missed), a
subscription moves one step per run: its renewal is charged once, for the period the run's
moment falls in (the periods missed are not charged; the anchor day is kept), a past-due one
takes its next dunning retry (the next one, also overdue, waits for the next run), and the end
of its grace period comes on a later run again. A run's follow-up batches skip the
subscriptions it already moved (``due_ids(unchanged_since=...)``)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import BillingCycle, SubscriptionStatus
from campus.billing.events import (
    GraceStarted,
    PaymentFailed,
    SubscriptionExpired,
    SubscriptionRenewed,
    TrialEnding,
)
from campus.billing.models import Subscription
from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.billing.service import access, charging, hosted
from campus.billing.service.periods import period_end
from campus.billing.service.records import plan_record
from campus.billing.settings import BillingSettings
from campus.config import Settings
from campus.kernel.events import publish
from campus.kernel.logging import get_logger

log = get_logger("campus.billing.renewals")


async def run_due(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    *,
    run_started: datetime | None = None,
) -> int:
    """Handle one batch of due subscriptions; returns how many were looked at (a full batch
    means there may be more). A follow-up batch of a run passes the run's ``run_started``: it
    skips the subscriptions changed since, so one run moves each subscription one step."""
    config = BillingSettings.of(settings)
    ids = await repo.due_ids(
        session,
        now,
        remind_before=now + timedelta(days=config.trial_reminder_days),
        limit=config.renewal_batch_size,
        unchanged_since=run_started,
    )
    for subscription_id in ids:
        await handle(session, settings, subscription_id, now)
    return len(ids)


async def handle(
    session: AsyncSession, settings: Settings, subscription_id: uuid.UUID, now: datetime
) -> None:
    """Whatever is due for one subscription at ``now`` (nothing when nothing is)."""
    row = await repo.get(session, subscription_id)
    if row is None:
        return
    status = SubscriptionStatus(row.status)
    due = row.current_period_end is not None and row.current_period_end <= now
    if status in {SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING} and due:
        if row.cancel_at_period_end or not row.auto_renew:
            await _end(session, row, now, SubscriptionStatus.CANCELLED, "cancelled")
        else:
            await _renew(session, settings, row, now)
    elif status is SubscriptionStatus.PAST_DUE:
        if row.next_retry_at is not None and row.next_retry_at <= now:
            await _retry(session, settings, row, now)
        elif row.next_retry_at is None and row.grace_ends_at and row.grace_ends_at <= now:
            await _end(session, row, now, SubscriptionStatus.EXPIRED, "payment_failed")
    elif status is SubscriptionStatus.TRIALING and not row.trial_reminded:
        await _remind(session, row)
    elif (
        status is SubscriptionStatus.INCOMPLETE
        and row.checkout_expires_at is not None
        and row.checkout_expires_at <= now
    ):
        await hosted.settle(session, settings, row, now, final=True)


async def _remind(session: AsyncSession, row: Subscription) -> None:
    if row.trial_ends_at is None:
        return
    if await repo.move(
        session, row.id, {"status": "trialing", "trial_reminded": False}, {"trial_reminded": True}
    ):
        await publish(
            session,
            TrialEnding(
                subscription_id=row.id, user_id=row.user_id, trial_ends_at=row.trial_ends_at
            ),
        )


async def _next_terms(session: AsyncSession, row: Subscription) -> tuple[uuid.UUID, int, int]:
    """Plan, unit price and quantity of the coming period: a pending downgrade or seat
    decrease takes effect now."""
    plan_id, unit = row.plan_id, row.unit_price_minor
    if row.pending_plan_id is not None:
        pending = await plans_repo.get(session, row.pending_plan_id)
        if pending is not None:
            price = plan_record(pending).price_of(BillingCycle(row.cycle))
            if price is not None:
                plan_id, unit = pending.id, price
    quantity = row.pending_quantity or row.quantity
    return plan_id, unit, max(quantity, row.seats_assigned)


def period_to_open(row: Subscription, now: datetime) -> int:
    """The period a payment made at ``now`` opens: the next one, or, when the job ran late
    and that one has already ended, the one ``now`` falls in (the periods missed meanwhile are
    not charged; the anchor day is kept)."""
    period = row.period + 1
    if row.anchor_at is None:
        return period
    cycle = BillingCycle(row.cycle)
    end = period_end(row.anchor_at, cycle, period)
    while end is not None and end <= now:
        period += 1
        end = period_end(row.anchor_at, cycle, period)
    return period


def _period_values(row: Subscription, period: int) -> dict[str, object]:
    assert row.anchor_at is not None
    assert row.current_period_end is not None
    cycle = BillingCycle(row.cycle)
    start = (
        row.current_period_end
        if period == row.period + 1
        else period_end(row.anchor_at, cycle, period - 1)
    )
    return {
        "period": period,
        "current_period_start": start,
        "current_period_end": period_end(row.anchor_at, cycle, period),
    }


async def _renew(
    session: AsyncSession, settings: Settings, row: Subscription, now: datetime
) -> None:
    """Charge period ``n + 1`` of an active (or trialing) subscription whose period ended
    (the one ``now`` falls in when the job ran late: ``period_to_open``). The gateway key
    stays ``sub:{id}:period:{n + 1}`` whatever the period opened, so a run that died after the
    charge finds its payment again even when the next run comes a period later."""
    period = period_to_open(row, now)
    plan_id, unit, quantity = await _next_terms(session, row)
    amount, discount_left = charging.price_after_coupon(row, unit * quantity)
    # Claim the period: the row is ours until commit, and a run that comes later finds the
    # period moved (or the subscription past due) and does nothing.
    claimed = await repo.move(
        session,
        row.id,
        {"status": row.status, "period": row.period, "current_period_end": row.current_period_end},
        {"updated_at": now},
    )
    if not claimed:
        return
    result = await charging.charge(
        session,
        settings,
        row,
        kind="renewal",
        period=period,
        attempt=1,
        amount_minor=amount,
        key=charging.period_key(row, row.period + 1),
    )
    if result.succeeded:
        await _paid(session, row, period, (plan_id, unit, quantity, discount_left), amount, now)
        return
    await _failed(
        session,
        settings,
        row,
        period,
        attempt=1,
        amount=amount,
        now=now,
        failure=result.failure_code,
    )


async def _paid(
    session: AsyncSession,
    row: Subscription,
    period: int,
    terms: tuple[uuid.UUID, int, int, int | None],
    amount: int,
    now: datetime,
) -> None:
    """Period ``period`` is paid: its terms (plan, unit price, seats, discounted periods
    left) become the subscription's."""
    plan_id, unit, quantity, discount_left = terms
    values = _period_values(row, period)
    await repo.move(
        session,
        row.id,
        {"period": row.period},
        {
            **values,
            "status": SubscriptionStatus.ACTIVE.value,
            "plan_id": plan_id,
            "unit_price_minor": unit,
            "quantity": quantity,
            "pending_plan_id": None,
            "pending_quantity": None,
            "discount_periods_left": discount_left,
            "grace_ends_at": None,
            "next_retry_at": None,
            "retry_count": 0,
        },
    )
    end = values["current_period_end"]
    assert isinstance(end, datetime)
    await publish(
        session,
        SubscriptionRenewed(
            subscription_id=row.id,
            user_id=row.user_id,
            period=period,
            amount_minor=amount,
            currency=row.currency,
            current_period_end=end,
            renewed_at=now,
        ),
    )
    log.info("subscription_renewed", subscription_id=str(row.id), period=period)


def _retry_at(settings: Settings, due: datetime, attempt: int) -> datetime | None:
    """When retry number ``attempt`` (1-based) runs: its day after the due date, or None."""
    days = BillingSettings.of(settings).retry_days
    return due + timedelta(days=days[attempt - 1]) if attempt <= len(days) else None


async def _failed(
    session: AsyncSession,
    settings: Settings,
    row: Subscription,
    period: int,
    *,
    attempt: int,
    amount: int,
    now: datetime,
    failure: str | None,
) -> None:
    """A renewal (``attempt`` 1) or a retry failed: past due, the next retry scheduled."""
    assert row.current_period_end is not None
    due = row.current_period_end
    next_retry = _retry_at(settings, due, attempt)
    grace_ends = due + timedelta(days=BillingSettings.of(settings).grace_period_days)
    if next_retry is not None and next_retry >= grace_ends:
        next_retry = None
    await repo.move(
        session,
        row.id,
        {"period": row.period},
        {
            "status": SubscriptionStatus.PAST_DUE.value,
            "grace_ends_at": grace_ends,
            "retry_count": attempt - 1,
            "next_retry_at": next_retry,
        },
    )
    await publish(
        session,
        PaymentFailed(
            subscription_id=row.id,
            user_id=row.user_id,
            period=period,
            attempt=attempt,
            amount_minor=amount,
            currency=row.currency,
            failure_code=failure or "declined",
            next_retry_at=next_retry,
            failed_at=now,
        ),
    )
    if attempt == 1:
        await publish(
            session,
            GraceStarted(
                subscription_id=row.id,
                user_id=row.user_id,
                grace_ends_at=grace_ends,
                started_at=now,
            ),
        )
    log.info("subscription_payment_failed", subscription_id=str(row.id), attempt=attempt)


async def _retry(
    session: AsyncSession, settings: Settings, row: Subscription, now: datetime
) -> None:
    """Dunning: retry the charge of the period that failed (paid late, it opens the period
    ``now`` falls in)."""
    period = period_to_open(row, now)
    attempt = row.retry_count + 2  # the renewal was attempt 1
    claimed = await repo.move(
        session,
        row.id,
        {"status": "past_due", "period": row.period, "retry_count": row.retry_count},
        {"updated_at": now},
    )
    if not claimed:
        return
    plan_id, unit, quantity = await _next_terms(session, row)
    amount, discount_left = charging.price_after_coupon(row, unit * quantity)
    result = await charging.charge(
        session,
        settings,
        row,
        kind="retry",
        period=period,
        attempt=attempt,
        amount_minor=amount,
        key=f"{charging.period_key(row, row.period + 1)}:retry:{attempt - 1}",
    )
    if result.succeeded:
        await _paid(session, row, period, (plan_id, unit, quantity, discount_left), amount, now)
        return
    await _failed(
        session,
        settings,
        row,
        period,
        attempt=attempt,
        amount=amount,
        now=now,
        failure=result.failure_code,
    )


async def _end(
    session: AsyncSession,
    row: Subscription,
    now: datetime,
    status: SubscriptionStatus,
    reason: str,
) -> None:
    """The subscription ends (cancelled at its period's end, or grace over): access ends."""
    moved = await repo.move(
        session,
        row.id,
        {"status": row.status, "period": row.period},
        {"status": status.value, "ended_at": now, "next_retry_at": None},
    )
    if not moved:
        return
    await access.end_access(session, row.id)
    await publish(
        session,
        SubscriptionExpired(
            subscription_id=row.id, user_id=row.user_id, reason=reason, expired_at=now
        ),
    )
