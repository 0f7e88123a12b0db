"""Gateway webhooks about subscriptions (``POST /billing/webhooks/{gateway}``): verified by
commerce's gateway (signature, timestamp), recorded once per (gateway, event id) so a
redelivery changes nothing, applied in the request's one transaction.

* **Dispute opened** on a payment that was a subscription's charge: the subscription is
  ``suspended`` (from ``active``, ``trialing`` or ``past_due``): its access ends at once (the
  entitlements its grants list are revoked, progress kept) and the renewal job leaves it alone.
* **Dispute closed**: ``won`` returns it to ``active`` (the renewal job charges it when its
  period has ended meanwhile); ``lost`` (or any other closing) makes it ``expired``.
* **Payment method updated** (the card network's new expiry or number, applied to commerce's
  saved method): a ``past_due`` subscription charged to that method is retried on the next run
  instead of waiting for its next dunning day.
* Anything else, or a payment Campus did not charge for a subscription, is recorded and
  answered 2xx (the provider stops retrying)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import SubscriptionStatus
from campus.billing.events import SubscriptionExpired, SubscriptionSuspended
from campus.billing.models import Subscription
from campus.billing.repository import subscriptions as repo
from campus.billing.repository import webhooks as webhooks_repo
from campus.billing.service import access
from campus.commerce import api as commerce
from campus.config import Settings
from campus.kernel.events import publish
from campus.kernel.logging import get_logger

log = get_logger("campus.billing.webhooks")

SUSPENDABLE = [
    SubscriptionStatus.ACTIVE.value,
    SubscriptionStatus.TRIALING.value,
    SubscriptionStatus.PAST_DUE.value,
]


@dataclass(frozen=True, slots=True)
class Receipt:
    event_id: str
    duplicate: bool
    outcome: str | None


async def receive(
    session: AsyncSession,
    settings: Settings,
    gateway_name: str,
    raw_body: bytes,
    headers: Mapping[str, str],
    now: datetime,
) -> Receipt:
    event = await commerce.verify_subscription_webhook(
        session, settings, gateway_name, raw_body, headers
    )
    if not await webhooks_repo.claim(session, event.gateway, event.event_id, event.provider_type):
        log.info("billing_webhook_received", event_id=event.event_id, outcome="duplicate")
        return Receipt(event.event_id, duplicate=True, outcome=None)
    outcome, subscription_id = "ignored", None
    if event.kind in ("dispute_opened", "dispute_closed") and event.gateway_payment_id:
        charge = await webhooks_repo.paid_charge_of(
            session, event.gateway, event.gateway_payment_id
        )
        if charge is None:
            outcome = "unknown_payment"
        else:
            subscription_id = charge.subscription_id
            row = await repo.get(session, charge.subscription_id)
            assert row is not None
            if event.kind == "dispute_opened":
                outcome = await _suspend(session, row, event.gateway_payment_id, now)
            else:
                outcome = await _close(session, row, event.dispute_status, now)
    elif event.kind == "payment_method_updated":
        outcome = await _retry_sooner(session, list(event.updated_method_ids), now)
    await webhooks_repo.finish(session, event.gateway, event.event_id, outcome, subscription_id)
    log.info(
        "billing_webhook_received",
        event_id=event.event_id,
        event_type=event.provider_type,
        outcome=outcome,
        subscription_id=str(subscription_id) if subscription_id else None,
    )
    return Receipt(event.event_id, duplicate=False, outcome=outcome)


async def _suspend(
    session: AsyncSession, row: Subscription, gateway_payment_id: str, now: datetime
) -> str:
    if not await repo.move(
        session,
        row.id,
        {"status": SUSPENDABLE},
        {"status": SubscriptionStatus.SUSPENDED.value, "next_retry_at": None},
    ):
        return "unchanged"
    await access.end_access(session, row.id)
    await publish(
        session,
        SubscriptionSuspended(
            subscription_id=row.id,
            user_id=row.user_id,
            gateway_payment_id=gateway_payment_id,
            suspended_at=now,
        ),
    )
    return "suspended"


async def _close(
    session: AsyncSession, row: Subscription, dispute_status: str | None, now: datetime
) -> str:
    suspended = {"status": SubscriptionStatus.SUSPENDED.value}
    if dispute_status == "won":
        moved = await repo.move(
            session,
            row.id,
            suspended,
            {"status": SubscriptionStatus.ACTIVE.value, "grace_ends_at": None, "retry_count": 0},
        )
        return "reinstated" if moved else "unchanged"
    if not await repo.move(
        session,
        row.id,
        suspended,
        {"status": SubscriptionStatus.EXPIRED.value, "ended_at": now},
    ):
        return "unchanged"
    await publish(
        session,
        SubscriptionExpired(
            subscription_id=row.id, user_id=row.user_id, reason="dispute_lost", expired_at=now
        ),
    )
    return "expired"


async def _retry_sooner(session: AsyncSession, method_ids: list[uuid.UUID], now: datetime) -> str:
    if not method_ids:
        return "unknown_payment_method"
    moved = await webhooks_repo.retry_past_due_now(session, method_ids, now)
    return "retry_scheduled" if moved else "no_subscription"
