"""A buyer's saved payment methods: list, choose the default, remove."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Request, Response

from campus.commerce.gateways import gateway_of
from campus.commerce.schemas.payment_methods import PaymentMethodOut
from campus.commerce.service import payment_methods
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import error_responses

ERRORS = {
    401: "Sign in first",
    404: "No such saved payment method among yours (`payment_method_not_found`)",
    422: "A path or query parameter is invalid or unknown",
}

router = api_router(prefix="/payment-methods", tags=["payment methods"])


@router.get("", response_model=Page[PaymentMethodOut], responses=error_responses(ERRORS, 401, 422))
async def list_payment_methods(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[PaymentMethodOut]:
    """Your saved payment methods, the default first (brand, last four digits, expiry)."""
    records, total = await payment_methods.list_mine(
        session, principal, offset=params.offset, limit=params.limit
    )
    return Page.build([PaymentMethodOut.of(r) for r in records], total, params)


@router.post(
    "/{method_id}/default",
    response_model=PaymentMethodOut,
    responses=error_responses(ERRORS, 401, 404, 422),
)
async def set_default_payment_method(
    method_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> PaymentMethodOut:
    """Make this method your default."""
    return PaymentMethodOut.of(await payment_methods.set_default(session, principal, method_id))


@router.delete("/{method_id}", status_code=204, responses=error_responses(ERRORS, 401, 404, 422))
async def remove_payment_method(
    method_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    """Remove a saved method (the gateway forgets it too)."""
    await payment_methods.remove(session, gateway_of(request), principal, method_id)
    return Response(status_code=204)
