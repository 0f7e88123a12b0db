"""Wire models of refunds."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from pydantic import Field

from campus.commerce.service.refunds import RefundRecord
from campus.kernel.money import MAX_MINOR
from campus.kernel.schemas import ApiModel, InputModel


class RefundCreate(InputModel):
    """An admin's refund: ``amountMinor`` of the order's currency (everything still paid when
    omitted), and why."""

    amount_minor: int | None = Field(default=None, ge=1, le=MAX_MINOR)
    reason: str | None = Field(default=None, max_length=500)


class RefundRequestCreate(InputModel):
    """A buyer asks for their money back (the whole order)."""

    reason: str | None = Field(default=None, max_length=500)


class RefundOut(ApiModel):
    id: uuid.UUID
    order_id: uuid.UUID
    payment_id: uuid.UUID
    amount_minor: int
    currency: str
    status: str
    reason: str | None
    gateway_refund_id: str | None
    failure_code: str | None
    requested_by: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None

    @classmethod
    def of(cls, record: RefundRecord) -> Self:
        return cls(
            id=record.id,
            order_id=record.order_id,
            payment_id=record.payment_id,
            amount_minor=record.amount_minor,
            currency=record.currency,
            status=record.status.value,
            reason=record.reason,
            gateway_refund_id=record.gateway_refund_id,
            failure_code=record.failure_code,
            requested_by=record.requested_by,
            created_at=record.created_at,
            completed_at=record.completed_at,
        )
