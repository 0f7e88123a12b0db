"""Billing demo data (development only): a monthly solo plan with a 7-day trial, an annual
solo plan, an enterprise plan per seat; a demo student on an active monthly subscription;
the demo company (identity's Acme Learning) with 5 seats of the enterprise plan, 3 assigned
to its learners. Idempotent: nothing happens when the plans exist."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import BillingCycle, SubscriptionStatus
from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.billing.service.periods import period_end
from campus.config import Settings
from campus.identity import api as identity
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.module import SeedState

PLANS = (
    {
        "code": "solo-monthly",
        "name": "Campus Unlimited (monthly)",
        "description": "Every published course, billed monthly. Starts with a 7-day trial.",
        "plan_type": "solo_learner",
        "currency": "USD",
        "monthly_minor": 2900,
        "trial_days": 7,
        "features": ["Every published course", "Certificates", "Cancel any time"],
    },
    {
        "code": "solo-annual",
        "name": "Campus Unlimited (annual)",
        "description": "Every published course, billed yearly (two months free).",
        "plan_type": "solo_learner",
        "currency": "USD",
        "annual_minor": 29000,
        "trial_days": 0,
        "features": ["Every published course", "Certificates", "Two months free"],
    },
    {
        "code": "teams",
        "name": "Campus for Teams",
        "description": "Every published course for your people, per seat and month.",
        "plan_type": "enterprise",
        "currency": "USD",
        "monthly_minor": 2500,
        "annual_minor": 25000,
        "trial_days": 0,
        "features": ["Seats you assign", "Team reporting", "CSV export"],
    },
)


#: The demo student on an active subscription, and the demo company's admin and learners.
SUBSCRIBER = "lucas@campus.example"
COMPANY_ADMIN = "priya@campus.example"
COMPANY_SLUG = "acme"
SEAT_HOLDERS = ("maria@campus.example", "kenji@campus.example", "amara@campus.example")
COMPANY_SEATS = 5


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    del settings
    plan_ids: dict[str, uuid.UUID] = {}
    for values in PLANS:
        plan_id = new_id()
        if not await plans_repo.insert(
            session,
            {
                "id": plan_id,
                "status": "active",
                "unlock_kind": "all",
                "unlock_ids": [],
                "monthly_minor": None,
                "annual_minor": None,
                "lifetime_minor": None,
                **values,
            },
        ):
            return  # seeded before
        plan_ids[str(values["code"])] = plan_id
    now = utcnow()
    subscriber = state.user_ids.get(SUBSCRIBER)
    if subscriber is not None:
        await _subscription(session, subscriber, plan_ids["solo-monthly"], 2900, 1, None, now)
    admin = state.user_ids.get(COMPANY_ADMIN)
    if admin is None:
        return
    memberships = await identity.organizations_of(session, admin)
    company = next(
        (m.organization for m in memberships if m.organization.slug == COMPANY_SLUG), None
    )
    if company is None:
        return
    holders = [state.user_ids[email] for email in SEAT_HOLDERS if email in state.user_ids]
    subscription_id = await _subscription(
        session, admin, plan_ids["teams"], 2500, COMPANY_SEATS, company.id, now, len(holders)
    )
    for holder in holders:
        await repo.add_seat(
            session,
            {
                "id": new_id(),
                "subscription_id": subscription_id,
                "user_id": holder,
                "assigned_by": admin,
                "assigned_at": now,
            },
        )


async def _subscription(
    session: AsyncSession,
    user_id: uuid.UUID,
    plan_id: uuid.UUID,
    unit_minor: int,
    quantity: int,
    organization_id: uuid.UUID | None,
    now: datetime,
    seats_assigned: int = 0,
) -> uuid.UUID:
    """An active monthly subscription in its first period (the demo takes no payment)."""
    subscription_id = new_id()
    await repo.insert(
        session,
        {
            "id": subscription_id,
            "user_id": user_id,
            "organization_id": organization_id,
            "plan_id": plan_id,
            "cycle": BillingCycle.MONTHLY.value,
            "status": SubscriptionStatus.ACTIVE.value,
            "quantity": quantity,
            "seats_assigned": seats_assigned,
            "unit_price_minor": unit_minor,
            "currency": "USD",
            "period": 1,
            "anchor_at": now,
            "current_period_start": now,
            "current_period_end": period_end(now, BillingCycle.MONTHLY, 1),
        },
    )
    return subscription_id
