"""Invoices and credit notes: a buyer's own (JSON and PDF), and every one for admins."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Response

from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.invoices import InvoiceOut
from campus.commerce.service import invoice_pdf, invoices
from campus.commerce.service.invoices import InvoiceRecord
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

order_router = api_router(prefix="/orders", tags=["invoices"])
router = api_router(prefix="/invoices", tags=["invoices"])
admin_router = api_router(prefix="/admin/invoices", tags=["commerce admin"])

Kind = Literal["invoice", "credit_note"]

PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The PDF, served as an attachment",
    }
}


def _pdf(invoice: InvoiceRecord) -> Response:
    return Response(
        content=invoice_pdf.render(invoice),
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"',
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


@order_router.get(
    "/{order_id}/invoice",
    summary="The invoice of one of my paid orders",
    description="404 `invoice_not_found` for another buyer's order or before it is paid.",
    response_model=InvoiceOut,
    responses=errors(401, 404, 422),
)
async def get_order_invoice(
    order_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> InvoiceOut:
    return InvoiceOut.of(await invoices.for_order(session, principal, order_id))


@order_router.get(
    "/{order_id}/invoice.pdf",
    summary="The invoice of one of my paid orders, as a PDF",
    response_class=Response,
    responses={**PDF_RESPONSE, **errors(401, 404, 422)},
)
async def get_order_invoice_pdf(
    order_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _pdf(await invoices.for_order(session, principal, order_id))


@router.get(
    "",
    summary="My invoices and credit notes, newest first",
    response_model=Page[InvoiceOut],
    responses=errors(401, 422),
)
async def list_my_invoices(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[Kind | None, Query()] = None,
) -> Page[InvoiceOut]:
    found, total = await invoices.list_mine(
        session, principal, kind=kind, limit=params.limit, offset=params.offset
    )
    return Page.build([InvoiceOut.of(i) for i in found], total, params)


@router.get(
    "/{invoice_id}.pdf",
    summary="One of my invoices or credit notes, as a PDF",
    response_class=Response,
    responses={**PDF_RESPONSE, **errors(401, 404, 422)},
)
async def get_invoice_pdf(
    invoice_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    return _pdf(await invoices.get_for(session, principal, invoice_id))


@router.get(
    "/{invoice_id}",
    summary="One of my invoices or credit notes",
    response_model=InvoiceOut,
    responses=errors(401, 404, 422),
)
async def get_invoice(
    invoice_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> InvoiceOut:
    return InvoiceOut.of(await invoices.get_for(session, principal, invoice_id))


def day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


@admin_router.get(
    "",
    summary="Every invoice and credit note, newest first",
    response_model=Page[InvoiceOut],
    responses=errors(401, 403, 422),
)
async def list_invoices(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    kind: Annotated[Kind | None, Query()] = None,
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    issued_from: Annotated[
        date | None, Query(alias="from", description="Issued on or after this day (UTC)")
    ] = None,
    issued_to: Annotated[
        date | None, Query(alias="to", description="Issued on or before this day (UTC)")
    ] = None,
) -> Page[InvoiceOut]:
    found, total = await invoices.list_all(
        session,
        principal,
        kind=kind,
        user_id=user_id,
        issued_from=day_start(issued_from),
        issued_to=day_start(
            issued_to + timedelta(days=1) if issued_to and issued_to < date.max else None
        ),
        limit=params.limit,
        offset=params.offset,
    )
    return Page.build([InvoiceOut.of(i) for i in found], total, params)
