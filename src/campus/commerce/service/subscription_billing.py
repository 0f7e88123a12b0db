"""Invoices of subscription charges.

A subscription's charge (first period, renewal, dunning retry, proration) is not a cart
checkout, but the subscriber sees it among their orders and invoices like a purchase: each
paid charge becomes a paid order of one line (the plan, its ``course_id`` being the plan's id,
no instructor: all of it is the platform's) whose idempotency key is the charge's gateway key,
and that order gets its invoice in commerce's numbering, with its tax and its sale posted to
the ledger, in the same transaction. The charged amount is what the subscriber paid, so the
tax is the part of it the buyer's rate holds (tax-inclusive, whatever
``CAMPUS_COMMERCE_PRICES_INCLUDE_TAX`` says for catalog prices). The buyer's billing details
are those of their latest order; a subscriber who never checked out is invoiced by name only.

Issuing twice is harmless: the order's key is unique per buyer, and its invoice is looked up
under the year's sequence lock before one is written. No ``OrderPaid`` is published: there is
nothing to fulfil."""

from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderRecord, OrderStatus
from campus.commerce.models import Order
from campus.commerce.repository import orders as orders_repo
from campus.commerce.service import invoices, orders
from campus.commerce.service.checkout import order_number
from campus.commerce.service.tax import line_tax, rate_for
from campus.config import Settings
from campus.kernel.ids import new_id

#: Where a subscriber who never gave billing details is billed (no tax rate matches it).
UNKNOWN_COUNTRY = "ZZ"


async def _billing_of(session: AsyncSession, user_id: uuid.UUID) -> dict[str, object]:
    latest = await session.scalar(
        sa.select(Order)
        .where(Order.user_id == user_id)
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(1)
    )
    if latest is None:
        return {
            "billing_name": "",
            "billing_country": UNKNOWN_COUNTRY,
            "billing_state": None,
            "billing_address": {},
        }
    return {
        "billing_name": latest.billing_name,
        "billing_country": latest.billing_country,
        "billing_state": latest.billing_state,
        "billing_address": dict(latest.billing_address or {}),
    }


async def invoice_charge(
    session: AsyncSession,
    settings: Settings,
    *,
    user_id: uuid.UUID,
    idempotency_key: str,
    product_id: uuid.UUID,
    title: str,
    amount_minor: int,
    currency: str,
    paid_at: datetime,
) -> OrderRecord:
    """The paid order of one subscription charge and its invoice, each made once."""
    existing = await orders_repo.get_by_key(session, user_id, idempotency_key)
    if existing is None:
        billing = await _billing_of(session, user_id)
        country = str(billing["billing_country"])
        state = billing["billing_state"]
        rate = await rate_for(session, country, str(state) if state else None, paid_at)
        rate_bp = rate.rate_bp if rate is not None else 0
        taxed = line_tax(amount_minor, rate_bp, inclusive=True)
        order_id = new_id()
        inserted = await orders_repo.insert_order(
            session,
            {
                "id": order_id,
                "number": order_number(order_id, paid_at.year),
                "user_id": user_id,
                "cart_id": None,
                "status": OrderStatus.PAID.value,
                "currency": currency,
                "subtotal_minor": amount_minor,
                "discount_minor": 0,
                "tax_minor": taxed.tax_minor,
                "total_minor": amount_minor,
                "refunded_minor": 0,
                "coupon_id": None,
                "coupon_code": None,
                "tax_inclusive": True,
                **billing,
                "idempotency_key": idempotency_key,
                "expires_at": None,
                "paid_at": paid_at,
                "fulfilled_at": paid_at,
                "created_at": paid_at,
                "updated_at": paid_at,
            },
        )
        if inserted:
            await orders_repo.insert_lines(
                session,
                [
                    {
                        "id": new_id(),
                        "order_id": order_id,
                        "position": 0,
                        "course_id": product_id,
                        "tier": None,
                        "title": title[:200],
                        "instructor_id": None,
                        "unit_price_minor": amount_minor,
                        "discount_minor": 0,
                        "tax_minor": taxed.tax_minor,
                        "tax_rate_bp": rate_bp,
                        "total_minor": amount_minor,
                    }
                ],
            )
        existing = await orders_repo.get_by_key(session, user_id, idempotency_key)
    assert existing is not None
    order = await orders.load(session, existing.id)
    assert order is not None
    await invoices.issue_invoice(session, settings, order.id)
    return order
