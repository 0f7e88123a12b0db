"""Tax rate wire models (rates in basis points: ``rateBp`` 1900 = 19 %)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from campus.commerce.data import TaxType
from campus.commerce.service.tax import TaxRateRecord
from campus.kernel.schemas import ApiModel, InputModel, Instant

COUNTRY = r"^[A-Za-z]{2}$"
STATE = r"^[A-Za-z0-9]{1,10}$"


class TaxRateCreate(InputModel):
    country: str = Field(pattern=COUNTRY, description="ISO 3166-1 alpha-2")
    state: str | None = Field(default=None, pattern=STATE, description="e.g. CA (US states)")
    name: str = Field(min_length=1, max_length=100)
    type: TaxType
    rate_bp: int = Field(ge=0, le=10_000)
    valid_from: Instant
    valid_to: Instant | None = None

    @field_validator("country", "state")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    def values(self) -> dict[str, Any]:
        return self.model_dump()


class TaxRateUpdate(InputModel):
    name: str | None = Field(default=None, min_length=1, max_length=100)
    rate_bp: int | None = Field(default=None, ge=0, le=10_000)
    valid_from: Instant | None = None
    valid_to: Instant | None = None

    def changes(self) -> dict[str, Any]:
        out = self.model_dump(exclude_unset=True)
        for name in ("name", "rate_bp", "valid_from"):
            if name in out and out[name] is None:
                del out[name]
        return out


class TaxRateOut(ApiModel):
    id: uuid.UUID
    country: str
    state: str | None
    name: str
    type: TaxType
    rate_bp: int
    valid_from: datetime
    valid_to: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, rate: TaxRateRecord) -> TaxRateOut:
        return cls.model_validate(rate, from_attributes=True)
