"""Saved payment methods: a buyer lists theirs, chooses the default, removes one (the gateway
forgets it too). Only the gateway's token and display data (brand, last four digits, expiry)
are ever stored; another buyer's method is a 404."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.exceptions import PaymentMethodNotFound
from campus.commerce.gateways.port import GatewayError, PaymentGateway
from campus.commerce.models import PaymentMethod
from campus.commerce.repository import payment_methods as repo
from campus.kernel.auth import Principal
from campus.kernel.logging import get_logger

log = get_logger("campus.commerce.payment_methods")


@dataclass(frozen=True, slots=True)
class PaymentMethodRecord:
    id: uuid.UUID
    gateway: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    created_at: datetime


def record_of(row: PaymentMethod) -> PaymentMethodRecord:
    return PaymentMethodRecord(
        id=row.id,
        gateway=row.gateway,
        brand=row.brand,
        last4=row.last4,
        exp_month=row.exp_month,
        exp_year=row.exp_year,
        is_default=row.is_default,
        created_at=row.created_at,
    )


async def list_mine(
    session: AsyncSession, principal: Principal, *, offset: int, limit: int
) -> tuple[list[PaymentMethodRecord], int]:
    rows, total = await repo.list_for(session, principal.user_id, offset=offset, limit=limit)
    return [record_of(row) for row in rows], total


async def set_default(
    session: AsyncSession, principal: Principal, method_id: uuid.UUID
) -> PaymentMethodRecord:
    if not await repo.set_default(session, principal.user_id, method_id):
        raise PaymentMethodNotFound()
    row = await repo.get_for(session, principal.user_id, method_id)
    assert row is not None
    return record_of(row)


async def remove(
    session: AsyncSession, gateway: PaymentGateway, principal: Principal, method_id: uuid.UUID
) -> None:
    """Forget the method here and at its gateway. The gateway is asked first; a gateway that
    cannot be reached does not keep the buyer's wish from taking effect here (the token is
    useless to anyone else)."""
    row = await repo.get_for(session, principal.user_id, method_id)
    if row is None:
        raise PaymentMethodNotFound()
    if row.gateway == gateway.name:
        try:
            await gateway.detach_payment_method(row.token)
        except GatewayError as exc:
            log.warning("payment_method_detach_failed", method_id=str(row.id), error=str(exc))
    if not await repo.delete(session, principal.user_id, method_id):
        raise PaymentMethodNotFound()
    if row.is_default:
        await repo.promote_newest(session, principal.user_id)
