"""Checkout: price the buyer's cart (catalog prices now, the coupon, the tax of their billing
country), turn it into an order, and start its payment.

Everything the order says is computed here, from the catalog, the coupon and the tax rates:
nothing the client sends is a price, a total, a status or an owner. The cart is claimed with
a conditional UPDATE (``open → converted``), so of many simultaneous checkouts of one cart
exactly one makes an order; the others answer 409 ``cart_already_checked_out``. The coupon's
use is taken by the statements that enforce its limits (``coupons.take``). A free order (100 %
discount) is paid at once without a gateway; any other asks the gateway through
``payments.start_payment``, and the buyer follows ``nextActionUrl``."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog.data import PricingTier
from campus.commerce.data import CartStatus, OrderRecord, OrderStatus, PaymentRecord
from campus.commerce.exceptions import (
    CartAlreadyCheckedOut,
    CartEmpty,
    CourseAlreadyOwned,
    CourseNotPurchasable,
)
from campus.commerce.models import Order, OrderLine
from campus.commerce.repository import carts as carts_repo
from campus.commerce.repository import orders as orders_repo
from campus.commerce.service import cart as carts
from campus.commerce.service import coupons, orders
from campus.commerce.service.coupons import CouponRecord, PricedLine
from campus.commerce.service.tax import TaxRateRecord, line_tax, rate_for
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.learning import api as learning


@dataclass(frozen=True, slots=True)
class QuoteLine:
    course_id: uuid.UUID
    tier: PricingTier | None
    title: str
    instructor_id: uuid.UUID | None
    unit_price_minor: int
    discount_minor: int
    tax_minor: int
    tax_rate_bp: int
    total_minor: int


@dataclass(frozen=True, slots=True)
class Quote:
    """What the buyer's cart costs now, line by line (every total is the sum of its lines)."""

    cart_id: uuid.UUID
    currency: str
    lines: tuple[QuoteLine, ...]
    tax_inclusive: bool
    tax_rate: TaxRateRecord | None
    coupon: CouponRecord | None

    @property
    def subtotal_minor(self) -> int:
        return sum(line.unit_price_minor for line in self.lines)

    @property
    def discount_minor(self) -> int:
        return sum(line.discount_minor for line in self.lines)

    @property
    def tax_minor(self) -> int:
        return sum(line.tax_minor for line in self.lines)

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)


@dataclass(frozen=True, slots=True)
class Billing:
    name: str
    country: str
    state: str | None
    address: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    order: OrderRecord
    #: None for a free order (completed without a gateway).
    payment: PaymentRecord | None


#: Starts the gateway payment of a new order (``payments.start_payment`` bound to the app's
#: gateway and the request's return URLs).
StartPayment = Callable[[AsyncSession, OrderRecord, str], Awaitable[PaymentRecord]]


def price_lines(
    cart_lines: Sequence[carts.CartLine],
    currency: str,
    coupon: CouponRecord | None,
    rate: TaxRateRecord | None,
    *,
    inclusive: bool,
) -> tuple[QuoteLine, ...]:
    """The lines of an order: catalog price, the coupon's share, the tax on what is left."""
    priced = [
        PricedLine(
            course_id=line.course_id,
            price_minor=line.price.minor if line.price is not None else 0,
            category_id=line.category_id,
            instructor_ids=line.instructor_ids,
        )
        for line in cart_lines
    ]
    off = coupons.discounts(coupon, currency, priced) if coupon is not None else [0] * len(priced)
    rate_bp = rate.rate_bp if rate is not None else 0
    out = []
    for line, item, discount in zip(cart_lines, priced, off, strict=True):
        net = item.price_minor - discount
        taxed = line_tax(net, rate_bp, inclusive=inclusive)
        out.append(
            QuoteLine(
                course_id=line.course_id,
                tier=line.tier,
                title=line.title,
                instructor_id=line.instructor_id,
                unit_price_minor=item.price_minor,
                discount_minor=discount,
                tax_minor=taxed.tax_minor,
                tax_rate_bp=rate_bp,
                total_minor=taxed.total_minor,
            )
        )
    return tuple(out)


async def quote(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    coupon_code: str | None,
    billing_country: str,
    billing_state: str | None,
) -> Quote:
    """Price the buyer's open cart now. 409 ``cart_empty``, ``course_not_purchasable`` (a
    course was unpublished meanwhile: remove it), ``course_already_owned``, and the coupon's
    refusals."""
    cart = await carts.checkout_cart(session, principal)
    if cart is None or cart.id is None or not cart.lines or cart.currency is None:
        raise CartEmpty()
    for line in cart.lines:
        if not line.purchasable:
            raise CourseNotPurchasable(details={"courseId": str(line.course_id)})
    # Every course of the cart at once (one query), refused in the cart's order.
    owned = await learning.courses_with_access(
        session, principal.user_id, [line.course_id for line in cart.lines]
    )
    for line in cart.lines:
        if line.course_id in owned:
            raise CourseAlreadyOwned(details={"courseId": str(line.course_id)})
    now = utcnow()
    coupon = (
        await coupons.find_usable(session, coupon_code, principal.user_id, now)
        if coupon_code
        else None
    )
    rate = await rate_for(session, billing_country, billing_state, now)
    inclusive = CommerceSettings.of(settings).prices_include_tax
    lines = price_lines(cart.lines, cart.currency, coupon, rate, inclusive=inclusive)
    return Quote(
        cart_id=cart.id,
        currency=cart.currency,
        lines=lines,
        tax_inclusive=inclusive,
        tax_rate=rate,
        coupon=coupon,
    )


def order_number(order_id: uuid.UUID, year: int) -> str:
    """``ORD-2026-<13 base32 characters>``: unique (from the order's random id bits), short,
    unambiguous to read aloud."""
    digest = base64.b32encode(order_id.bytes[6:]).decode().rstrip("=")
    return f"ORD-{year}-{digest[:13]}"


async def checkout(
    session: AsyncSession,
    principal: Principal,
    settings: Settings,
    *,
    idempotency_key: str,
    billing: Billing,
    coupon_code: str | None,
    start_payment: StartPayment,
) -> CheckoutResult:
    """Turn the buyer's cart into a pending order and start its payment (see the module)."""
    priced = await quote(
        session,
        principal,
        settings,
        coupon_code=coupon_code,
        billing_country=billing.country,
        billing_state=billing.state,
    )
    now = utcnow()
    if not await carts_repo.close(session, priced.cart_id, CartStatus.CONVERTED, now):
        raise CartAlreadyCheckedOut()
    order_id = new_id()
    expiry = timedelta(minutes=CommerceSettings.of(settings).order_expiry_minutes)
    values: dict[str, Any] = {
        "id": order_id,
        "number": order_number(order_id, now.year),
        "user_id": principal.user_id,
        "cart_id": priced.cart_id,
        "status": OrderStatus.PENDING.value,
        "currency": priced.currency,
        "subtotal_minor": priced.subtotal_minor,
        "discount_minor": priced.discount_minor,
        "tax_minor": priced.tax_minor,
        "total_minor": priced.total_minor,
        "refunded_minor": 0,
        "coupon_id": priced.coupon.id if priced.coupon else None,
        "coupon_code": priced.coupon.code if priced.coupon else None,
        "tax_inclusive": priced.tax_inclusive,
        "billing_name": billing.name,
        "billing_country": billing.country,
        "billing_state": billing.state,
        "billing_address": billing.address,
        "idempotency_key": idempotency_key,
        "expires_at": now + expiry,
        "created_at": now,
        "updated_at": now,
    }
    if not await orders_repo.insert_order(
        session, values
    ):  # the same key reached here twice: the request layer answers the first
        raise CartAlreadyCheckedOut()
    rows = [
        {
            "id": new_id(),
            "order_id": order_id,
            "position": position,
            "course_id": line.course_id,
            "tier": line.tier.value if line.tier else None,
            "title": line.title,
            "instructor_id": line.instructor_id,
            "unit_price_minor": line.unit_price_minor,
            "discount_minor": line.discount_minor,
            "tax_minor": line.tax_minor,
            "tax_rate_bp": line.tax_rate_bp,
            "total_minor": line.total_minor,
            "refunded_minor": 0,
        }
        for position, line in enumerate(priced.lines)
    ]
    await orders_repo.insert_lines(session, rows)
    # The order as written (no read back: every value is here).
    order = orders.record_of(Order(**values), [OrderLine(**row) for row in rows])
    payment = None
    if order.total_minor > 0:
        buyer = await identity.get_user_summary(session, principal.user_id)
        payment = await start_payment(session, order, buyer.email if buyer else "")
    # The coupon's use is taken last: its global counter is one row every checkout with the
    # coupon updates, so its lock is held only from here to the commit. Should no use be left
    # by now, the whole checkout rolls back (a gateway intent created above is then never
    # paid, like an abandoned checkout's).
    if priced.coupon is not None:
        await coupons.take(session, priced.coupon, user_id=principal.user_id, order_id=order_id)
    if payment is None:
        return CheckoutResult(await orders.mark_paid_free(session, order), None)
    return CheckoutResult(order, payment)
