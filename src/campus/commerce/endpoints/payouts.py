"""Instructor earnings, payouts and statements; payout runs and revenue shares for admins."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Annotated, Literal

from fastapi import Depends, Query, Request, Response

from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.payouts import (
    EarningsOut,
    PayoutOut,
    PayoutRunIn,
    PayoutRunOut,
    RevenueShareIn,
    RevenueShareOut,
    StatementOut,
)
from campus.commerce.service import ledger, payouts
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.money import Money
from campus.kernel.pagination import Page, PageParams, page_params

me_router = api_router(prefix="/me", tags=["payouts"])
admin_router = api_router(prefix="/admin", tags=["commerce admin"])

STATEMENT_COLUMNS = ("date", "kind", "order_id", "course_id", "amount", "currency")


@me_router.get(
    "/earnings",
    summary="My earnings as an instructor: gross, platform share, refunds, net, payouts",
    response_model=EarningsOut,
    responses=errors(401, 422),
)
async def my_earnings(session: DbSession, principal: CurrentPrincipal) -> EarningsOut:
    return EarningsOut.of(await payouts.earnings(session, principal))


@me_router.get(
    "/payouts",
    summary="My payouts, newest first",
    response_model=Page[PayoutOut],
    responses=errors(401, 422),
)
async def my_payouts(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[PayoutOut]:
    found, total = await payouts.list_mine(
        session, principal, limit=params.limit, offset=params.offset
    )
    return Page.build([PayoutOut.of(p) for p in found], total, params)


@me_router.get(
    "/payouts/{payout_id}/statement",
    summary="The statement of one of my payouts (`format=csv` for a spreadsheet)",
    description="Another instructor's payout is a 404.",
    response_model=StatementOut,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The statement (JSON or CSV)"},
        **errors(401, 404, 422),
    },
)
async def my_statement(
    payout_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> StatementOut | Response:
    statement = await payouts.statement(session, principal, payout_id)
    if format == "json":
        return StatementOut.of(statement)
    currency = statement.payout.currency
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(STATEMENT_COLUMNS)
    writer.writerow(
        ("", "carried_in", "", "", Money(statement.carried_in_minor, currency).amount, currency)
    )
    for line in statement.lines:
        writer.writerow(
            (
                line.at.isoformat(),
                line.kind,
                line.order_id or "",
                line.course_id or "",
                Money(line.amount_minor, currency).amount,
                currency,
            )
        )
    writer.writerow(
        ("", "payout", "", "", Money(statement.payout.amount_minor, currency).amount, currency)
    )
    return Response(
        content=buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="statement-{payout_id}.csv"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@admin_router.get(
    "/payouts",
    summary="Every payout, newest first",
    response_model=Page[PayoutOut],
    responses=errors(401, 403, 422),
)
async def list_payouts(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    instructor_id: Annotated[uuid.UUID | None, Query(alias="instructorId")] = None,
    status: Annotated[Literal["pending", "completed", "failed"] | None, Query()] = None,
) -> Page[PayoutOut]:
    found, total = await payouts.list_all(
        session,
        principal,
        instructor_id=instructor_id,
        status=status,
        limit=params.limit,
        offset=params.offset,
    )
    return Page.build([PayoutOut.of(p) for p in found], total, params)


@admin_router.post(
    "/payouts/run",
    summary="Compute the payouts of a month that has ended (idempotent)",
    description=(
        "Creates each instructor's pending payout for the month, per currency, from the "
        "ledger; running it again creates nothing new. The payouts are then sent by a job. "
        "409 `payout_period_open` for a month that has not ended."
    ),
    response_model=PayoutRunOut,
    responses=errors(401, 403, 409, 422),
)
async def run_payouts(
    body: PayoutRunIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> PayoutRunOut:
    run = await payouts.run_for_admin(
        session, principal, request.app.state.settings, year=body.year, month=body.month
    )
    return PayoutRunOut.of(run)


@admin_router.get(
    "/revenue-shares",
    summary="The platform share overrides per course and per instructor",
    response_model=Page[RevenueShareOut],
    responses=errors(401, 403, 422),
)
async def list_revenue_shares(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[RevenueShareOut]:
    found = await ledger.list_shares(session, principal)
    window = found[params.offset : params.offset + params.limit]
    return Page.build([RevenueShareOut.of(s) for s in window], len(found), params)


@admin_router.put(
    "/revenue-shares",
    summary="Set the platform share of a course or an instructor",
    description="A course's share wins over its instructor's; both over the default "
    "`CAMPUS_COMMERCE_PLATFORM_SHARE_PERCENT`. Sales from now on use it.",
    response_model=RevenueShareOut,
    responses=errors(401, 403, 422),
)
async def set_revenue_share(
    body: RevenueShareIn, session: DbSession, principal: CurrentPrincipal
) -> RevenueShareOut:
    share = await ledger.set_share(
        session,
        principal,
        scope=body.scope,
        subject_id=body.subject_id,
        bp=body.platform_share_bp,
    )
    return RevenueShareOut.of(share)
