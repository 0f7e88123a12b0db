"""Promo duration per coupon: plan managers say how many paid periods one of commerce's coupons
discounts on a subscription (``once``: the first; ``repeating``: the first ``periods``;
``forever``). A coupon without terms discounts ``CAMPUS_BILLING_COUPON_PERIODS`` periods (0:
for ever). The terms are read when the coupon is redeemed: a subscription keeps the periods it
started with when the terms change later."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.data import PLAN_MANAGE, CouponDuration
from campus.billing.exceptions import CouponTermsNotFound, PromoCodeNotFound
from campus.billing.models import CouponTerms
from campus.billing.repository import coupon_terms as repo
from campus.billing.settings import BillingSettings
from campus.commerce import api as commerce
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error


@dataclass(frozen=True, slots=True)
class CouponTermsRecord:
    coupon_id: uuid.UUID
    code: str
    duration: CouponDuration
    periods: int | None
    updated_at: datetime


def _record(row: CouponTerms) -> CouponTermsRecord:
    return CouponTermsRecord(
        coupon_id=row.coupon_id,
        code=row.code,
        duration=CouponDuration(row.duration),
        periods=row.periods,
        updated_at=row.updated_at,
    )


async def _coupon_id(session: AsyncSession, code: str) -> tuple[uuid.UUID, str]:
    coupon = await commerce.find_coupon(session, code)
    if coupon is None:
        raise PromoCodeNotFound()
    return coupon.coupon_id, coupon.code


async def put(
    session: AsyncSession,
    principal: Principal,
    code: str,
    *,
    duration: CouponDuration,
    periods: int | None,
) -> CouponTermsRecord:
    principal.require(PLAN_MANAGE)
    if (duration is CouponDuration.REPEATING) != (periods is not None):
        raise field_error("periods", "Give periods with 'repeating', and only then.")
    coupon_id, canonical = await _coupon_id(session, code)
    await repo.upsert(
        session,
        {
            "coupon_id": coupon_id,
            "code": canonical,
            "duration": duration.value,
            "periods": periods,
            "updated_by": principal.user_id,
            "updated_at": utcnow(),
        },
    )
    row = await repo.get(session, coupon_id)
    assert row is not None
    return _record(row)


async def get(session: AsyncSession, principal: Principal, code: str) -> CouponTermsRecord:
    principal.require(PLAN_MANAGE)
    coupon_id, _ = await _coupon_id(session, code)
    row = await repo.get(session, coupon_id)
    if row is None:
        raise CouponTermsNotFound()
    return _record(row)


async def delete(session: AsyncSession, principal: Principal, code: str) -> None:
    principal.require(PLAN_MANAGE)
    coupon_id, _ = await _coupon_id(session, code)
    if not await repo.delete(session, coupon_id):
        raise CouponTermsNotFound()


async def discounted_periods(
    session: AsyncSession, settings: Settings, coupon_id: uuid.UUID
) -> int | None:
    """How many paid periods a subscription redeeming the coupon gets discounted (None: every
    one): the coupon's terms, else the setting."""
    row = await repo.get(session, coupon_id)
    if row is None:
        return BillingSettings.of(settings).coupon_periods or None
    if row.duration == CouponDuration.FOREVER.value:
        return None
    if row.duration == CouponDuration.ONCE.value:
        return 1
    return row.periods
