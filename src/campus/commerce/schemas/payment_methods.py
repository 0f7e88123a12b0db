"""Wire models of saved payment methods (display data only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Self

from campus.commerce.service.payment_methods import PaymentMethodRecord
from campus.kernel.schemas import ApiModel


class PaymentMethodOut(ApiModel):
    """A saved card: its brand, last four digits and expiry; never its number."""

    id: uuid.UUID
    gateway: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    is_default: bool
    created_at: datetime

    @classmethod
    def of(cls, record: PaymentMethodRecord) -> Self:
        return cls(
            id=record.id,
            gateway=record.gateway,
            brand=record.brand,
            last4=record.last4,
            exp_month=record.exp_month,
            exp_year=record.exp_year,
            is_default=record.is_default,
            created_at=record.created_at,
        )
