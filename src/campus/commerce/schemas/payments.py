"""Wire models of payments: a payment as the API shows it, the answer of the return URL, and a
webhook receipt."""

from __future__ import annotations

import uuid
from typing import Self

from campus.commerce.data import OrderRecord, PaymentRecord
from campus.commerce.service.webhooks import WebhookReceipt
from campus.kernel.schemas import ApiModel


class PaymentOut(ApiModel):
    """One payment of an order (amounts in minor units of ``currency``). ``nextActionUrl`` is
    the page the buyer must open (hosted payment page, 3-D Secure, approval) while the payment
    waits for them."""

    id: uuid.UUID
    order_id: uuid.UUID
    gateway: str
    gateway_payment_id: str | None
    status: str
    amount_minor: int
    currency: str
    next_action_url: str | None
    failure_code: str | None
    failure_message: str | None

    @classmethod
    def of(cls, record: PaymentRecord) -> Self:
        return cls(
            id=record.id,
            order_id=record.order_id,
            gateway=record.gateway,
            gateway_payment_id=record.gateway_payment_id,
            status=record.status.value,
            amount_minor=record.amount_minor,
            currency=record.currency,
            next_action_url=record.next_action_url,
            failure_code=record.failure_code,
            failure_message=record.failure_message,
        )


class PaymentReturnOut(ApiModel):
    """Where an order stands once the buyer is back from the gateway: ``paid`` (fulfilment
    follows within moments), still ``pending`` with the payment ``processing`` (it settles
    shortly) or waiting for the buyer again (``nextActionUrl``)."""

    order_id: uuid.UUID
    order_number: str
    order_status: str
    total_minor: int
    currency: str
    payment: PaymentOut | None

    @classmethod
    def of(cls, order: OrderRecord, payment: PaymentRecord | None) -> Self:
        return cls(
            order_id=order.id,
            order_number=order.number,
            order_status=order.status.value,
            total_minor=order.total_minor,
            currency=order.currency,
            payment=PaymentOut.of(payment) if payment is not None else None,
        )


class WebhookReceiptOut(ApiModel):
    """The endpoint took the event: ``duplicate`` when it had already been received (nothing
    changed); ``outcome`` says what the event did (``applied``, ``ignored``, ``mismatch``,
    ``unknown_payment``)."""

    received: bool = True
    event_id: str
    duplicate: bool
    outcome: str | None

    @classmethod
    def of(cls, receipt: WebhookReceipt) -> Self:
        return cls(
            event_id=receipt.event_id,
            duplicate=receipt.duplicate,
            outcome=receipt.outcome.value if receipt.outcome is not None else None,
        )
