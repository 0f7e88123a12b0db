"""Refunds: an admin's full or partial refund (with an ``Idempotency-Key``), a buyer's own
refund request within the refund window, and the admin's list of refunds."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Query, Request, Response

from campus.commerce.data import ORDER_REFUND, ORDER_VIEW_ANY, RefundStatus
from campus.commerce.gateways import gateway_of
from campus.commerce.schemas.refunds import RefundCreate, RefundOut, RefundRequestCreate
from campus.commerce.service import refunds
from campus.commerce.settings import CommerceSettings
from campus.kernel import idempotency
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import error_responses

ERRORS = {
    400: "The `Idempotency-Key` header is missing or malformed (`idempotency_key_required`, "
    "`idempotency_key_invalid`)",
    401: "Sign in first",
    403: "Refunding any order is for staff who hold `order:refund` (`forbidden`)",
    404: "No such order, or not yours (`order_not_found`)",
    409: "The order is not paid (`order_not_refundable`); the refund would exceed what is left "
    "of the payment (`refund_exceeds_paid`); the refund window closed "
    "(`refund_window_closed`); a course is too far along (`refund_progress_too_high`); the "
    "provider declined the refund (`refund_declined`: nothing is kept) or refused the request "
    "(`refund_unavailable`); a "
    "request with this key is still running (`idempotency_in_flight`)",
    422: "The body is invalid, or the key was used with another body (`idempotency_key_reused`)",
}

router = api_router(tags=["refunds"])


CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The refund: `succeeded`, or `pending` when the provider settles it later "
        "(its webhook) or its answer was lost (the reconciler asks again with the same key); "
        "a refund the provider declines is a 409 `refund_declined`, never a 201"
    }
}


@router.post(
    "/orders/{order_id}/refunds",
    response_model=RefundOut,
    status_code=201,
    responses={**CREATED, **error_responses(ERRORS, 400, 401, 403, 404, 409, 422)},
)
async def refund_order(
    order_id: uuid.UUID,
    payload: RefundCreate,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> Response:
    """Refund part (``amountMinor``) or all of a paid order. Replaying the same key with the
    same body answers the first response again (an error too)."""
    principal.require(ORDER_REFUND)
    key = idempotency.require_key(idempotency_key)
    settings = request.app.state.settings
    gateway = gateway_of(request)

    async def act() -> RefundOut:
        record = await refunds.refund_order(
            session,
            gateway,
            settings,
            order_id=order_id,
            amount_minor=payload.amount_minor,
            reason=payload.reason,
            requested_by=principal.user_id,
            idempotency_key=key,
        )
        return RefundOut.of(record)

    return await idempotency.run(
        request,
        session,
        scope=idempotency.scope_of(principal, request),
        key=key,
        body=payload.model_dump(mode="json"),
        ttl=timedelta(hours=CommerceSettings.of(settings).idempotency_ttl_hours),
        status_code=201,
        action=act,
    )


@router.post(
    "/orders/{order_id}/refund-request",
    response_model=RefundOut,
    status_code=201,
    responses={**CREATED, **error_responses(ERRORS, 401, 404, 409, 422)},
)
async def request_refund(
    order_id: uuid.UUID,
    payload: RefundRequestCreate,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> RefundOut:
    """The buyer's own refund of a whole order, within the refund window and while every
    course of it is under the progress limit (``CAMPUS_COMMERCE_REFUND_WINDOW_DAYS``,
    ``CAMPUS_COMMERCE_REFUND_MAX_PROGRESS_PERCENT``)."""
    record = await refunds.request_refund(
        session,
        gateway_of(request),
        request.app.state.settings,
        principal,
        order_id,
        payload.reason,
    )
    return RefundOut.of(record)


@router.get(
    "/admin/refunds",
    response_model=Page[RefundOut],
    tags=["commerce admin"],
    responses=error_responses(ERRORS, 401, 403, 422),
)
async def list_refunds(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[RefundStatus | None, Query()] = None,
    order_id: Annotated[uuid.UUID | None, Query(alias="orderId")] = None,
) -> Page[RefundOut]:
    """Every refund, newest first (filters: status, order)."""
    principal.require(ORDER_VIEW_ANY)
    records, total = await refunds.list_refunds(
        session,
        offset=params.offset,
        limit=params.limit,
        status=status.value if status else None,
        order_id=order_id,
    )
    return Page.build([RefundOut.of(record) for record in records], total, params)
