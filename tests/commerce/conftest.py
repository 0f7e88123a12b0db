"""Commerce test fixtures: buyers with tokens, paid courses in USD, EUR and JPY, coupons and
tax rates. Shared by the commerce tests; each part adds its own fixtures below its own
comment line with small edits."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from httpx import AsyncClient

from campus.catalog.schemas.fields import PriceIn
from campus.commerce.models import Coupon, TaxRate
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.main import create_app
from tests.conftest import _default_settings, _reset_state
from tests.fixtures.catalog import API, catalog, direct_course, principal
from tests.fixtures.identity import AppUser, IdentityFactory, identity

__all__ = ["API", "CommerceFactory", "PaidCourse", "catalog", "commerce", "identity"]

#: Prices the factories use, as the catalog stores them (minor units).
PRICES: dict[str, tuple[str, int]] = {
    "USD": ("49.99", 4999),
    "EUR": ("39.00", 3900),
    "JPY": ("5000", 5000),
}


@dataclass(frozen=True)
class PaidCourse:
    id: uuid.UUID
    title: str
    currency: str
    price_minor: int
    owner: AppUser

    @property
    def key(self) -> str:
        return str(self.id)


class CommerceFactory:
    """Buyers, sellers (instructors), an admin, paid courses, coupons and tax rates."""

    def __init__(self, app: FastAPI, client: AsyncClient, identity: IdentityFactory) -> None:
        self.app = app
        self.client = client
        self.identity = identity
        self.db: Database = app.state.db
        self._admin: AppUser | None = None
        self._instructor: AppUser | None = None

    async def buyer(self, first_name: str = "Bea") -> AppUser:
        """A signed-in student (``.headers`` carries the bearer token)."""
        return await self.identity.signed_in(roles=("student",), first_name=first_name)

    async def admin(self) -> AppUser:
        if self._admin is None:
            self._admin = await self.identity.signed_in(roles=("admin",), first_name="Root")
        return self._admin

    async def instructor(self, first_name: str = "Ida") -> AppUser:
        return await self.identity.signed_in(roles=("instructor",), first_name=first_name)

    async def seller(self) -> AppUser:
        """One instructor shared by the courses a test makes without naming an owner."""
        if self._instructor is None:
            self._instructor = await self.instructor()
        return self._instructor

    async def paid_course(
        self,
        currency: str = "USD",
        *,
        amount: str | None = None,
        owner: AppUser | None = None,
        published: bool = True,
        **fields: Any,
    ) -> PaidCourse:
        """A published paid course (built through catalog's services: fast)."""
        owner = owner or await self.seller()
        admin = await self.admin()
        price = amount or PRICES[currency][0]
        title = fields.pop("title", f"Paid course {uuid.uuid4().hex[:6]}")
        async with self.db.session() as session:
            course_id = await direct_course(
                session,
                principal(owner),
                principal(admin) if published else None,
                title=title,
                is_free=False,
                price=PriceIn(amount=price, currency=currency),
                **fields,
            )
        minor = PriceIn(amount=price, currency=currency)
        digits = {"JPY": 0}.get(currency, 2)
        return PaidCourse(course_id, title, currency, int(minor.amount.scaleb(digits)), owner)

    async def free_course(self, *, owner: AppUser | None = None) -> uuid.UUID:
        owner = owner or await self.seller()
        async with self.db.session() as session:
            return await direct_course(
                session, principal(owner), principal(await self.admin()), is_free=True
            )

    async def coupon(
        self,
        code: str | None = None,
        *,
        kind: str = "percent",
        percent_bp: int | None = 1000,
        amount_off_minor: int | None = None,
        currency: str | None = None,
        usage_limit: int | None = None,
        per_user_limit: int | None = 1,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
        owner_id: uuid.UUID | None = None,
        **fields: Any,
    ) -> Coupon:
        """A coupon written straight to its table (10 % off by default)."""
        admin = await self.admin()
        coupon = Coupon(
            id=new_id(),
            code=(code or f"SAVE{uuid.uuid4().hex[:6]}").upper(),
            kind=kind,
            percent_bp=percent_bp if kind == "percent" else None,
            amount_off_minor=amount_off_minor if kind == "fixed" else None,
            currency=currency,
            usage_limit=usage_limit,
            per_user_limit=per_user_limit,
            starts_at=starts_at or utcnow() - timedelta(days=1),
            ends_at=ends_at,
            owner_id=owner_id,
            created_by=admin.id,
            **{
                "course_ids": [],
                "category_ids": [],
                "instructor_ids": [],
                "used_count": 0,
                **fields,
            },
        )
        async with self.db.session() as session:
            session.add(coupon)
        return coupon

    async def tax_rate(
        self,
        country: str,
        rate_bp: int,
        *,
        state: str | None = None,
        type: str = "vat",
        name: str | None = None,
        valid_from: datetime | None = None,
        valid_to: datetime | None = None,
    ) -> TaxRate:
        rate = TaxRate(
            id=new_id(),
            country=country,
            state=state,
            name=name or f"{country} {type}",
            type=type,
            rate_bp=rate_bp,
            valid_from=valid_from or utcnow() - timedelta(days=365),
            valid_to=valid_to,
        )
        async with self.db.session() as session:
            session.add(rate)
        return rate


@pytest.fixture
def commerce(app: FastAPI, client: AsyncClient, identity: IdentityFactory) -> CommerceFactory:
    return CommerceFactory(app, client, identity)


# --------------------------------------------------------------------------- payments
# A Campus app served over real HTTP on 127.0.0.1 (a free port), so the sandbox gateway's
# webhook deliveries travel through httpx and uvicorn like a provider's. One per test process
# (like ``shared_app``); a payments test module uses it by overriding ``app`` with
# ``served_app``.


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
async def live_app(
    database_url: str, data_dir: Path, session_namespace: str
) -> AsyncIterator[FastAPI]:
    port = _free_port()
    settings = _default_settings(database_url, data_dir, session_namespace).replace(
        base_url=f"http://127.0.0.1:{port}"
    )
    application = create_app(settings)
    async with LifespanManager(application, startup_timeout=30, shutdown_timeout=30):
        config = uvicorn.Config(
            application, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
        server = uvicorn.Server(config)
        serving = asyncio.create_task(server.serve())
        while not server.started:
            if serving.done():
                serving.result()
            await asyncio.sleep(0.01)
        try:
            yield application
        finally:
            server.should_exit = True
            await serving


@pytest.fixture
async def served_app(live_app: FastAPI) -> AsyncIterator[FastAPI]:
    """The app under test, reachable over HTTP at its ``CAMPUS_BASE_URL``."""
    await live_app.state.limiter.reset_all()
    try:
        yield live_app
    finally:
        await _reset_state(live_app)
