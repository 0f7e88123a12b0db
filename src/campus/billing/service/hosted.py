"""Subscribing without a saved card: the first period is paid on the gateway's hosted page
(the sandbox's page, Stripe's, PayPal's), the way commerce takes an order's payment.

``POST /billing/subscriptions`` with ``checkout: true`` creates the subscription
``incomplete`` (it counts as the user's live subscription to the plan, so a second attempt is
``already_subscribed``; it gives no access) and starts a payment with the gateway key
``sub:{id}:checkout`` that saves the card the subscriber enters; the answer carries the page's
``checkoutUrl``. The gateway sends the subscriber back to
``GET /billing/subscriptions/{id}/return``, which asks the gateway where the payment stands: a
paid one makes the subscription ``active`` (period 1 starting now, the saved card its payment
method for the renewals, the charge recorded and invoiced like any first period). A page left
unpaid is settled by the renewal job after ``CAMPUS_BILLING_CHECKOUT_EXPIRY_MINUTES``: the
gateway's payment is cancelled (or found paid, and the subscription starts) and the
subscription is ``expired``. Every move is a conditional UPDATE on ``status = 'incomplete'``:
the return and the job settling at the same moment start the subscription once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import BillingCycle, SubscriptionStatus
from campus.billing.events import SubscriptionStarted
from campus.billing.exceptions import SubscriptionNotFound
from campus.billing.models import Subscription
from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.billing.service import charging
from campus.billing.service.periods import period_end
from campus.billing.settings import BillingSettings
from campus.commerce import api as commerce
from campus.commerce.data import ChargeResult
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.events import publish
from campus.kernel.logging import get_logger

log = get_logger("campus.billing.hosted")

INCOMPLETE = SubscriptionStatus.INCOMPLETE.value


def checkout_key(subscription_id: uuid.UUID) -> str:
    return f"sub:{subscription_id}:checkout"


def return_url(settings: Settings, subscription_id: uuid.UUID) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/billing/subscriptions/{subscription_id}/return"


def incomplete_values(settings: Settings, now: datetime) -> dict[str, object]:
    """The columns of a subscription waiting for its hosted payment."""
    minutes = BillingSettings.of(settings).checkout_expiry_minutes
    return {
        "status": INCOMPLETE,
        "period": 0,
        "anchor_at": None,
        "current_period_end": None,
        "trial_ends_at": None,
        "checkout_expires_at": now + timedelta(minutes=minutes),
    }


async def start(
    session: AsyncSession, settings: Settings, row: Subscription, *, amount_minor: int, title: str
) -> None:
    """Start the hosted payment of an ``incomplete`` subscription's first period."""
    url = return_url(settings, row.id)
    checkout = await commerce.start_hosted_payment(
        settings,
        amount_minor=amount_minor,
        currency=row.currency,
        idempotency_key=checkout_key(row.id),
        description=f"Campus subscription: {title}",
        reference=str(row.id),
        return_url=url,
        cancel_url=f"{url}?cancelled=true",
    )
    await repo.move(
        session,
        row.id,
        {"status": INCOMPLETE},
        {
            "checkout_payment_id": checkout.gateway_payment_id,
            "checkout_url": checkout.checkout_url,
        },
    )


async def settle(
    session: AsyncSession, settings: Settings, row: Subscription, now: datetime, *, final: bool
) -> None:
    """Ask the gateway where the hosted payment stands: paid starts the subscription; with
    ``final`` (the page expired) an unpaid one is cancelled at the gateway and the subscription
    expires."""
    if row.status != INCOMPLETE:
        return
    if row.checkout_payment_id is None:
        if final:
            await _expire(session, row, now)
        return
    outcome = await commerce.hosted_payment_outcome(
        session,
        settings,
        user_id=row.user_id,
        gateway_payment_id=row.checkout_payment_id,
        cancel_if_open=final,
    )
    if outcome.succeeded:
        await _activate(
            session,
            row,
            now,
            ChargeResult(
                outcome.gateway,
                outcome.gateway_payment_id,
                True,
                outcome.amount_minor,
                outcome.currency,
            ),
            outcome.payment_method_id,
        )
    elif final:
        await _expire(session, row, now)


async def _activate(
    session: AsyncSession,
    row: Subscription,
    now: datetime,
    paid: ChargeResult,
    method_id: uuid.UUID | None,
) -> None:
    _, discount_left = charging.price_after_coupon(row, row.unit_price_minor * row.quantity)
    end = period_end(now, BillingCycle(row.cycle), 1)
    moved = await repo.move(
        session,
        row.id,
        {"status": INCOMPLETE},
        {
            "status": SubscriptionStatus.ACTIVE.value,
            "period": 1,
            "anchor_at": now,
            "current_period_start": now,
            "current_period_end": end,
            "payment_method_id": method_id,
            "discount_periods_left": discount_left,
            "checkout_url": None,
            "checkout_expires_at": None,
        },
    )
    if not moved:
        return
    await charging.record(
        session,
        row,
        kind="initial",
        period=1,
        attempt=1,
        amount_minor=paid.amount_minor,
        key=checkout_key(row.id),
        result=paid,
    )
    plan = await plans_repo.get(session, row.plan_id)
    assert plan is not None
    await publish(
        session,
        SubscriptionStarted(
            subscription_id=row.id,
            user_id=row.user_id,
            plan_id=plan.id,
            plan_code=plan.code,
            status=SubscriptionStatus.ACTIVE.value,
            cycle=row.cycle,
            trial_ends_at=None,
            current_period_end=end,
            started_at=now,
        ),
    )
    log.info("subscription_checkout_paid", subscription_id=str(row.id))


async def _expire(session: AsyncSession, row: Subscription, now: datetime) -> None:
    if await repo.move(
        session,
        row.id,
        {"status": INCOMPLETE},
        {
            "status": SubscriptionStatus.EXPIRED.value,
            "ended_at": now,
            "checkout_url": None,
            "checkout_expires_at": None,
        },
    ):
        log.info("subscription_checkout_expired", subscription_id=str(row.id))


async def returned(
    session: AsyncSession,
    settings: Settings,
    principal: Principal | None,
    subscription_id: uuid.UUID,
    gateway_payment_id: str | None,
    now: datetime,
) -> Subscription:
    """The subscriber is back from the hosted page. The subscriber (signed in) or whoever
    holds the gateway's id of the checkout's payment (what the gateway appends to the return
    URL) may call it; anyone else gets a 404."""
    row = await repo.get(session, subscription_id)
    if row is None:
        raise SubscriptionNotFound()
    owner = principal is not None and principal.user_id == row.user_id
    holds = gateway_payment_id is not None and gateway_payment_id == row.checkout_payment_id
    if not owner and not holds:
        raise SubscriptionNotFound()
    await settle(session, settings, row, now, final=False)
    fresh = await repo.get(session, subscription_id)
    assert fresh is not None
    return fresh
