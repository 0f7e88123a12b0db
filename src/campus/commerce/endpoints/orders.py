"""Checkout and the buyer's orders: place an order (Idempotency-Key required), quote a cart,
list, read, cancel, receipt."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Header, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderRecord, OrderStatus, PaymentRecord
from campus.commerce.endpoints.errors import errors
from campus.commerce.gateways import gateway_of
from campus.commerce.schemas.orders import (
    CheckoutOut,
    CheckoutPaymentOut,
    CheckoutRequest,
    CommerceOrderOut,
    QuoteOut,
    ReceiptLineOut,
    ReceiptOut,
)
from campus.commerce.service import checkout, orders, payments
from campus.commerce.settings import CommerceSettings
from campus.kernel import idempotency
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.money import MoneyOut
from campus.kernel.pagination import Page, PageParams, page_params

checkout_router = api_router(tags=["checkout"])
router = api_router(prefix="/orders", tags=["orders"])

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required: a unique value per intended order. Replaying it with the same "
        "body answers the first response again (an error too); with another body it is a 422.",
    ),
]


@checkout_router.post(
    "/checkout",
    status_code=201,
    summary="Turn the cart into an order and start its payment",
    description=(
        "Prices, discount, tax and totals are computed by the server from the catalog, the "
        "coupon and the billing country; the body names none of them. A free order (100 % "
        "coupon) is paid at once (`payment: null`); otherwise follow `nextActionUrl` to pay. "
        "Unpaid orders expire after `CAMPUS_COMMERCE_ORDER_EXPIRY_MINUTES`. 400 "
        "`idempotency_key_required` without an `Idempotency-Key`; 409 "
        "`cart_already_checked_out`, `cart_empty`, `coupon_invalid`, `coupon_exhausted`, "
        "`course_already_owned`, `idempotency_in_flight`; 422 `idempotency_key_reused`."
    ),
    response_model=CheckoutOut,
    responses=errors(400, 401, 404, 409, 422, 503),
)
async def place_order(
    body: CheckoutRequest,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    idempotency_key: IdempotencyKeyHeader = None,
) -> Response:
    key = idempotency.require_key(idempotency_key)
    settings = request.app.state.settings
    gateway = gateway_of(request)

    async def start(session: AsyncSession, order: OrderRecord, email: str) -> PaymentRecord:
        return await payments.start_payment(
            session,
            settings,
            gateway,
            order=order,
            buyer_email=email,
            payment_method_id=body.payment_method_id,
            save_payment_method=body.save_payment_method,
            return_url=payments.return_url_for(settings, order.id),
            cancel_url=payments.return_url_for(settings, order.id) + "?cancelled=1",
            attempt=1,  # the order was created in this transaction: its first payment
        )

    async def place() -> CheckoutOut:
        result = await checkout.checkout(
            session,
            principal,
            settings,
            idempotency_key=key,
            billing=checkout.Billing(
                name=body.billing_name,
                country=body.billing_country,
                state=body.billing_state,
                address=body.address(),
            ),
            coupon_code=body.coupon_code,
            start_payment=start,
        )
        payment = CheckoutPaymentOut.of(result.payment) if result.payment else None
        return CheckoutOut(
            order=CommerceOrderOut.of(result.order),
            payment=payment,
            next_action_url=payment.next_action_url if payment else None,
        )

    return await idempotency.run(
        request,
        session,
        scope=idempotency.scope_of(principal, request),
        key=key,
        body=body.model_dump(mode="json"),
        ttl=timedelta(hours=CommerceSettings.of(settings).idempotency_ttl_hours),
        status_code=201,
        action=place,
    )


@checkout_router.post(
    "/checkout/quote",
    summary="What the cart would cost now (with a coupon and the billing country's tax)",
    response_model=QuoteOut,
    responses=errors(401, 404, 409, 422),
)
async def quote_cart(
    body: CheckoutRequest, request: Request, session: DbSession, principal: CurrentPrincipal
) -> QuoteOut:
    return QuoteOut.of(
        await checkout.quote(
            session,
            principal,
            request.app.state.settings,
            coupon_code=body.coupon_code,
            billing_country=body.billing_country,
            billing_state=body.billing_state,
        )
    )


@router.get(
    "",
    summary="My orders, newest first",
    response_model=Page[CommerceOrderOut],
    responses=errors(401, 422),
)
async def list_my_orders(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[OrderStatus | None, Query()] = None,
) -> Page[CommerceOrderOut]:
    found, total = await orders.list_mine(
        session, principal, status=status, limit=params.limit, offset=params.offset
    )
    return Page.build([CommerceOrderOut.of(o) for o in found], total, params)


@router.get(
    "/{order_id}",
    summary="One of my orders (another buyer's is a 404)",
    response_model=CommerceOrderOut,
    responses=errors(401, 404, 422),
)
async def get_order(
    order_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CommerceOrderOut:
    return CommerceOrderOut.of(await orders.get_for(session, principal, order_id))


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an unpaid order (its coupon use comes back)",
    response_model=CommerceOrderOut,
    responses=errors(401, 404, 409, 422),
)
async def cancel_order(
    order_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CommerceOrderOut:
    return CommerceOrderOut.of(await orders.cancel(session, principal, order_id))


@router.get(
    "/{order_id}/receipt",
    summary="The receipt of one of my orders",
    response_model=ReceiptOut,
    responses=errors(401, 404, 422),
)
async def get_receipt(
    order_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> ReceiptOut:
    order = await orders.get_for(session, principal, order_id)
    seller = CommerceSettings.of(request.app.state.settings)
    c = order.currency
    return ReceiptOut(
        order_number=order.number,
        status=order.status,
        seller_name=seller.seller_name,
        seller_address=seller.seller_address,
        seller_tax_id=seller.seller_tax_id,
        billing_name=order.billing_name,
        billing_country=order.billing_country,
        billing_state=order.billing_state,
        paid_at=order.paid_at,
        currency=c,
        coupon_code=order.coupon_code,
        tax_inclusive=order.tax_inclusive,
        subtotal=MoneyOut.from_parts(order.subtotal_minor, c),
        discount=MoneyOut.from_parts(order.discount_minor, c),
        tax=MoneyOut.from_parts(order.tax_minor, c),
        total=MoneyOut.from_parts(order.total_minor, c),
        refunded=MoneyOut.from_parts(order.refunded_minor, c),
        lines=[
            ReceiptLineOut(
                title=line.title,
                unit_price=MoneyOut.from_parts(line.unit_price_minor, c),
                discount=MoneyOut.from_parts(line.discount_minor, c),
                tax=MoneyOut.from_parts(line.tax_minor, c),
                total=MoneyOut.from_parts(line.total_minor, c),
            )
            for line in order.lines
        ],
    )
