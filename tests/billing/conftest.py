"""Billing test fixtures: plans made through the API, saved sandbox cards, subscriptions and
the renewal job run at the frozen clock's moment."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient

from campus.billing.models import Charge, Subscription
from campus.billing.service import renewals
from campus.commerce.gateways.sandbox import store_for
from campus.commerce.models import PaymentMethod, SandboxPayment
from campus.config import Settings
from campus.identity.models import Organization, OrganizationMember
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.outbox import OutboxMessage
from tests.commerce.conftest import API, CommerceFactory, catalog, commerce, identity
from tests.fixtures.identity import AppUser

__all__ = ["API", "BillingFactory", "billing", "catalog", "commerce", "identity"]

PLANS = f"{API}/billing/plans"
SUBSCRIPTIONS = f"{API}/billing/subscriptions"

#: Sandbox test cards: one that pays, one that is declined.
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"


class BillingFactory:
    def __init__(
        self, app: FastAPI, client: AsyncClient, commerce: CommerceFactory, settings: Settings
    ) -> None:
        self.app = app
        self.client = client
        self.commerce = commerce
        self.settings = settings
        self.db: Database = app.state.db

    async def plan(self, **fields: Any) -> dict[str, Any]:
        admin = await self.commerce.admin()
        body: dict[str, Any] = {
            "code": f"plan-{uuid.uuid4().hex[:8]}",
            "name": "Unlimited",
            "type": "solo_learner",
            "prices": {"monthly": {"amount": "30.00", "currency": "USD"}},
            "trialDays": 0,
            "unlocks": {"kind": "all"},
            **fields,
        }
        response = await self.client.post(PLANS, json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def card(self, user: AppUser, number: str = GOOD_CARD) -> uuid.UUID:
        """A saved card of ``user`` the sandbox knows (its test rule decides charges)."""
        token = f"pm_{uuid.uuid4().hex[:24]}"
        store = await store_for(self.settings)
        async with store.session() as session:
            session.add(
                SandboxPayment(
                    id=f"pi_{uuid.uuid4().hex[:24]}",
                    idempotency_key=f"card-setup:{token}",
                    amount_minor=100,
                    currency="USD",
                    status="succeeded",
                    return_url="https://campus.example/",
                    cancel_url="https://campus.example/",
                    buyer_email="",
                    card_brand="visa",
                    card_last4=number[-4:],
                    card_token=token,
                    card_exp_month=12,
                    card_exp_year=2099,
                    save_card=True,
                )
            )
        method_id = uuid.uuid4()
        async with self.db.session() as session:
            session.add(
                PaymentMethod(
                    id=method_id,
                    user_id=user.id,
                    gateway="sandbox",
                    token=token,
                    brand="visa",
                    last4=number[-4:],
                    exp_month=12,
                    exp_year=2099,
                    is_default=False,
                )
            )
        return method_id

    async def subscribe(
        self, user: AppUser, plan_id: str, *, key: str | None = None, **body: Any
    ) -> Any:
        """POST a subscription; returns the response."""
        return await self.client.post(
            SUBSCRIPTIONS,
            json={"planId": plan_id, **body},
            headers={**user.headers, "Idempotency-Key": key or uuid.uuid4().hex},
        )

    async def subscribed(self, user: AppUser, plan_id: str, **body: Any) -> dict[str, Any]:
        response = await self.subscribe(user, plan_id, **body)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def run_renewals(self) -> int:
        async with self.db.session() as session:
            return await renewals.run_due(session, self.settings, utcnow())

    async def state(self, subscription_id: str) -> tuple[int, str, int, int]:
        """(period, status, quantity, seats assigned) of the subscription as stored."""
        async with self.db.read_session() as session:
            found = await session.get(Subscription, uuid.UUID(subscription_id))
            assert found is not None
            return found.period, found.status, found.quantity, found.seats_assigned

    async def charges(self, subscription_id: str) -> list[tuple[str, int, int, int, str]]:
        """(kind, period, attempt, amount, status) of the recorded charges, oldest first."""
        async with self.db.read_session() as session:
            rows = await session.execute(
                sa.select(
                    Charge.kind, Charge.period, Charge.attempt, Charge.amount_minor, Charge.status
                )
                .where(Charge.subscription_id == uuid.UUID(subscription_id))
                .order_by(Charge.created_at, Charge.id)
            )
            return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]

    async def gateway_payments(self, subscription_id: str) -> list[tuple[str, int, str]]:
        """The payments the sandbox gateway holds for the subscription (its own records):
        (idempotency key, amount, status), by key."""
        store = await store_for(self.settings)
        async with store.read_session() as session:
            rows = await session.execute(
                sa.select(
                    SandboxPayment.idempotency_key,
                    SandboxPayment.amount_minor,
                    SandboxPayment.status,
                )
                .where(SandboxPayment.idempotency_key.like(f"sub:{subscription_id}:%"))
                .order_by(SandboxPayment.idempotency_key)
            )
            return [(row[0], row[1], row[2]) for row in rows]


@pytest.fixture
def billing(
    app: FastAPI, client: AsyncClient, commerce: CommerceFactory, settings: Settings
) -> BillingFactory:
    return BillingFactory(app, client, commerce, settings)


def days(n: int) -> timedelta:
    return timedelta(days=n)


async def event_names(db: Database, prefix: str = "billing.") -> list[str]:
    """The names of the events published so far (the outbox), oldest first."""
    async with db.read_session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage.name)
            .where(OutboxMessage.kind == "event", OutboxMessage.name.like(f"{prefix}%"))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
        )
        return list(rows)


async def organization(db: Database, members: list[tuple[AppUser, str]]) -> uuid.UUID:
    """An organization with ``members`` in their roles (``org_admin``, ``manager``,
    ``learner``), written as identity stores them."""
    org_id = uuid.uuid4()
    async with db.session() as session:
        session.add(Organization(id=org_id, name="Acme", slug=f"acme-{org_id.hex[:8]}"))
        await session.flush()
        for user, role in members:
            session.add(OrganizationMember(org_id=org_id, user_id=user.id, role=role))
    return org_id
