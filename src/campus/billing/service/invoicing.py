"""Invoices of subscription charges: every paid charge (first period, renewal, dunning retry,
proration, seats) becomes a paid order and an invoice in commerce's numbering, through
``commerce.api.invoice_subscription_charge``, keyed by the charge's gateway idempotency key.
The subscriber finds them in their invoice list (``GET /commerce/invoices``) and in their
subscription's invoices."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.commerce import api as commerce
from campus.config import Settings
from campus.kernel.logging import get_logger

log = get_logger("campus.billing.invoicing")

KIND_TITLES = {
    "initial": "first period",
    "renewal": "renewal",
    "retry": "renewal",
    "proration": "plan change",
    "seats": "added seats",
}


async def invoice_charge(session: AsyncSession, settings: Settings, key: str) -> bool:
    """Issue the invoice of the paid charge recorded under ``key`` (once; asked again, the
    same invoice stands). False when there is no such paid charge."""
    charge = await repo.charge_by_key(session, key)
    if charge is None or charge.status != "succeeded" or charge.amount_minor <= 0:
        log.warning("subscription_invoice_skipped", key=key)
        return False
    subscription = await repo.get(session, charge.subscription_id)
    if subscription is None:
        return False
    plan = await plans_repo.get(session, subscription.plan_id)
    assert plan is not None
    title = (
        f"{plan.name} ({subscription.cycle}), {KIND_TITLES.get(charge.kind, charge.kind)}, "
        f"period {charge.period}"
    )
    await commerce.invoice_subscription_charge(
        session,
        settings,
        user_id=subscription.user_id,
        idempotency_key=key,
        product_id=plan.id,
        title=title,
        amount_minor=charge.amount_minor,
        currency=charge.currency,
    )
    return True
