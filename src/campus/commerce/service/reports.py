"""Revenue and tax reports, read from the invoices and credit notes (what was billed and
credited), so a report always agrees with the documents buyers hold.

Revenue, per currency (and per day, per course): ``gross`` (list prices), ``discounts``,
``tax`` (invoiced minus credited), ``refunds`` (credit notes, tax included) and ``net``
(revenue net of tax after refunds: invoiced net minus credited net). Tax, per country, month,
currency and rate: taxable amount and tax, credit notes subtracted."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import REVENUE_VIEW
from campus.commerce.repository import invoices as repo
from campus.commerce.service.invoices import CREDIT_NOTE
from campus.kernel.auth import Principal


@dataclass(frozen=True, slots=True)
class RevenueFigures:
    currency: str
    day: date | None
    course_id: uuid.UUID | None
    title: str | None
    gross_minor: int
    discounts_minor: int
    refunds_minor: int
    tax_minor: int
    net_minor: int


@dataclass(frozen=True, slots=True)
class RevenueReport:
    starts_at: datetime
    ends_at: datetime
    totals: tuple[RevenueFigures, ...]
    days: tuple[RevenueFigures, ...]
    courses: tuple[RevenueFigures, ...]


class _Sums:
    __slots__ = ("discounts", "gross", "net", "refunds", "tax", "title")

    def __init__(self) -> None:
        self.gross = self.discounts = self.refunds = self.tax = self.net = 0
        self.title: str | None = None


async def revenue(
    session: AsyncSession,
    principal: Principal,
    *,
    starts_at: datetime,
    ends_at: datetime,
    currency: str | None,
) -> RevenueReport:
    principal.require(REVENUE_VIEW)
    totals: dict[str, _Sums] = {}
    days: dict[tuple[str, date], _Sums] = {}
    courses: dict[tuple[str, uuid.UUID], _Sums] = {}
    for (
        kind,
        cur,
        issued_at,
        course_id,
        title,
        unit,
        discount,
        net,
        tax,
    ) in await repo.revenue_lines(
        session, issued_from=starts_at, issued_to=ends_at, currency=currency
    ):
        for sums in (
            totals.setdefault(cur, _Sums()),
            days.setdefault((cur, issued_at.date()), _Sums()),
            courses.setdefault((cur, course_id), _Sums()),
        ):
            sums.title = title
            if kind == CREDIT_NOTE:
                sums.refunds += net + tax
                sums.tax -= tax
                sums.net -= net
            else:
                sums.gross += unit
                sums.discounts += discount
                sums.tax += tax
                sums.net += net

    def figures(
        cur: str, s: _Sums, *, day: date | None = None, course: uuid.UUID | None = None
    ) -> RevenueFigures:
        return RevenueFigures(
            currency=cur,
            day=day,
            course_id=course,
            title=s.title if course is not None else None,
            gross_minor=s.gross,
            discounts_minor=s.discounts,
            refunds_minor=s.refunds,
            tax_minor=s.tax,
            net_minor=s.net,
        )

    return RevenueReport(
        starts_at=starts_at,
        ends_at=ends_at,
        totals=tuple(figures(c, s) for c, s in sorted(totals.items())),
        days=tuple(figures(c, s, day=d) for (c, d), s in sorted(days.items())),
        courses=tuple(
            figures(c, s, course=k)
            for (c, k), s in sorted(courses.items(), key=lambda kv: (kv[0][0], str(kv[0][1])))
        ),
    )


@dataclass(frozen=True, slots=True)
class TaxFigures:
    country: str
    period: str
    currency: str
    rate_bp: int
    taxable_minor: int
    tax_minor: int
    credited_tax_minor: int


@dataclass(frozen=True, slots=True)
class TaxReport:
    starts_at: datetime
    ends_at: datetime
    rows: tuple[TaxFigures, ...]


async def tax(
    session: AsyncSession, principal: Principal, *, starts_at: datetime, ends_at: datetime
) -> TaxReport:
    """Tax collected per country, month (``YYYY-MM``), currency and rate: ``taxable`` and
    ``tax`` are net of credit notes; ``credited_tax`` is what the credit notes took back."""
    principal.require(REVENUE_VIEW)
    sums: dict[tuple[str, str, str, int], list[int]] = {}
    for kind, country, cur, rate, issued_at, taxable, tax_minor in await repo.tax_lines_in(
        session, issued_from=starts_at, issued_to=ends_at
    ):
        bucket = sums.setdefault((country, f"{issued_at:%Y-%m}", cur, rate), [0, 0, 0])
        if kind == CREDIT_NOTE:
            bucket[0] -= taxable
            bucket[1] -= tax_minor
            bucket[2] += tax_minor
        else:
            bucket[0] += taxable
            bucket[1] += tax_minor
    return TaxReport(
        starts_at=starts_at,
        ends_at=ends_at,
        rows=tuple(
            TaxFigures(
                country=country,
                period=period,
                currency=cur,
                rate_bp=rate,
                taxable_minor=b[0],
                tax_minor=b[1],
                credited_tax_minor=b[2],
            )
            for (country, period, cur, rate), b in sorted(sums.items())
        ),
    )
