"""The cart: anonymous (by cart token) or the signed-in buyer's."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Header, Response

from campus.commerce.endpoints.errors import errors
from campus.commerce.schemas.cart import CartItemCreate, CartMergeRequest, CartOut
from campus.commerce.service import cart
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.http import api_router

router = api_router(prefix="/cart", tags=["cart"])

CartToken = Annotated[
    str | None,
    Header(
        alias="X-Cart-Token",
        max_length=128,
        description="An anonymous cart's token; a signed-in caller's first call with it merges "
        "that cart into theirs.",
    ),
]


@router.get(
    "",
    summary="The caller's cart, priced from the catalog now",
    response_model=CartOut,
    responses=errors(401, 422),
)
async def get_cart(
    session: DbSession, principal: OptionalPrincipal, x_cart_token: CartToken = None
) -> CartOut:
    return CartOut.of(await cart.get_cart(session, principal, x_cart_token))


@router.post(
    "",
    status_code=201,
    summary="Open a cart (anonymous callers get its token, once)",
    response_model=CartOut,
    responses=errors(401, 422),
)
async def open_cart(
    session: DbSession, principal: OptionalPrincipal, x_cart_token: CartToken = None
) -> CartOut:
    return CartOut.of(await cart.open_cart(session, principal, x_cart_token))


@router.delete("", status_code=204, summary="Empty the cart", responses=errors(401, 422))
async def clear_cart(
    session: DbSession, principal: OptionalPrincipal, x_cart_token: CartToken = None
) -> Response:
    await cart.clear(session, principal, x_cart_token)
    return Response(status_code=204)


@router.post(
    "/items",
    status_code=201,
    summary="Add a course to the cart",
    description=(
        "Refused with 409 `course_already_owned`, `course_already_in_cart`, `currency_mismatch` "
        "(a cart holds one currency) or `course_not_purchasable` (free or unpublished); 404 "
        "`course_not_found`. Prices are never taken from the client."
    ),
    response_model=CartOut,
    responses=errors(401, 404, 409, 422),
)
async def add_item(
    body: CartItemCreate,
    session: DbSession,
    principal: OptionalPrincipal,
    x_cart_token: CartToken = None,
) -> CartOut:
    return CartOut.of(
        await cart.add_item(session, principal, x_cart_token, body.course_id, body.tier)
    )


@router.delete(
    "/items/{course_id}",
    summary="Remove a course from the cart",
    response_model=CartOut,
    responses=errors(401, 404, 422),
)
async def remove_item(
    course_id: uuid.UUID,
    session: DbSession,
    principal: OptionalPrincipal,
    x_cart_token: CartToken = None,
) -> CartOut:
    return CartOut.of(await cart.remove_item(session, principal, x_cart_token, course_id))


@router.post(
    "/merge",
    summary="Merge an anonymous cart into the signed-in buyer's cart",
    description="Courses already owned, already in the cart or in another currency are left "
    "out and listed in `skipped`. An unknown or already merged token is a 404.",
    response_model=CartOut,
    responses=errors(401, 404, 422),
)
async def merge_cart(
    body: CartMergeRequest, session: DbSession, principal: CurrentPrincipal
) -> CartOut:
    return CartOut.of(await cart.merge(session, principal, body.cart_token))
