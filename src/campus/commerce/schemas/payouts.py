"""Payout, statement, earnings and revenue share wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from campus.commerce.service.ledger import RevenueShareRecord
from campus.commerce.service.payouts import (
    Earnings,
    EarningsFigures,
    PayoutRecord,
    PayoutRun,
    Statement,
)
from campus.kernel.money import MoneyOut
from campus.kernel.schemas import ApiModel, InputModel


class PayoutOut(ApiModel):
    id: uuid.UUID
    instructor_id: uuid.UUID
    period_start: datetime
    period_end: datetime
    amount: MoneyOut
    status: Literal["pending", "completed", "failed"]
    method: Literal["bank_transfer", "paypal", "stripe_connect"]
    reference: str | None
    failure: str | None
    created_at: datetime
    executed_at: datetime | None

    @classmethod
    def of(cls, payout: PayoutRecord) -> PayoutOut:
        return cls.model_validate(
            {
                "id": payout.id,
                "instructor_id": payout.instructor_id,
                "period_start": payout.period_start,
                "period_end": payout.period_end,
                "amount": MoneyOut.from_parts(payout.amount_minor, payout.currency),
                "status": payout.status,
                "method": payout.method,
                "reference": payout.reference,
                "failure": payout.failure,
                "created_at": payout.created_at,
                "executed_at": payout.executed_at,
            }
        )


class PayoutRunIn(InputModel):
    year: int = Field(ge=2000, le=9998)
    month: int = Field(ge=1, le=12)


class PayoutRunOut(ApiModel):
    period_start: datetime
    period_end: datetime
    created: int = Field(description="Payouts this run created (0 when it ran before)")
    payouts: list[PayoutOut]

    @classmethod
    def of(cls, run: PayoutRun) -> PayoutRunOut:
        return cls(
            period_start=run.period_start,
            period_end=run.period_end,
            created=run.created,
            payouts=[PayoutOut.of(p) for p in run.payouts],
        )


class StatementLineOut(ApiModel):
    at: datetime
    kind: Literal["sale", "refund"]
    order_id: uuid.UUID | None
    course_id: uuid.UUID | None
    amount: MoneyOut


class StatementOut(ApiModel):
    """``amount = carriedIn + earned - refunded``."""

    payout: PayoutOut
    carried_in: MoneyOut
    earned: MoneyOut
    refunded: MoneyOut
    lines: list[StatementLineOut]

    @classmethod
    def of(cls, statement: Statement) -> StatementOut:
        c = statement.payout.currency
        return cls.model_validate(
            {
                "payout": PayoutOut.of(statement.payout),
                "carried_in": MoneyOut.from_parts(statement.carried_in_minor, c),
                "earned": MoneyOut.from_parts(statement.earned_minor, c),
                "refunded": MoneyOut.from_parts(statement.refunded_minor, c),
                "lines": [
                    {
                        "at": line.at,
                        "kind": line.kind,
                        "order_id": line.order_id,
                        "course_id": line.course_id,
                        "amount": MoneyOut.from_parts(line.amount_minor, c),
                    }
                    for line in statement.lines
                ],
            }
        )


class EarningsFiguresOut(ApiModel):
    currency: str
    course_id: uuid.UUID | None
    gross: MoneyOut
    refunds: MoneyOut
    tax: MoneyOut
    platform_share: MoneyOut
    net: MoneyOut
    paid_out: MoneyOut
    pending: MoneyOut
    available: MoneyOut

    @classmethod
    def of(cls, f: EarningsFigures) -> EarningsFiguresOut:
        c = f.currency

        def m(minor: int) -> MoneyOut:
            return MoneyOut.from_parts(minor, c)

        return cls(
            currency=c,
            course_id=f.course_id,
            gross=m(f.gross_minor),
            refunds=m(f.refunds_minor),
            tax=m(f.tax_minor),
            platform_share=m(f.platform_minor),
            net=m(f.net_minor),
            paid_out=m(f.paid_out_minor),
            pending=m(f.pending_minor),
            available=m(f.available_minor),
        )


class EarningsOut(ApiModel):
    """An instructor's earnings per currency (``currencies``) and per course and currency
    (``courses``; payouts are per currency only, so their payout figures are zero)."""

    instructor_id: uuid.UUID
    currencies: list[EarningsFiguresOut]
    courses: list[EarningsFiguresOut]

    @classmethod
    def of(cls, earnings: Earnings) -> EarningsOut:
        return cls(
            instructor_id=earnings.instructor_id,
            currencies=[EarningsFiguresOut.of(f) for f in earnings.currencies],
            courses=[EarningsFiguresOut.of(f) for f in earnings.courses],
        )


class RevenueShareIn(InputModel):
    scope: Literal["course", "instructor"]
    subject_id: uuid.UUID = Field(description="The course's or the instructor's id")
    platform_share_bp: int = Field(ge=0, le=10000, description="2500 = 25 %")


class RevenueShareOut(ApiModel):
    id: uuid.UUID
    scope: Literal["course", "instructor"]
    subject_id: uuid.UUID
    platform_share_bp: int
    updated_at: datetime

    @classmethod
    def of(cls, share: RevenueShareRecord) -> RevenueShareOut:
        return cls.model_validate(
            {
                "id": share.id,
                "scope": share.scope,
                "subject_id": share.subject_id,
                "platform_share_bp": share.platform_share_bp,
                "updated_at": share.updated_at,
            }
        )
