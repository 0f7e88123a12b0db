"""Charging a subscription through commerce's gateway, each attempt recorded.

Every attempt has a stable idempotency key at the gateway: ``sub:{id}:period:{n}`` for the
charge of period ``n`` (first period or renewal), ``sub:{id}:period:{n}:retry:{k}`` for the
k-th dunning retry, ``sub:{id}:period:{n}:change:{x}`` for a proration. Asked twice, the
gateway returns the same payment: a run that crashed after the charge and before its record
charges nothing the second time and records the payment it finds.

Each paid charge is invoiced by commerce (``invoicing``) after the charge's transaction
commits: a job per charge, keyed by the charge's idempotency key, so it is issued once."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.events import INVOICE_CHARGE_JOB
from campus.billing.models import Subscription
from campus.billing.repository import subscriptions as repo
from campus.billing.service.periods import discounted
from campus.commerce import api as commerce
from campus.commerce.data import ChargeResult
from campus.config import Settings
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job

#: Charges that are invoiced (a refund is not a sale).
INVOICED_KINDS = frozenset({"initial", "renewal", "retry", "proration", "seats"})


def period_key(subscription: Subscription, period: int) -> str:
    return f"sub:{subscription.id}:period:{period}"


async def charge(
    session: AsyncSession,
    settings: Settings,
    subscription: Subscription,
    *,
    kind: str,
    period: int,
    attempt: int,
    amount_minor: int,
    key: str,
) -> ChargeResult:
    """Charge the subscription's payment method and record the attempt (in ``session``)."""
    if amount_minor <= 0:
        result = ChargeResult("none", None, True, 0, subscription.currency)
    else:
        result = await commerce.charge_saved_method(
            session,
            settings,
            user_id=subscription.user_id,
            method_id=subscription.payment_method_id,
            amount_minor=amount_minor,
            currency=subscription.currency,
            idempotency_key=key,
            description=f"Campus subscription, period {period}",
            reference=str(subscription.id),
        )
    await record(
        session,
        subscription,
        kind=kind,
        period=period,
        attempt=attempt,
        amount_minor=amount_minor,
        key=key,
        result=result,
    )
    return result


async def record(
    session: AsyncSession,
    subscription: Subscription,
    *,
    kind: str,
    period: int,
    attempt: int,
    amount_minor: int,
    key: str,
    result: ChargeResult,
) -> None:
    """Record one attempt's outcome (once per key) and queue a paid one's invoice."""
    await repo.add_charge(
        session,
        {
            "id": new_id(),
            "subscription_id": subscription.id,
            "kind": kind,
            "period": period,
            "attempt": attempt,
            "amount_minor": amount_minor,
            "currency": subscription.currency,
            "status": "succeeded" if result.succeeded else "failed",
            "failure_code": result.failure_code,
            "gateway": result.gateway,
            "gateway_payment_id": result.gateway_payment_id,
            "idempotency_key": key,
        },
    )
    if result.succeeded and amount_minor > 0 and kind in INVOICED_KINDS:
        # Commerce invoices the charge in a job of its own: the year's invoice number is taken
        # under a lock the renewal batch would otherwise hold until its commit.
        await enqueue_job(session, INVOICE_CHARGE_JOB, {"key": key})


def price_after_coupon(subscription: Subscription, amount_minor: int) -> tuple[int, int | None]:
    """What a period costs with the subscription's promo code, and the discounted periods left
    after paying it (None: for ever, or no promo code)."""
    left = subscription.discount_periods_left
    if subscription.coupon_code is None or (left is not None and left <= 0):
        return amount_minor, left
    price = discounted(
        amount_minor, subscription.discount_percent_bp, subscription.discount_amount_minor
    )
    return price, None if left is None else left - 1
