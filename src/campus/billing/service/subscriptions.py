"""Subscribing, and what a subscriber does with their subscription: cancel (at the period's
end by default, or at once with a prorated refund), resume, the auto-renew toggle, the payment
method, and plan changes (upgrades at once with proration, downgrades at the period's end).

Prices come from the plan, never from the request. Every state change is a conditional UPDATE
on the state it leaves; a lost race is a 409 ``subscription_not_changeable``."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import (
    ACCESS_STATUSES,
    SUBSCRIPTION_VIEW_ANY,
    BillingCycle,
    PlanStatus,
    PlanType,
    SubscriptionStatus,
)
from campus.billing.events import SubscriptionCancelled, SubscriptionStarted
from campus.billing.exceptions import (
    AlreadySubscribed,
    CycleNotOffered,
    PaymentDeclined,
    PaymentMethodNotFound,
    PlanNotFound,
    PlanRetired,
    SubscriptionNotChangeable,
    SubscriptionNotFound,
    TrialAlreadyUsed,
)
from campus.billing.models import Subscription
from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.billing.service import access, charging, coupon_terms, hosted
from campus.billing.service.organizations import require_org_admin
from campus.billing.service.periods import period_end, prorate
from campus.billing.service.records import (
    ChargeRecord,
    PlanRecord,
    SubscriptionRecord,
    charge_record,
    plan_record,
    subscription_record,
)
from campus.billing.settings import BillingSettings
from campus.commerce import api as commerce
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.events import publish
from campus.kernel.ids import new_id

LIVE = [status.value for status in ACCESS_STATUSES]


async def record(session: AsyncSession, row: Subscription) -> SubscriptionRecord:
    plan = await plans_repo.get(session, row.plan_id)
    assert plan is not None
    return subscription_record(row, plan_record(plan))


async def load(session: AsyncSession, subscription_id: uuid.UUID) -> SubscriptionRecord:
    row = await repo.get(session, subscription_id)
    if row is None:
        raise SubscriptionNotFound()
    return await record(session, row)


async def _own(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> Subscription:
    """The caller's subscription (another's is a 404, unless they may see every one)."""
    row = await repo.get(session, subscription_id)
    if row is None or (
        row.user_id != principal.user_id and not principal.has(SUBSCRIPTION_VIEW_ANY)
    ):
        raise SubscriptionNotFound()
    return row


async def _usable_plan(session: AsyncSession, plan_id: uuid.UUID) -> PlanRecord:
    row = await plans_repo.get(session, plan_id)
    if row is None:
        raise PlanNotFound()
    plan = plan_record(row)
    if plan.status is PlanStatus.RETIRED:
        raise PlanRetired()
    return plan


async def subscribe(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    plan_id: uuid.UUID,
    cycle: BillingCycle,
    payment_method_id: uuid.UUID | None,
    with_trial: bool = True,
    quantity: int = 1,
    organization_id: uuid.UUID | None = None,
    coupon_code: str | None = None,
    checkout: bool = False,
) -> SubscriptionRecord:
    """Start a subscription. With trial days (and ``with_trial``) it starts ``trialing``
    without a charge (one trial per user per plan: a second is a 409 ``trial_already_used``);
    otherwise the first period is charged at once to the saved method (a decline is a 409
    ``payment_declined`` and nothing is kept). A promo code from commerce takes one of its uses
    and discounts the paid periods its terms say (``coupon_terms``), by default the first
    ``CAMPUS_BILLING_COUPON_PERIODS`` (0: every one). With ``checkout`` the first period is
    paid on the gateway's hosted page instead (no trial, no saved method: ``hosted``); the
    subscription is ``incomplete`` until it is paid."""
    plan = await _usable_plan(session, plan_id)
    unit = plan.price_of(cycle)
    if unit is None:
        raise CycleNotOffered()
    if plan.plan_type is PlanType.SOLO and (quantity != 1 or organization_id is not None):
        raise field_error("quantity", "A solo plan has exactly one seat and no organization.")
    if plan.plan_type is PlanType.ENTERPRISE:
        if organization_id is None:
            raise field_error("organizationId", "An enterprise plan is bought for an organization.")
        await require_org_admin(session, principal, organization_id)
    if checkout and payment_method_id is not None:
        raise field_error("checkout", "Pay on the hosted page or with a saved method, not both.")
    if payment_method_id is not None and (
        await commerce.get_payment_method(session, principal.user_id, payment_method_id) is None
    ):
        raise PaymentMethodNotFound()
    discount: dict[str, object] = {}
    if coupon_code is not None:
        coupon = await commerce.redeem_subscription_coupon(
            session, code=coupon_code, user_id=principal.user_id, currency=plan.currency
        )
        discount = {
            "coupon_code": coupon.code,
            "discount_percent_bp": coupon.percent_bp,
            "discount_amount_minor": coupon.amount_off_minor,
            "discount_periods_left": await coupon_terms.discounted_periods(
                session, settings, coupon.coupon_id
            ),
        }
    now = utcnow()
    subscription_id = new_id()
    trialing = (
        not checkout and with_trial and plan.trial_days > 0 and cycle is not BillingCycle.LIFETIME
    )
    values: dict[str, object]
    if checkout:
        values = hosted.incomplete_values(settings, now)
    elif trialing:
        trial_end = now + timedelta(days=plan.trial_days)
        values = {
            "status": SubscriptionStatus.TRIALING.value,
            "period": 0,
            "anchor_at": trial_end,
            "current_period_end": trial_end,
            "trial_ends_at": trial_end,
        }
    else:
        values = {
            "status": SubscriptionStatus.ACTIVE.value,
            "period": 1,
            "anchor_at": now,
            "current_period_end": period_end(now, cycle, 1),
            "trial_ends_at": None,
        }
    try:
        async with session.begin_nested():
            await repo.insert(
                session,
                {
                    **values,
                    **discount,
                    "id": subscription_id,
                    "user_id": principal.user_id,
                    "organization_id": organization_id,
                    "plan_id": plan.id,
                    "cycle": cycle.value,
                    "quantity": quantity,
                    "seats_assigned": 0,
                    "unit_price_minor": unit,
                    "currency": plan.currency,
                    "payment_method_id": payment_method_id,
                    "current_period_start": now,
                    "auto_renew": cycle is not BillingCycle.LIFETIME,
                },
            )
    except IntegrityError as exc:  # the live-subscription index decides, not a read
        raise AlreadySubscribed() from exc
    row = await repo.get(session, subscription_id)
    assert row is not None
    if checkout:
        amount, _ = charging.price_after_coupon(row, unit * quantity)
        if amount <= 0:
            raise field_error("checkout", "The first period costs nothing: nothing to pay.")
        await hosted.start(session, settings, row, amount_minor=amount, title=plan.name)
        row = await repo.get(session, subscription_id)
        assert row is not None
        return subscription_record(row, plan)
    if trialing:
        if not await repo.take_trial(session, principal.user_id, plan.id, subscription_id):
            raise TrialAlreadyUsed()
    else:
        amount, discount_left = charging.price_after_coupon(row, unit * quantity)
        result = await charging.charge(
            session,
            settings,
            row,
            kind="initial",
            period=1,
            attempt=1,
            amount_minor=amount,
            key=charging.period_key(row, 1),
        )
        if not result.succeeded:
            raise PaymentDeclined(details={"failureCode": result.failure_code})
        if discount_left != row.discount_periods_left:
            await repo.move(session, row.id, {}, {"discount_periods_left": discount_left})
            row = await repo.get(session, subscription_id)
            assert row is not None
    await publish(
        session,
        SubscriptionStarted(
            subscription_id=subscription_id,
            user_id=principal.user_id,
            plan_id=plan.id,
            plan_code=plan.code,
            status=row.status,
            cycle=cycle.value,
            trial_ends_at=row.trial_ends_at,
            current_period_end=row.current_period_end,
            started_at=now,
        ),
    )
    return subscription_record(row, plan)


async def list_mine(
    session: AsyncSession, principal: Principal, *, offset: int, limit: int
) -> tuple[list[SubscriptionRecord], int]:
    rows, total = await repo.list_for_user(session, principal.user_id, offset=offset, limit=limit)
    plans = await plans_repo.get_many(session, {row.plan_id for row in rows})
    return [subscription_record(row, plan_record(plans[row.plan_id])) for row in rows], total


async def current(session: AsyncSession, principal: Principal) -> SubscriptionRecord | None:
    """The caller's live subscription (the newest), or their latest one, or None."""
    rows, _ = await repo.list_for_user(session, principal.user_id, offset=0, limit=50)
    if not rows:
        return None
    live = [row for row in rows if row.status in LIVE]
    return await record(session, (live or rows)[0])


async def get_mine(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> SubscriptionRecord:
    return await record(session, await _own(session, principal, subscription_id))


async def charges(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    offset: int,
    limit: int,
) -> tuple[list[ChargeRecord], int]:
    await _own(session, principal, subscription_id)
    rows, total = await repo.charges_of(session, subscription_id, offset=offset, limit=limit)
    return [charge_record(row) for row in rows], total


async def cancel(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    subscription_id: uuid.UUID,
    *,
    immediately: bool,
    reason: str | None,
    feedback: str | None,
) -> SubscriptionRecord:
    """Cancel at the period's end (access stays until then; ``resume`` undoes it) or at once:
    access ends now and, with ``CAMPUS_BILLING_CANCEL_REFUND_MODE=prorated``, the unused part
    of the paid period is refunded (rounded down to the minor unit)."""
    row = await _own(session, principal, subscription_id)
    if row.organization_id is not None and row.user_id != principal.user_id:
        raise SubscriptionNotFound()
    now = utcnow()
    refund_minor = 0
    if not immediately:
        if row.current_period_end is None:
            raise SubscriptionNotChangeable()
        moved = await repo.move(
            session,
            row.id,
            {"status": LIVE, "cancel_at_period_end": False},
            {
                "cancel_at_period_end": True,
                "cancelled_at": now,
                "cancel_reason": reason,
                "cancel_feedback": feedback,
                "cancel_mid_cycle": False,
            },
        )
        if not moved:
            raise SubscriptionNotChangeable()
        ends_at = row.current_period_end
    else:
        moved = await repo.move(
            session,
            row.id,
            {"status": LIVE, "period": row.period},
            {
                "status": SubscriptionStatus.CANCELLED.value,
                "cancelled_at": now,
                "cancel_reason": reason,
                "cancel_feedback": feedback,
                "cancel_mid_cycle": True,
                "ended_at": now,
                "next_retry_at": None,
            },
        )
        if not moved:
            raise SubscriptionNotChangeable()
        ends_at = now
        mode = BillingSettings.of(settings).cancel_refund_mode
        if mode == "prorated" and row.status == SubscriptionStatus.ACTIVE.value:
            refund_minor = await _refund_unused(session, settings, row, now)
        await access.end_access(session, row.id)
    await publish(
        session,
        SubscriptionCancelled(
            subscription_id=row.id,
            user_id=row.user_id,
            at_period_end=not immediately,
            reason=reason,
            refund_minor=refund_minor,
            currency=row.currency,
            ends_at=ends_at,
            cancelled_at=now,
        ),
    )
    return await load(session, row.id)


async def _refund_unused(
    session: AsyncSession, settings: Settings, row: Subscription, now: datetime
) -> int:
    paid = await repo.last_paid_charge(session, row.id, row.period)
    if paid is None or paid.gateway_payment_id is None or row.current_period_end is None:
        return 0
    amount = prorate(paid.amount_minor, row.current_period_start, row.current_period_end, now)
    if amount <= 0:
        return 0
    key = f"sub:{row.id}:period:{row.period}:refund"
    result = await commerce.refund_charge(
        settings,
        gateway_payment_id=paid.gateway_payment_id,
        amount_minor=amount,
        currency=row.currency,
        idempotency_key=key,
        reason="subscription cancelled",
    )
    await repo.add_charge(
        session,
        {
            "id": new_id(),
            "subscription_id": row.id,
            "kind": "refund",
            "period": row.period,
            "attempt": 1,
            "amount_minor": amount,
            "currency": row.currency,
            "status": "succeeded" if result.succeeded else "failed",
            "failure_code": result.failure_code,
            "gateway": result.gateway,
            "gateway_payment_id": paid.gateway_payment_id,
            "idempotency_key": key,
        },
    )
    return amount if result.succeeded else 0


async def resume(
    session: AsyncSession, principal: Principal, subscription_id: uuid.UUID
) -> SubscriptionRecord:
    """Undo a cancellation at the period's end while the period runs."""
    row = await _own(session, principal, subscription_id)
    moved = await repo.move(
        session,
        row.id,
        {"status": LIVE, "cancel_at_period_end": True},
        {
            "cancel_at_period_end": False,
            "cancelled_at": None,
            "cancel_reason": None,
            "cancel_feedback": None,
            "cancel_mid_cycle": None,
        },
    )
    if not moved:
        raise SubscriptionNotChangeable()
    return await load(session, row.id)


async def update_settings(
    session: AsyncSession,
    principal: Principal,
    subscription_id: uuid.UUID,
    *,
    auto_renew: bool | None,
    payment_method_id: uuid.UUID | None,
) -> SubscriptionRecord:
    """The auto-renew toggle and the payment method renewals are charged to."""
    row = await _own(session, principal, subscription_id)
    values: dict[str, object] = {}
    if auto_renew is not None:
        if row.cycle == BillingCycle.LIFETIME.value and auto_renew:
            raise SubscriptionNotChangeable()
        values["auto_renew"] = auto_renew
    if payment_method_id is not None:
        if await commerce.get_payment_method(session, row.user_id, payment_method_id) is None:
            raise PaymentMethodNotFound()
        values["payment_method_id"] = payment_method_id
    if values and not await repo.move(session, row.id, {"status": LIVE}, values):
        raise SubscriptionNotChangeable()
    return await load(session, row.id)


async def change_plan(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    subscription_id: uuid.UUID,
    *,
    plan_id: uuid.UUID,
) -> SubscriptionRecord:
    """Move to another plan of the same cycle and currency. A dearer plan (an upgrade) applies
    at once and charges the difference for the rest of the period, prorated and rounded down;
    a cheaper or equal one (a downgrade) applies at the next renewal, without a refund."""
    row = await _own(session, principal, subscription_id)
    if row.status != SubscriptionStatus.ACTIVE.value or row.current_period_end is None:
        raise SubscriptionNotChangeable()
    current_plan = await plans_repo.get(session, row.plan_id)
    assert current_plan is not None
    target = await _usable_plan(session, plan_id)
    cycle = BillingCycle(row.cycle)
    unit = target.price_of(cycle)
    if unit is None:
        raise CycleNotOffered()
    if target.currency != row.currency or target.plan_type.value != current_plan.plan_type:
        raise field_error("planId", "The new plan must have the same type and currency.")
    if target.id == row.plan_id:
        moved = await repo.move(session, row.id, {"status": LIVE}, {"pending_plan_id": None})
        return await load(session, row.id)
    if unit <= row.unit_price_minor:
        if not await repo.move(
            session,
            row.id,
            {"status": "active", "period": row.period},
            {"pending_plan_id": target.id},
        ):
            raise SubscriptionNotChangeable()
        return await load(session, row.id)
    now = utcnow()
    difference = prorate(
        (unit - row.unit_price_minor) * row.quantity,
        row.current_period_start,
        row.current_period_end,
        now,
    )
    moved = await repo.move(
        session,
        row.id,
        {"status": "active", "period": row.period, "plan_id": row.plan_id},
        {"plan_id": target.id, "unit_price_minor": unit, "pending_plan_id": None},
    )
    if not moved:
        raise SubscriptionNotChangeable()
    result = await charging.charge(
        session,
        settings,
        row,
        kind="proration",
        period=row.period,
        attempt=1,
        amount_minor=difference,
        key=f"sub:{row.id}:period:{row.period}:change:{target.id}",
    )
    if not result.succeeded:
        raise PaymentDeclined(details={"failureCode": result.failure_code})
    return await load(session, row.id)
