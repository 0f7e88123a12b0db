"""Coupons: management (admins: every coupon; instructors: their own) and a buyer's quote
with a coupon."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Query, Request, Response

from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.coupons import (
    CouponCreate,
    CouponOut,
    CouponUpdate,
    CouponValidateRequest,
)
from campus.commerce.schemas.orders import QuoteOut
from campus.commerce.service import checkout, coupons
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/coupons", tags=["coupons"])


@router.post(
    "/validate",
    summary="Quote my cart with a coupon (nothing is reserved)",
    description="409 `coupon_invalid` with `details.reason` (`inactive`, `not_started`, "
    "`expired`, `per_user_limit_reached`, `first_purchase_only`, `currency_mismatch`, "
    "`min_order_not_met`, `not_applicable`) or `coupon_exhausted`; 404 `coupon_not_found`.",
    response_model=QuoteOut,
    responses=errors(401, 404, 409, 422),
)
async def validate_coupon(
    body: CouponValidateRequest, request: Request, session: DbSession, principal: CurrentPrincipal
) -> QuoteOut:
    return QuoteOut.of(
        await checkout.quote(
            session,
            principal,
            request.app.state.settings,
            coupon_code=body.code,
            billing_country=body.billing_country,
            billing_state=body.billing_state,
        )
    )


@router.get(
    "",
    summary="Coupons (admins: all; instructors: their own)",
    response_model=Page[CouponOut],
    responses=errors(401, 403, 422),
)
async def list_coupons(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    active: Annotated[bool | None, Query()] = None,
) -> Page[CouponOut]:
    found, total = await coupons.list_coupons(
        session, principal, active=active, limit=params.limit, offset=params.offset
    )
    return Page.build([CouponOut.of(c) for c in found], total, params)


@router.post(
    "",
    status_code=201,
    summary="Create a coupon (an instructor's applies to their own courses only)",
    response_model=CouponOut,
    responses=errors(401, 403, 409, 422),
)
async def create_coupon(
    body: CouponCreate, session: DbSession, principal: CurrentPrincipal
) -> CouponOut:
    return CouponOut.of(await coupons.create(session, principal, body.values()))


@router.get(
    "/{coupon_id}",
    summary="One coupon (another instructor's is a 404)",
    response_model=CouponOut,
    responses=errors(401, 403, 404, 422),
)
async def get_coupon(
    coupon_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CouponOut:
    return CouponOut.of(await coupons.get(session, principal, coupon_id))


@router.patch(
    "/{coupon_id}",
    summary="Change a coupon's code, window, limits or restrictions",
    response_model=CouponOut,
    responses=errors(401, 403, 404, 409, 422),
)
async def update_coupon(
    coupon_id: uuid.UUID, body: CouponUpdate, session: DbSession, principal: CurrentPrincipal
) -> CouponOut:
    return CouponOut.of(await coupons.update(session, principal, coupon_id, body.changes()))


@router.delete(
    "/{coupon_id}",
    status_code=204,
    summary="Deactivate a coupon (orders keep referring to it)",
    responses=errors(401, 403, 404, 422),
)
async def deactivate_coupon(
    coupon_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await coupons.deactivate(session, principal, coupon_id)
    return Response(status_code=204)
