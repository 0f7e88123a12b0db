"""Plan wire models. Prices are ``{"amount": "9.99", "currency": "EUR"}`` per billing cycle
(per seat for enterprise plans); a cycle without a price is not offered."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Self

from pydantic import Field, model_validator

from campus.billing.data import PlanStatus, PlanType, UnlockKind
from campus.billing.service.records import PlanRecord
from campus.kernel.money import MoneyIn, MoneyOut
from campus.kernel.schemas import ApiModel, InputModel

CODE_PATTERN = r"^[a-z0-9][a-z0-9_-]{1,39}$"
MAX_UNLOCKS = 500


class PlanPrices(InputModel):
    monthly: MoneyIn | None = None
    annual: MoneyIn | None = None
    lifetime: MoneyIn | None = None

    @model_validator(mode="after")
    def _one_currency(self) -> Self:
        given = [p for p in (self.monthly, self.annual, self.lifetime) if p is not None]
        if not given:
            raise ValueError("a plan needs a price for at least one billing cycle")
        if len({p.currency for p in given}) > 1:
            raise ValueError("every price of a plan is in one currency")
        if any(p.to_money().minor <= 0 for p in given):
            raise ValueError("prices are above zero")
        return self

    def values(self) -> dict[str, Any]:
        given = [p for p in (self.monthly, self.annual, self.lifetime) if p is not None]
        return {
            "currency": given[0].currency,
            "monthly_minor": self.monthly.to_money().minor if self.monthly else None,
            "annual_minor": self.annual.to_money().minor if self.annual else None,
            "lifetime_minor": self.lifetime.to_money().minor if self.lifetime else None,
        }


class PlanUnlocks(InputModel):
    """What the plan opens: ``all`` published courses, the courses of ``categoryIds``, the
    courses in ``courseIds``, or the courses of the ``track``."""

    kind: UnlockKind
    category_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_UNLOCKS)
    course_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_UNLOCKS)
    track: str | None = Field(default=None, min_length=1, max_length=120)

    @model_validator(mode="after")
    def _matches_kind(self) -> Self:
        if self.kind is UnlockKind.CATEGORIES and not self.category_ids:
            raise ValueError("kind categories needs categoryIds")
        if self.kind is UnlockKind.COURSES and not self.course_ids:
            raise ValueError("kind courses needs courseIds")
        if self.kind is UnlockKind.TRACK and not self.track:
            raise ValueError("kind track needs track")
        return self

    def values(self) -> dict[str, Any]:
        ids = {
            UnlockKind.CATEGORIES: self.category_ids,
            UnlockKind.COURSES: self.course_ids,
        }.get(self.kind, [])
        return {
            "unlock_kind": self.kind.value,
            "unlock_ids": [str(value) for value in dict.fromkeys(ids)],
            "unlock_track": self.track if self.kind is UnlockKind.TRACK else None,
        }


class PlanCreate(InputModel):
    code: str = Field(pattern=CODE_PATTERN, description="Lower-case; unique.")
    name: str = Field(min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    type: PlanType
    prices: PlanPrices
    trial_days: int = Field(default=0, ge=0, le=90)
    features: list[str] = Field(default_factory=list, max_length=50)
    unlocks: PlanUnlocks

    def values(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "description": self.description,
            "plan_type": self.type.value,
            "trial_days": self.trial_days,
            "features": [feature[:200] for feature in self.features],
            **self.prices.values(),
            **self.unlocks.values(),
        }


class PlanUpdate(InputModel):
    """Fields to change; new prices apply to new subscribers (a subscription keeps its price)."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    description: str | None = Field(default=None, max_length=2000)
    prices: PlanPrices | None = None
    trial_days: int | None = Field(default=None, ge=0, le=90)
    features: list[str] | None = Field(default=None, max_length=50)
    unlocks: PlanUnlocks | None = None

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("name", "description", "trial_days", "features"):
            if name in self.model_fields_set:
                value = getattr(self, name)
                if value is None and name != "description":
                    continue
                out[name] = value
        if self.prices is not None:
            out.update(self.prices.values())
        if self.unlocks is not None:
            out.update(self.unlocks.values())
        return out


class PlanPricesOut(ApiModel):
    monthly: MoneyOut | None
    annual: MoneyOut | None
    lifetime: MoneyOut | None


class PlanUnlocksOut(ApiModel):
    kind: UnlockKind
    category_ids: list[uuid.UUID]
    course_ids: list[uuid.UUID]
    track: str | None


class PlanOut(ApiModel):
    id: uuid.UUID
    code: str
    name: str
    description: str | None
    type: PlanType
    prices: PlanPricesOut
    per_seat: bool
    trial_days: int
    features: list[str]
    unlocks: PlanUnlocksOut
    status: PlanStatus
    created_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, plan: PlanRecord) -> Self:
        def money(minor: int | None) -> MoneyOut | None:
            return None if minor is None else MoneyOut.from_parts(minor, plan.currency)

        ids = list(plan.unlock_ids)
        return cls(
            id=plan.id,
            code=plan.code,
            name=plan.name,
            description=plan.description,
            type=plan.plan_type,
            prices=PlanPricesOut(
                monthly=money(plan.monthly_minor),
                annual=money(plan.annual_minor),
                lifetime=money(plan.lifetime_minor),
            ),
            per_seat=plan.plan_type is PlanType.ENTERPRISE,
            trial_days=plan.trial_days,
            features=list(plan.features),
            unlocks=PlanUnlocksOut(
                kind=plan.unlock_kind,
                category_ids=ids if plan.unlock_kind is UnlockKind.CATEGORIES else [],
                course_ids=ids if plan.unlock_kind is UnlockKind.COURSES else [],
                track=plan.unlock_track,
            ),
            status=plan.status,
            created_at=plan.created_at,
            retired_at=plan.retired_at,
        )
