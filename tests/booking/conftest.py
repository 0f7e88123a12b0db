"""Booking test fixtures: service types through the API, consultants with weekly availability,
learners, bookings and a frozen clock on a known Monday."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from campus.commerce.gateways.sandbox import store_for
from campus.commerce.models import PaymentMethod, SandboxPayment
from campus.kernel.clock import Clock
from tests.fixtures.identity import AppUser, IdentityFactory, identity

__all__ = ["API", "DECLINED_CARD", "BookingFactory", "booking", "identity"]

API = "/api/v1/booking"
#: Sandbox test cards: one that pays, one that is declined.
GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
#: A Monday, 06:00 UTC: tests book the next days' slots.
MONDAY = datetime(2027, 3, 1, 6, 0, tzinfo=UTC)


class BookingFactory:
    def __init__(self, app: FastAPI, client: AsyncClient, identity: IdentityFactory) -> None:
        self.app = app
        self.client = client
        self.identity = identity
        self._admin: AppUser | None = None

    async def admin(self) -> AppUser:
        if self._admin is None:
            self._admin = await self.identity.signed_in(roles=("admin",), first_name="Root")
        return self._admin

    async def service_type(self, **fields: Any) -> dict[str, Any]:
        admin = await self.admin()
        body = {"name": "Career talk", "durationMinutes": 60, **fields}
        response = await self.client.post(f"{API}/service-types", json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def consultant(
        self,
        types: list[dict[str, Any]],
        *,
        time_zone: str = "UTC",
        weekly: list[dict[str, Any]] | None = None,
        overrides: list[dict[str, Any]] | None = None,
        min_notice: int = 0,
        horizon: int = 60,
        daily_limit: int | None = None,
        name: str = "Sofia",
        specializations: tuple[str, ...] = ("Python",),
        languages: tuple[str, ...] = ("en",),
    ) -> AppUser:
        user = await self.identity.signed_in(roles=("consultant",), first_name=name)
        profile = {
            "displayName": f"{name} Keller",
            "timeZone": time_zone,
            "specializations": list(specializations),
            "languages": list(languages),
            "serviceTypeIds": [t["id"] for t in types],
        }
        response = await self.client.put(
            f"{API}/consultants/me", json=profile, headers=user.headers
        )
        assert response.status_code == 200, response.text
        availability = {
            "weekly": weekly
            if weekly is not None
            else [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)],
            "overrides": overrides or [],
            "minNoticeMinutes": min_notice,
            "horizonDays": horizon,
            "dailyLimit": daily_limit,
        }
        response = await self.client.put(
            f"{API}/consultants/me/availability", json=availability, headers=user.headers
        )
        assert response.status_code == 200, response.text
        return user

    async def fresh(self, *users: AppUser) -> None:
        """New access tokens after the clock moved past their lifetime."""
        for user in users:
            await self.identity.start_session(user)

    async def card(self, user: AppUser, number: str = GOOD_CARD) -> uuid.UUID:
        """A saved sandbox card of ``user`` (its test number decides charges)."""
        token = f"pm_{uuid.uuid4().hex[:24]}"
        store = await store_for(self.app.state.settings)
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
        async with self.app.state.db.session() as session:
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

    async def learner(self, name: str = "Maria") -> AppUser:
        return await self.identity.signed_in(first_name=name)

    async def book(
        self,
        learner: AppUser,
        kind: dict[str, Any],
        consultant: AppUser | None,
        starts_at: datetime,
        *,
        status: int = 201,
        time_zone: str = "Europe/Madrid",
        **extra: Any,
    ) -> dict[str, Any]:
        body = {
            "serviceTypeId": kind["id"],
            "startsAt": starts_at.isoformat(),
            "timeZone": time_zone,
            **({"consultantUserId": str(consultant.id)} if consultant else {}),
            **extra,
        }
        response = await self.client.post(f"{API}/sessions", json=body, headers=learner.headers)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result

    async def act(
        self, user: AppUser, session_id: str, action: str, body: Any = None, status: int = 200
    ) -> dict[str, Any]:
        response = await self.client.post(
            f"{API}/sessions/{session_id}/{action}", json=body, headers=user.headers
        )
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result

    async def get(self, user: AppUser, session_id: str, status: int = 200) -> dict[str, Any]:
        response = await self.client.get(f"{API}/sessions/{session_id}", headers=user.headers)
        assert response.status_code == status, response.text
        result: dict[str, Any] = response.json()
        return result


@pytest.fixture
def booking(app: FastAPI, client: AsyncClient, identity: IdentityFactory) -> BookingFactory:
    return BookingFactory(app, client, identity)


@pytest.fixture
def monday(frozen_clock: Clock) -> Clock:
    frozen_clock.freeze(MONDAY)
    return frozen_clock


def at(days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` after the frozen Monday, at ``hour`` UTC."""
    return (MONDAY + timedelta(days=days)).replace(hour=hour, minute=minute)


def new_uuid() -> str:
    return str(uuid.uuid4())
