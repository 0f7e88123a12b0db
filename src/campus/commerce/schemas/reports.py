"""Revenue and tax report wire models."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from campus.commerce.service.reports import RevenueFigures, RevenueReport, TaxFigures, TaxReport
from campus.kernel.money import MoneyOut
from campus.kernel.schemas import ApiModel


class RevenueFiguresOut(ApiModel):
    currency: str
    day: date | None
    course_id: uuid.UUID | None
    title: str | None
    gross: MoneyOut
    discounts: MoneyOut
    refunds: MoneyOut
    tax: MoneyOut
    net: MoneyOut

    @classmethod
    def of(cls, f: RevenueFigures) -> RevenueFiguresOut:
        c = f.currency
        return cls(
            currency=c,
            day=f.day,
            course_id=f.course_id,
            title=f.title,
            gross=MoneyOut.from_parts(f.gross_minor, c),
            discounts=MoneyOut.from_parts(f.discounts_minor, c),
            refunds=MoneyOut.from_parts(f.refunds_minor, c),
            tax=MoneyOut.from_parts(f.tax_minor, c),
            net=MoneyOut.from_parts(f.net_minor, c),
        )


class RevenueReportOut(ApiModel):
    """Revenue from invoices and credit notes issued in ``[from, to)``: ``net`` is revenue
    net of tax after refunds."""

    starts_at: datetime
    ends_at: datetime
    totals: list[RevenueFiguresOut]
    days: list[RevenueFiguresOut]
    courses: list[RevenueFiguresOut]

    @classmethod
    def of(cls, report: RevenueReport) -> RevenueReportOut:
        return cls(
            starts_at=report.starts_at,
            ends_at=report.ends_at,
            totals=[RevenueFiguresOut.of(f) for f in report.totals],
            days=[RevenueFiguresOut.of(f) for f in report.days],
            courses=[RevenueFiguresOut.of(f) for f in report.courses],
        )


class TaxFiguresOut(ApiModel):
    country: str
    period: str
    currency: str
    rate_bp: int
    taxable: MoneyOut
    tax: MoneyOut
    credited_tax: MoneyOut

    @classmethod
    def of(cls, f: TaxFigures) -> TaxFiguresOut:
        c = f.currency
        return cls(
            country=f.country,
            period=f.period,
            currency=c,
            rate_bp=f.rate_bp,
            taxable=MoneyOut.from_parts(f.taxable_minor, c),
            tax=MoneyOut.from_parts(f.tax_minor, c),
            credited_tax=MoneyOut.from_parts(f.credited_tax_minor, c),
        )


class TaxReportOut(ApiModel):
    """Tax per country, month, currency and rate, net of credit notes."""

    starts_at: datetime
    ends_at: datetime
    rows: list[TaxFiguresOut]

    @classmethod
    def of(cls, report: TaxReport) -> TaxReportOut:
        return cls(
            starts_at=report.starts_at,
            ends_at=report.ends_at,
            rows=[TaxFiguresOut.of(f) for f in report.rows],
        )
