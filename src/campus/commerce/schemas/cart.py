"""Cart wire models."""

from __future__ import annotations

import uuid

from pydantic import Field

from campus.catalog.data import PricingTier
from campus.commerce.data import CartStatus
from campus.commerce.service.cart import CartLine, CartView
from campus.kernel.money import MoneyOut
from campus.kernel.schemas import ApiModel, InputModel


class CartItemCreate(InputModel):
    """Only the course (and its tier): the price always comes from the catalog."""

    course_id: uuid.UUID
    tier: PricingTier | None = None


class CartMergeRequest(InputModel):
    cart_token: str = Field(min_length=16, max_length=128)


class CartItemOut(ApiModel):
    course_id: uuid.UUID
    tier: PricingTier | None
    title: str
    #: The current catalog price; ``null`` when the course can no longer be bought.
    price: MoneyOut | None
    purchasable: bool

    @classmethod
    def of(cls, line: CartLine) -> CartItemOut:
        return cls(
            course_id=line.course_id,
            tier=line.tier,
            title=line.title,
            price=MoneyOut.of(line.price) if line.price is not None else None,
            purchasable=line.purchasable,
        )


class CartSkippedItem(ApiModel):
    course_id: uuid.UUID
    reason: str


class CartOut(ApiModel):
    #: ``null`` while the caller has no cart.
    id: uuid.UUID | None
    status: CartStatus
    currency: str | None
    items: list[CartItemOut]
    subtotal: MoneyOut | None
    #: The anonymous cart's token, returned once when the cart is created: send it back as
    #: ``X-Cart-Token`` (and to ``POST /cart/merge`` after signing in).
    cart_token: str | None = None
    #: Courses a merge left out, with the reason's code.
    skipped: list[CartSkippedItem] = []

    @classmethod
    def of(cls, cart: CartView) -> CartOut:
        subtotal = cart.subtotal
        return cls(
            id=cart.id,
            status=cart.status,
            currency=cart.currency,
            items=[CartItemOut.of(line) for line in cart.lines],
            subtotal=MoneyOut.of(subtotal) if subtotal is not None else None,
            cart_token=cart.token,
            skipped=[CartSkippedItem(course_id=c, reason=r) for c, r in cart.skipped],
        )
