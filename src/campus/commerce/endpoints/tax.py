"""Tax rates by country (and state), for administrators."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Response

from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.tax import TaxRateCreate, TaxRateOut, TaxRateUpdate
from campus.commerce.service import tax
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/tax-rates", tags=["tax"])


@router.get(
    "",
    summary="Tax rates",
    response_model=Page[TaxRateOut],
    responses=errors(401, 403, 422),
)
async def list_tax_rates(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    country: Annotated[str | None, Query(pattern=r"^[A-Za-z]{2}$")] = None,
) -> Page[TaxRateOut]:
    found, total = await tax.list_rates(
        session, principal, country=country, limit=params.limit, offset=params.offset
    )
    return Page.build([TaxRateOut.of(r) for r in found], total, params)


@router.post(
    "",
    status_code=201,
    summary="Add a tax rate",
    response_model=TaxRateOut,
    responses=errors(401, 403, 422),
)
async def create_tax_rate(
    body: TaxRateCreate, session: DbSession, principal: CurrentPrincipal
) -> TaxRateOut:
    return TaxRateOut.of(await tax.create_rate(session, principal, body.values()))


@router.patch(
    "/{rate_id}",
    summary="Change a tax rate (name, rate, validity)",
    response_model=TaxRateOut,
    responses=errors(401, 403, 404, 422),
)
async def update_tax_rate(
    rate_id: uuid.UUID, body: TaxRateUpdate, session: DbSession, principal: CurrentPrincipal
) -> TaxRateOut:
    return TaxRateOut.of(await tax.update_rate(session, principal, rate_id, body.changes()))


@router.delete(
    "/{rate_id}",
    status_code=204,
    summary="Delete a tax rate (orders keep the rate they were taxed at)",
    responses=errors(401, 403, 404, 422),
)
async def delete_tax_rate(
    rate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await tax.delete_rate(session, principal, rate_id)
    return Response(status_code=204)
