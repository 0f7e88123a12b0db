"""Revenue and tax reports for administrators."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated

from fastapi import Query

from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.reports import RevenueReportOut, TaxReportOut
from campus.commerce.service import reports
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.errors import field_error
from campus.kernel.http import api_router

router = api_router(prefix="/admin/reports", tags=["commerce admin"])

#: A report spans at most this many days.
MAX_DAYS = 366

From = Annotated[date, Query(alias="from", description="First day (UTC), inclusive")]
To = Annotated[date, Query(alias="to", description="Last day (UTC), inclusive")]


def _span(start: date, end: date) -> tuple[datetime, datetime]:
    if end < start or (end - start).days >= MAX_DAYS or end >= date.max:
        raise field_error("to", f"must be on or after from, within {MAX_DAYS} days")
    first = datetime(start.year, start.month, start.day, tzinfo=UTC)
    last = datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)
    return first, last


@router.get(
    "/revenue",
    summary="Revenue: gross, discounts, refunds, tax and net per currency, day and course",
    response_model=RevenueReportOut,
    responses=errors(401, 403, 422),
)
async def revenue_report(
    session: DbSession,
    principal: CurrentPrincipal,
    start: From,
    end: To,
    currency: Annotated[str | None, Query(pattern=r"^[A-Z]{3}$")] = None,
) -> RevenueReportOut:
    first, last = _span(start, end)
    return RevenueReportOut.of(
        await reports.revenue(session, principal, starts_at=first, ends_at=last, currency=currency)
    )


@router.get(
    "/tax",
    summary="Tax collected per country, month, currency and rate (credit notes subtracted)",
    response_model=TaxReportOut,
    responses=errors(401, 403, 422),
)
async def tax_report(
    session: DbSession, principal: CurrentPrincipal, start: From, end: To
) -> TaxReportOut:
    first, last = _span(start, end)
    return TaxReportOut.of(await reports.tax(session, principal, starts_at=first, ends_at=last))
