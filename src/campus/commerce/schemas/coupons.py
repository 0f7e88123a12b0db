"""Coupon wire models. Amounts are ``{"amount": "5.00", "currency": "EUR"}``; percentages are
basis points (``percentBp``: 1500 = 15 %)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import Field, model_validator

from campus.commerce.data import CouponKind
from campus.commerce.service.coupons import CouponRecord
from campus.kernel.money import MoneyIn, MoneyOut
from campus.kernel.schemas import ApiModel, InputModel, Instant

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$"
MAX_RESTRICTIONS = 200


class CouponCreate(InputModel):
    code: str = Field(pattern=CODE_PATTERN, description="Stored upper-case; unique.")
    description: str | None = Field(default=None, max_length=500)
    kind: CouponKind
    percent_bp: int | None = Field(default=None, ge=1, le=10_000)
    #: A fixed coupon's amount; its currency is the coupon's.
    amount_off: MoneyIn | None = None
    min_order: MoneyIn | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    usage_limit: int | None = Field(default=None, ge=1, le=10_000_000)
    per_user_limit: int | None = Field(default=1, ge=1, le=1000)
    course_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_RESTRICTIONS)
    category_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_RESTRICTIONS)
    instructor_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_RESTRICTIONS)
    first_purchase_only: bool = False
    stackable: bool = False
    active: bool = True

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        if (
            self.amount_off
            and self.min_order
            and self.amount_off.currency != self.min_order.currency
        ):
            raise ValueError("amountOff and minOrder must be in the same currency")
        return self

    def values(self) -> dict[str, Any]:
        priced = self.amount_off or self.min_order
        currency = priced.currency if priced is not None else None
        return {
            "code": self.code,
            "description": self.description,
            "kind": self.kind.value,
            "percent_bp": self.percent_bp,
            "amount_off_minor": self.amount_off.to_money().minor if self.amount_off else None,
            "currency": currency,
            "min_order_minor": self.min_order.to_money().minor if self.min_order else None,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "usage_limit": self.usage_limit,
            "per_user_limit": self.per_user_limit,
            "course_ids": self.course_ids,
            "category_ids": self.category_ids,
            "instructor_ids": self.instructor_ids,
            "first_purchase_only": self.first_purchase_only,
            "stackable": self.stackable,
            "active": self.active,
        }


class CouponUpdate(InputModel):
    """Only what is sent changes. The kind and amount of a coupon do not change: make a new
    one."""

    code: str | None = Field(default=None, pattern=CODE_PATTERN)
    description: str | None = Field(default=None, max_length=500)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    usage_limit: int | None = Field(default=None, ge=1, le=10_000_000)
    per_user_limit: int | None = Field(default=None, ge=1, le=1000)
    course_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_RESTRICTIONS)
    category_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_RESTRICTIONS)
    instructor_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_RESTRICTIONS)
    first_purchase_only: bool | None = None
    active: bool | None = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True)


class CouponOut(ApiModel):
    id: uuid.UUID
    code: str
    description: str | None
    kind: CouponKind
    percent_bp: int | None
    amount_off: MoneyOut | None
    min_order: MoneyOut | None
    starts_at: datetime
    ends_at: datetime | None
    usage_limit: int | None
    used_count: int
    per_user_limit: int | None
    course_ids: list[uuid.UUID]
    category_ids: list[uuid.UUID]
    instructor_ids: list[uuid.UUID]
    first_purchase_only: bool
    stackable: bool
    #: The instructor whose coupon it is (it applies to their courses only); null for admins'.
    owner_id: uuid.UUID | None
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, coupon: CouponRecord) -> CouponOut:
        currency = coupon.currency
        return cls(
            id=coupon.id,
            code=coupon.code,
            description=coupon.description,
            kind=coupon.kind,
            percent_bp=coupon.percent_bp,
            amount_off=MoneyOut.from_parts(coupon.amount_off_minor, currency)
            if coupon.amount_off_minor is not None and currency
            else None,
            min_order=MoneyOut.from_parts(coupon.min_order_minor, currency)
            if coupon.min_order_minor is not None and currency
            else None,
            starts_at=coupon.starts_at,
            ends_at=coupon.ends_at,
            usage_limit=coupon.usage_limit,
            used_count=coupon.used_count,
            per_user_limit=coupon.per_user_limit,
            course_ids=list(coupon.course_ids),
            category_ids=list(coupon.category_ids),
            instructor_ids=list(coupon.instructor_ids),
            first_purchase_only=coupon.first_purchase_only,
            stackable=coupon.stackable,
            owner_id=coupon.owner_id,
            active=coupon.active,
            created_at=coupon.created_at,
            updated_at=coupon.updated_at,
        )


class CouponValidateRequest(InputModel):
    """Quote the buyer's cart with a coupon (nothing is reserved)."""

    code: str = Field(min_length=1, max_length=40)
    billing_country: str = Field(pattern=r"^[A-Za-z]{2}$")
    billing_state: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,10}$")
