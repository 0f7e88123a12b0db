"""The reconciler (PAY-04): payments of pending orders still open after
``CAMPUS_COMMERCE_RECONCILE_AFTER_MINUTES`` are looked up at their gateway, and what it says
is applied as a webhook would have (``apply_gateway_payment``). An event the provider never
delivered, or one lost on the way, therefore still ends in the right state. Refunds whose
provider's answer was lost are asked again with their key (``refunds.reconcile_pending``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.gateways.port import GatewayError, PaymentGateway
from campus.commerce.repository import payments as repo
from campus.commerce.service import refunds
from campus.commerce.service.payments import ApplyOutcome, apply_view
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.logging import get_logger

log = get_logger("campus.commerce.reconcile")

#: Periodic job: reconcile stale open payments.
RECONCILE_JOB: Final = "commerce.reconcile_payments"
RECONCILE_EVERY: Final = timedelta(minutes=5)
BATCH: Final = 200


async def reconcile(session: AsyncSession, gateway: PaymentGateway, settings: Settings) -> int:
    """Look up one batch of stale open payments and of unanswered refunds; returns how many
    changed."""
    minutes = CommerceSettings.of(settings).reconcile_after_minutes
    stale = await repo.stale_open(session, utcnow() - timedelta(minutes=minutes), BATCH)
    changed = 0
    for payment in stale:
        if payment.gateway != gateway.name or payment.gateway_payment_id is None:
            continue
        try:
            view = await gateway.get_payment(payment.gateway_payment_id)
        except GatewayError as exc:
            log.warning("reconcile_lookup_failed", payment_id=str(payment.id), error=str(exc)[:200])
            continue
        if await apply_view(session, view, source="reconcile") == ApplyOutcome.APPLIED:
            changed += 1
    log.info("payments_reconciled", looked_up=len(stale), changed=changed)
    settled = await refunds.reconcile_pending(
        session, gateway, settings, before=utcnow() - timedelta(minutes=minutes)
    )
    if settled:
        log.info("refunds_reconciled", settled=settled)
    return changed + settled
