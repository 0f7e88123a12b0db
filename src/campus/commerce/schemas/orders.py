"""Checkout, quote and order wire models. Requests carry no price, total, status or owner:
the models forbid unknown fields, so a client that sends one gets a 422."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from campus.catalog.data import PricingTier
from campus.commerce.data import OrderLineRecord, OrderRecord, OrderStatus, PaymentRecord
from campus.commerce.service.checkout import Quote, QuoteLine
from campus.kernel.money import MoneyOut
from campus.kernel.schemas import ApiModel, InputModel


class BillingAddress(InputModel):
    line1: str | None = Field(default=None, max_length=200)
    line2: str | None = Field(default=None, max_length=200)
    city: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)


class CheckoutRequest(InputModel):
    billing_name: str = Field(min_length=1, max_length=200)
    billing_country: str = Field(pattern=r"^[A-Za-z]{2}$", description="ISO 3166-1 alpha-2")
    billing_state: str | None = Field(default=None, pattern=r"^[A-Za-z0-9]{1,10}$")
    billing_address: BillingAddress | None = None
    coupon_code: str | None = Field(default=None, min_length=1, max_length=40)
    #: Pay with a saved method of the buyer's (``GET /payment-methods``).
    payment_method_id: uuid.UUID | None = None
    save_payment_method: bool = False

    @field_validator("billing_country", "billing_state")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else value

    def address(self) -> dict[str, Any]:
        if self.billing_address is None:
            return {}
        return self.billing_address.model_dump(by_alias=True, exclude_none=True)


class QuoteLineOut(ApiModel):
    course_id: uuid.UUID
    tier: PricingTier | None
    title: str
    unit_price: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    tax_rate_bp: int
    total: MoneyOut

    @classmethod
    def of(cls, line: QuoteLine, currency: str) -> QuoteLineOut:
        return cls(
            course_id=line.course_id,
            tier=line.tier,
            title=line.title,
            unit_price=MoneyOut.from_parts(line.unit_price_minor, currency),
            discount=MoneyOut.from_parts(line.discount_minor, currency),
            tax=MoneyOut.from_parts(line.tax_minor, currency),
            tax_rate_bp=line.tax_rate_bp,
            total=MoneyOut.from_parts(line.total_minor, currency),
        )


class QuoteOut(ApiModel):
    currency: str
    coupon_code: str | None
    tax_inclusive: bool
    tax_name: str | None
    tax_rate_bp: int
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    lines: list[QuoteLineOut]

    @classmethod
    def of(cls, quote: Quote) -> QuoteOut:
        c = quote.currency
        return cls(
            currency=c,
            coupon_code=quote.coupon.code if quote.coupon else None,
            tax_inclusive=quote.tax_inclusive,
            tax_name=quote.tax_rate.name if quote.tax_rate else None,
            tax_rate_bp=quote.tax_rate.rate_bp if quote.tax_rate else 0,
            subtotal=MoneyOut.from_parts(quote.subtotal_minor, c),
            discount=MoneyOut.from_parts(quote.discount_minor, c),
            tax=MoneyOut.from_parts(quote.tax_minor, c),
            total=MoneyOut.from_parts(quote.total_minor, c),
            lines=[QuoteLineOut.of(line, c) for line in quote.lines],
        )


class OrderLineOut(ApiModel):
    id: uuid.UUID
    course_id: uuid.UUID
    tier: str | None
    title: str
    unit_price: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    tax_rate_bp: int
    total: MoneyOut
    refunded: MoneyOut

    @classmethod
    def of(cls, line: OrderLineRecord, currency: str) -> OrderLineOut:
        return cls(
            id=line.id,
            course_id=line.course_id,
            tier=line.tier,
            title=line.title,
            unit_price=MoneyOut.from_parts(line.unit_price_minor, currency),
            discount=MoneyOut.from_parts(line.discount_minor, currency),
            tax=MoneyOut.from_parts(line.tax_minor, currency),
            tax_rate_bp=line.tax_rate_bp,
            total=MoneyOut.from_parts(line.total_minor, currency),
            refunded=MoneyOut.from_parts(line.refunded_minor, currency),
        )


class CommerceOrderOut(ApiModel):
    id: uuid.UUID
    number: str
    user_id: uuid.UUID
    status: OrderStatus
    currency: str
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    refunded: MoneyOut
    coupon_code: str | None
    tax_inclusive: bool
    billing_name: str
    billing_country: str
    billing_state: str | None
    billing_address: dict[str, Any]
    created_at: datetime
    expires_at: datetime | None
    paid_at: datetime | None
    fulfilled_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineOut]

    @classmethod
    def of(cls, order: OrderRecord) -> CommerceOrderOut:
        c = order.currency
        return cls(
            id=order.id,
            number=order.number,
            user_id=order.user_id,
            status=order.status,
            currency=c,
            subtotal=MoneyOut.from_parts(order.subtotal_minor, c),
            discount=MoneyOut.from_parts(order.discount_minor, c),
            tax=MoneyOut.from_parts(order.tax_minor, c),
            total=MoneyOut.from_parts(order.total_minor, c),
            refunded=MoneyOut.from_parts(order.refunded_minor, c),
            coupon_code=order.coupon_code,
            tax_inclusive=order.tax_inclusive,
            billing_name=order.billing_name,
            billing_country=order.billing_country,
            billing_state=order.billing_state,
            billing_address=order.billing_address,
            created_at=order.created_at,
            expires_at=order.expires_at,
            paid_at=order.paid_at,
            fulfilled_at=order.fulfilled_at,
            cancelled_at=order.cancelled_at,
            lines=[OrderLineOut.of(line, c) for line in order.lines],
        )


class CheckoutPaymentOut(ApiModel):
    id: uuid.UUID
    gateway: str
    status: str
    amount: MoneyOut
    #: Where the buyer goes next (hosted payment page, 3-D Secure, PayPal approval).
    next_action_url: str | None
    failure_code: str | None

    @classmethod
    def of(cls, payment: PaymentRecord) -> CheckoutPaymentOut:
        return cls(
            id=payment.id,
            gateway=payment.gateway,
            status=payment.status.value,
            amount=MoneyOut.from_parts(payment.amount_minor, payment.currency),
            next_action_url=payment.next_action_url,
            failure_code=payment.failure_code,
        )


class CheckoutOut(ApiModel):
    order: CommerceOrderOut
    #: ``null`` for a free order (completed at once).
    payment: CheckoutPaymentOut | None
    next_action_url: str | None


class ReceiptLineOut(ApiModel):
    title: str
    unit_price: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut


class ReceiptOut(ApiModel):
    """What the buyer paid, for their records (the invoice is the legal document)."""

    order_number: str
    status: OrderStatus
    seller_name: str
    seller_address: str
    seller_tax_id: str
    billing_name: str
    billing_country: str
    billing_state: str | None
    paid_at: datetime | None
    currency: str
    coupon_code: str | None
    tax_inclusive: bool
    subtotal: MoneyOut
    discount: MoneyOut
    tax: MoneyOut
    total: MoneyOut
    refunded: MoneyOut
    lines: list[ReceiptLineOut]
