"""Promo duration per coupon: plan managers set, read and remove how many paid periods one of
commerce's coupons discounts on a subscription."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from campus.billing.endpoints.errors import errors
from campus.billing.schemas.coupon_terms import CouponTermsIn, CouponTermsOut
from campus.billing.service import coupon_terms
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router

router = api_router(prefix="/billing/coupon-terms", tags=["subscription plans"])

Code = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


@router.put(
    "/{code}",
    summary="Set how many paid periods a promo code discounts on a subscription",
    description="404 `coupon_not_found` when commerce has no coupon of this code. The terms "
    "apply to subscriptions that redeem the code afterwards.",
    response_model=CouponTermsOut,
    responses=errors(401, 403, 404, 422),
)
async def put_coupon_terms(
    code: Code, body: CouponTermsIn, session: DbSession, principal: CurrentPrincipal
) -> CouponTermsOut:
    return CouponTermsOut.of(
        await coupon_terms.put(
            session, principal, code, duration=body.duration, periods=body.periods
        )
    )


@router.get(
    "/{code}",
    summary="The promo duration of a code",
    description="404 `coupon_terms_not_found` when the code discounts the default periods.",
    response_model=CouponTermsOut,
    responses=errors(401, 403, 404, 422),
)
async def get_coupon_terms(
    code: Code, session: DbSession, principal: CurrentPrincipal
) -> CouponTermsOut:
    return CouponTermsOut.of(await coupon_terms.get(session, principal, code))


@router.delete(
    "/{code}",
    status_code=204,
    summary="Back to the default promo duration (CAMPUS_BILLING_COUPON_PERIODS)",
    responses=errors(401, 403, 404, 422),
)
async def delete_coupon_terms(
    code: Code, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await coupon_terms.delete(session, principal, code)
    return Response(status_code=204)
