"""Billing demo data (development only): a monthly solo plan with a 7-day trial, an annual
solo plan, an enterprise plan per seat. Idempotent: nothing happens when the plans exist."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.repository import plans as plans_repo
from campus.config import Settings
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


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    del settings, state
    for values in PLANS:
        await plans_repo.insert(
            session,
            {
                "id": new_id(),
                "status": "active",
                "unlock_kind": "all",
                "unlock_ids": [],
                "monthly_minor": None,
                "annual_minor": None,
                "lifetime_minor": None,
                **values,
            },
        )
