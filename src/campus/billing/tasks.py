"""Billing's jobs: the periodic renewal run (renewals, dunning retries, ends of grace periods
and of cancelled subscriptions, trial reminders), and freeing the seats of a member who left
their organization."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing import events
from campus.billing.service import invoicing, renewals, seats
from campus.billing.settings import BillingSettings
from campus.config import Settings
from campus.identity.events import OrgMemberRemoved
from campus.kernel.clock import utcnow
from campus.kernel.outbox import Delivery, HandlerRegistry, enqueue_job


def register(registry: HandlerRegistry, settings: Settings) -> None:
    config = BillingSettings.of(settings)

    async def run_renewals(session: AsyncSession, delivery: Delivery) -> None:
        now = utcnow()
        started = delivery.payload.get("runStartedAt")
        run_started = datetime.fromisoformat(started) if isinstance(started, str) else None
        handled = await renewals.run_due(session, settings, now, run_started=run_started)
        if handled >= config.renewal_batch_size:
            # A full batch: the next one runs as its own job (its own transaction), skipping
            # what this run already moved: one step per subscription per run, however late.
            first = run_started or now
            await enqueue_job(
                session, events.RENEWALS_BATCH_JOB, {"runStartedAt": first.isoformat()}
            )

    registry.periodic(
        events.RUN_RENEWALS_JOB, timedelta(minutes=config.renewal_interval_minutes), run_renewals
    )
    registry.job(events.RENEWALS_BATCH_JOB, run_renewals)

    async def invoice_charge(session: AsyncSession, delivery: Delivery) -> None:
        await invoicing.invoice_charge(session, settings, str(delivery.payload["key"]))

    registry.job(events.INVOICE_CHARGE_JOB, invoice_charge)

    async def free_seats(session: AsyncSession, event: OrgMemberRemoved) -> None:
        await seats.on_member_removed(session, event.org_id, event.user_id)

    registry.on(OrgMemberRemoved, "billing.free_seats_of_removed_member", free_seats)
