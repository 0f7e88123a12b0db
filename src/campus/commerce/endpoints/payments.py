"""Payments: the return URL gateways send the buyer back to, and the admin's payment list."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request

from campus.commerce.data import PaymentStatus
from campus.commerce.gateways import gateway_of
from campus.commerce.schemas.payments import PaymentOut, PaymentReturnOut
from campus.commerce.service import payments
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import error_responses

ERRORS = {
    401: "Sign in first",
    403: "Only staff who see every order may list payments (`forbidden`)",
    404: "No such order, or not yours and no payment of it named (`order_not_found`)",
    422: "A query parameter is invalid or unknown",
}

router = api_router(tags=["payments"])


@router.get(
    "/orders/{order_id}/return",
    response_model=PaymentReturnOut,
    responses=error_responses(ERRORS, 404, 422),
)
async def return_from_gateway(
    order_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: OptionalPrincipal,
    payment_intent: Annotated[str | None, Query(alias="payment_intent", max_length=255)] = None,
    payment_intent_client_secret: Annotated[
        str | None, Query(alias="payment_intent_client_secret", max_length=255)
    ] = None,
    redirect_status: Annotated[str | None, Query(alias="redirect_status", max_length=40)] = None,
    token: Annotated[str | None, Query(alias="token", max_length=255)] = None,
    payer_id: Annotated[str | None, Query(alias="PayerID", max_length=255)] = None,
    cancelled: Annotated[bool | None, Query(description="The buyer left the gateway")] = None,
) -> PaymentReturnOut:
    """Where a gateway sends the buyer back (the return URL of every payment). Reads the
    gateway's own view of the payment and applies it (so the order may be paid here already,
    before or after the webhook), then answers where the order stands. The buyer (signed in)
    or whoever holds the gateway's id of one of the order's payments (`payment_intent`,
    `token`, as the gateway appends them) may call it."""
    del payment_intent_client_secret, redirect_status, payer_id, cancelled
    order, payment = await payments.return_from_gateway(
        session, gateway_of(request), principal, order_id, payment_intent or token
    )
    return PaymentReturnOut.of(order, payment)


@router.get(
    "/admin/payments",
    response_model=Page[PaymentOut],
    tags=["commerce admin"],
    responses=error_responses(ERRORS, 401, 403, 422),
)
async def list_payments(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[PaymentStatus | None, Query()] = None,
    gateway: Annotated[str | None, Query(max_length=20)] = None,
    order_id: Annotated[uuid.UUID | None, Query(alias="orderId")] = None,
) -> Page[PaymentOut]:
    """Every payment, newest first (filters: status, gateway, order)."""
    records, total = await payments.list_payments(
        session,
        principal,
        offset=params.offset,
        limit=params.limit,
        status=status.value if status else None,
        gateway=gateway,
        order_id=order_id,
    )
    return Page.build([PaymentOut.of(record) for record in records], total, params)
