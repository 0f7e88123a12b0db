"""Every order, for administrators: filters and a CSV export."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import Depends, Query, Response

from campus.commerce.data import OrderStatus
from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.orders import CommerceOrderOut
from campus.commerce.service import orders
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/admin/orders", tags=["commerce admin"])


def _start_of(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


@router.get(
    "",
    summary="Every order, with filters; `format=csv` exports every match",
    response_model=Page[CommerceOrderOut],
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "A page of orders, or with `format=csv` every matching order",
        },
        **errors(401, 403, 422),
    },
)
async def list_orders(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[OrderStatus | None, Query()] = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    course_id: Annotated[uuid.UUID | None, Query(alias="courseId")] = None,
    currency: Annotated[str | None, Query(pattern=r"^[A-Za-z]{3}$")] = None,
    created_from: Annotated[
        date | None, Query(alias="from", description="Orders placed on or after this day (UTC)")
    ] = None,
    created_to: Annotated[
        date | None, Query(alias="to", description="Orders placed on or before this day (UTC)")
    ] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Page[CommerceOrderOut] | Response:
    filters = orders.OrderFilters(
        status=status,
        user_id=user_id,
        course_id=course_id,
        currency=currency,
        created_from=_start_of(created_from),
        created_to=_start_of(created_to + timedelta(days=1) if created_to else None),
    )
    if format == "csv":
        rows = await orders.export_rows(session, principal, filters)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(orders.CSV_COLUMNS)
        writer.writerows(rows)
        return Response(
            content=buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="orders.csv"'},
        )
    found, total = await orders.list_all(
        session, principal, filters, limit=params.limit, offset=params.offset
    )
    return Page.build([CommerceOrderOut.of(o) for o in found], total, params)
