"""Promo duration wire models."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from campus.billing.data import CouponDuration
from campus.billing.service.coupon_terms import CouponTermsRecord
from campus.kernel.schemas import ApiModel, InputModel


class CouponTermsIn(InputModel):
    duration: CouponDuration = Field(
        description="`once`: the first paid period; `repeating`: the first `periods`; "
        "`forever`: every paid period."
    )
    periods: int | None = Field(
        default=None, ge=1, le=120, description="With `repeating` only: how many paid periods."
    )


class CouponTermsOut(ApiModel):
    coupon_id: uuid.UUID
    code: str
    duration: CouponDuration
    periods: int | None
    updated_at: datetime

    @classmethod
    def of(cls, record: CouponTermsRecord) -> CouponTermsOut:
        return cls(
            coupon_id=record.coupon_id,
            code=record.code,
            duration=record.duration,
            periods=record.periods,
            updated_at=record.updated_at,
        )
