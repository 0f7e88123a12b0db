"""Refunds: full and partial by admins, by the buyer within the refund window, by the
fulfilment saga, and of a surplus payment (an order paid twice or closed before its payment
landed).

The sum of an order's refunds never exceeds what its payment captured, also under concurrent
requests (PAY-05): the amount is reserved on the payment first with one conditional UPDATE
(``refunded_minor + amount <= captured_minor``), so concurrent refunds queue on the payment's
row and each sees what the previous one left; then the refund row is written and the gateway
asked (idempotency key ``refund:<refund id>``). A refund the gateway declines gives its
reservation back and answers 409 ``refund_declined``; one whose answer is lost (a timeout, a
lost connection) stays ``pending`` with its reservation, and the reconciler asks the gateway
again with the same key, so it is settled once, never made twice, never forgotten (ADR 0042).
A succeeded refund adds to the order (A's ``orders.record_refund``, which
publishes ``OrderRefunded``) and, when nothing is left paid and
``CAMPUS_COMMERCE_REVOKE_ACCESS_ON_REFUND`` is on, revokes the buyer's purchase entitlements
(progress is kept; access ends).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderStatus, RefundStatus, WebhookOutcome
from campus.commerce.exceptions import (
    OrderNotFound,
    OrderNotRefundable,
    RefundDeclined,
    RefundExceedsPaid,
    RefundProgressTooHigh,
    RefundUnavailable,
    RefundWindowClosed,
)
from campus.commerce.gateways.port import (
    GatewayError,
    GatewayRefund,
    GatewayRefundStatus,
    PaymentGateway,
)
from campus.commerce.models import Payment, Refund
from campus.commerce.repository import payments as payments_repo
from campus.commerce.repository import refunds as repo
from campus.commerce.service import orders
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger
from campus.learning import api as learning_api

log = get_logger("campus.commerce.refunds")

_REFUNDABLE = (OrderStatus.PAID, OrderStatus.PARTIALLY_REFUNDED)


@dataclass(frozen=True, slots=True)
class RefundRecord:
    id: uuid.UUID
    order_id: uuid.UUID
    payment_id: uuid.UUID
    amount_minor: int
    currency: str
    status: RefundStatus
    reason: str | None
    gateway_refund_id: str | None
    failure_code: str | None
    requested_by: uuid.UUID | None
    created_at: datetime
    completed_at: datetime | None


def record_of(row: Refund) -> RefundRecord:
    return RefundRecord(
        id=row.id,
        order_id=row.order_id,
        payment_id=row.payment_id,
        amount_minor=row.amount_minor,
        currency=row.currency,
        status=RefundStatus(row.status),
        reason=row.reason,
        gateway_refund_id=row.gateway_refund_id,
        failure_code=row.failure_code,
        requested_by=row.requested_by,
        created_at=row.created_at,
        completed_at=row.completed_at,
    )


async def refund_order(
    session: AsyncSession,
    gateway: PaymentGateway,
    settings: Settings,
    *,
    order_id: uuid.UUID,
    amount_minor: int | None,
    reason: str | None,
    requested_by: uuid.UUID | None,
    idempotency_key: str,
) -> RefundRecord:
    """Refund ``amount_minor`` of the order (everything left when None); see the module
    docstring. The refund answered is ``succeeded``, or ``pending`` when the provider settles
    it later (by webhook) or its answer was lost (the reconciler settles it). 409
    ``order_not_refundable``, ``refund_exceeds_paid``, ``refund_declined`` (the provider said
    no: nothing is kept), ``refund_unavailable`` (the provider refused the request itself)."""
    order = await orders.load(session, order_id)
    if order is None:
        raise OrderNotFound()
    if order.status not in _REFUNDABLE:
        raise OrderNotRefundable(details={"status": order.status.value})
    payment = await payments_repo.succeeded_for_order(session, order_id)
    if payment is None:
        raise OrderNotRefundable(details={"status": order.status.value})
    remaining = min(
        payment.captured_minor - payment.refunded_minor, order.total_minor - order.refunded_minor
    )
    amount = remaining if amount_minor is None else amount_minor
    if amount <= 0:
        if amount_minor is None:
            raise RefundExceedsPaid(details={"remainingMinor": max(remaining, 0)})
        raise field_error("amountMinor", "Refund a positive amount.", "too_small")
    return await _refund_payment(
        session,
        gateway,
        settings,
        payment,
        amount=amount,
        reason=reason,
        requested_by=requested_by,
        idempotency_key=idempotency_key,
        counts_for_order=True,
    )


async def refund_surplus_payment(
    session: AsyncSession, gateway: PaymentGateway, settings: Settings, payment_id: uuid.UUID
) -> RefundRecord | None:
    """Give back all of a payment that succeeded for an order that no longer wanted it (the
    order did not count it as paid). None when nothing is left to give back."""
    payment = await payments_repo.get(session, payment_id)
    if payment is None or payment.captured_minor - payment.refunded_minor <= 0:
        return None
    return await _refund_payment(
        session,
        gateway,
        settings,
        payment,
        amount=payment.captured_minor - payment.refunded_minor,
        reason="surplus payment",
        requested_by=None,
        idempotency_key=f"surplus:{payment.id}",
        counts_for_order=False,
    )


async def _refund_payment(
    session: AsyncSession,
    gateway: PaymentGateway,
    settings: Settings,
    payment: Payment,
    *,
    amount: int,
    reason: str | None,
    requested_by: uuid.UUID | None,
    idempotency_key: str,
    counts_for_order: bool,
) -> RefundRecord:
    if payment.gateway != gateway.name or payment.gateway_payment_id is None:
        raise RefundUnavailable(details={"gateway": payment.gateway})
    if not await payments_repo.add_refunded(session, payment.id, amount):
        fresh = await payments_repo.get(session, payment.id)
        left = 0 if fresh is None else fresh.captured_minor - fresh.refunded_minor
        log.info(
            "refund_refused",
            order_id=str(payment.order_id),
            amount_minor=amount,
            remaining_minor=left,
        )
        raise RefundExceedsPaid(details={"remainingMinor": max(left, 0)})
    refund_id = new_id()
    now = utcnow()
    await repo.insert(
        session,
        {
            "id": refund_id,
            "order_id": payment.order_id,
            "payment_id": payment.id,
            "amount_minor": amount,
            "currency": payment.currency,
            "status": RefundStatus.PENDING.value,
            "reason": reason,
            "requested_by": requested_by,
            "idempotency_key": idempotency_key[:255],
            "created_at": now,
        },
    )
    try:
        answer = await gateway.refund(
            payment.gateway_payment_id,
            amount_minor=amount,
            currency=payment.currency,
            idempotency_key=gateway_refund_key(refund_id),
            reason=reason,
        )
    except GatewayError as exc:
        if not exc.retryable:
            # A refusal of the request itself: nothing was refunded, nothing is kept.
            log.warning(
                "refund_gateway_error", order_id=str(payment.order_id), error=str(exc)[:300]
            )
            raise RefundUnavailable() from exc
        # No answer (a timeout, a lost connection, a provider error): the provider may have
        # refunded. The refund stays pending with its amount reserved, and the reconciler asks
        # again with the same idempotency key, which the provider answers with the refund it
        # made or makes it now, once (``reconcile_pending``).
        log.warning(
            "refund_outcome_unknown",
            order_id=str(payment.order_id),
            refund_id=str(refund_id),
            amount_minor=amount,
            error=str(exc)[:300],
        )
        pending = await repo.get(session, refund_id)
        assert pending is not None
        return record_of(pending)
    await _settle(session, settings, refund_id, answer, counts_for_order=counts_for_order)
    row = await repo.get(session, refund_id)
    assert row is not None
    if row.status == RefundStatus.FAILED.value:
        # The provider said no: the amount reserved was given back by ``_settle``; the caller's
        # transaction rolls back with the error (the provider keeps its own record).
        log.warning(
            "refund_declined",
            order_id=str(payment.order_id),
            refund_id=str(refund_id),
            amount_minor=amount,
            failure_code=row.failure_code,
        )
        raise RefundDeclined(details={"failureCode": row.failure_code})
    return record_of(row)


def gateway_refund_key(refund_id: uuid.UUID) -> str:
    """The idempotency key of a refund at its provider: the same for every ask."""
    return f"refund:{refund_id}"


async def reconcile_pending(
    session: AsyncSession, gateway: PaymentGateway, settings: Settings, *, before: datetime
) -> int:
    """Settle refunds whose provider's answer was lost (pending, no provider id, asked before
    ``before``): ask again with the same key and record the answer; returns how many were
    settled. A refund the provider still does not answer stays pending for the next run."""
    settled = 0
    for row in await repo.unanswered(session, before, RECONCILE_BATCH):
        payment = await payments_repo.get(session, row.payment_id)
        if payment is None or payment.gateway != gateway.name or not payment.gateway_payment_id:
            continue
        try:
            answer = await gateway.refund(
                payment.gateway_payment_id,
                amount_minor=row.amount_minor,
                currency=row.currency,
                idempotency_key=gateway_refund_key(row.id),
                reason=row.reason,
            )
        except GatewayError as exc:
            log.warning("refund_reconcile_failed", refund_id=str(row.id), error=str(exc)[:200])
            continue
        if answer.amount_minor != row.amount_minor or answer.currency != row.currency:
            log.error("refund_reconcile_mismatch", refund_id=str(row.id))
            continue
        paying = await payments_repo.succeeded_for_order(session, row.order_id)
        counts = paying is not None and paying.id == row.payment_id
        await _settle(session, settings, row.id, answer, counts_for_order=counts)
        log.info("refund_reconciled", refund_id=str(row.id), status=answer.status.value)
        settled += 1
    return settled


#: Refunds looked at per reconciler run.
RECONCILE_BATCH = 200


async def _settle(
    session: AsyncSession,
    settings: Settings,
    refund_id: uuid.UUID,
    answer: GatewayRefund,
    *,
    counts_for_order: bool,
) -> None:
    """Record the gateway's answer for a pending refund (once: a conditional UPDATE)."""
    now = utcnow()
    await repo.set_gateway_id(session, refund_id, answer.gateway_refund_id)
    if answer.status == GatewayRefundStatus.PENDING:
        return
    status = (
        RefundStatus.SUCCEEDED
        if answer.status == GatewayRefundStatus.SUCCEEDED
        else RefundStatus.FAILED
    )
    if not await repo.complete(
        session, refund_id, status=status, failure_code=answer.failure_code, now=now
    ):
        return
    row = await repo.get(session, refund_id)
    assert row is not None
    if status == RefundStatus.FAILED:
        await payments_repo.give_back_refunded(session, row.payment_id, row.amount_minor)
        return
    log.info(
        "refund_succeeded",
        order_id=str(row.order_id),
        refund_id=str(row.id),
        amount_minor=row.amount_minor,
        currency=row.currency,
    )
    if not counts_for_order:
        return
    order = await orders.record_refund(
        session, row.order_id, refund_id=row.id, amount_minor=row.amount_minor
    )
    if order is None:
        return
    if (
        order.refunded_minor >= order.total_minor
        and CommerceSettings.of(settings).revoke_access_on_refund
    ):
        for course_id in order.course_ids:
            await learning_api.revoke_entitlement(
                session,
                user_id=order.user_id,
                course_id=course_id,
                source="purchase",
                reference=str(order.id),
            )
        log.info("refund_access_revoked", order_id=str(order.id), courses=len(order.course_ids))


async def settle_from_gateway(
    session: AsyncSession,
    *,
    gateway_name: str,
    gateway_refund_id: str,
    succeeded: bool,
    amount_minor: int | None,
    currency: str | None,
    settings: Settings | None = None,
) -> WebhookOutcome:
    """A provider's refund event: settle the pending refund it names (webhooks)."""
    row = await repo.get_by_gateway_id(session, gateway_refund_id)
    if row is None:
        return WebhookOutcome.UNKNOWN_PAYMENT
    if (amount_minor is not None and amount_minor != row.amount_minor) or (
        currency is not None and currency.upper() != row.currency
    ):
        return WebhookOutcome.MISMATCH
    if row.status != RefundStatus.PENDING.value or settings is None:
        return WebhookOutcome.IGNORED
    answer = GatewayRefund(
        gateway=gateway_name,
        gateway_refund_id=gateway_refund_id,
        gateway_payment_id="",
        status=GatewayRefundStatus.SUCCEEDED if succeeded else GatewayRefundStatus.FAILED,
        amount_minor=row.amount_minor,
        currency=row.currency,
    )
    # Only a refund of the payment that paid the order is the order's refund; a surplus
    # payment's (the order paid twice) goes back without touching the order.
    paying = await payments_repo.succeeded_for_order(session, row.order_id)
    counts = paying is not None and paying.id == row.payment_id
    await _settle(session, settings, row.id, answer, counts_for_order=counts)
    return WebhookOutcome.APPLIED


# --------------------------------------------------------------------------- the buyer


async def request_refund(
    session: AsyncSession,
    gateway: PaymentGateway,
    settings: Settings,
    principal: Principal,
    order_id: uuid.UUID,
    reason: str | None,
) -> RefundRecord:
    """The buyer's own refund of a whole order: within ``refund_window_days`` of payment and
    while every course of it is under ``refund_max_progress_percent`` progress."""
    order = await orders.load(session, order_id)
    if order is None or order.user_id != principal.user_id:
        raise OrderNotFound()
    if order.status != OrderStatus.PAID or order.paid_at is None:
        raise OrderNotRefundable(details={"status": order.status.value})
    config = CommerceSettings.of(settings)
    closes_at = order.paid_at + timedelta(days=config.refund_window_days)
    if utcnow() > closes_at:
        raise RefundWindowClosed(details={"closedAt": closes_at.isoformat()})
    for course_id in order.course_ids:
        enrollment = await learning_api.get_enrollment(session, order.user_id, course_id)
        if (
            enrollment is not None
            and enrollment.progress_percent >= config.refund_max_progress_percent
        ):
            raise RefundProgressTooHigh(
                details={
                    "courseId": str(course_id),
                    "progressPercent": enrollment.progress_percent,
                    "maxProgressPercent": config.refund_max_progress_percent,
                }
            )
    return await refund_order(
        session,
        gateway,
        settings,
        order_id=order_id,
        amount_minor=None,
        reason=reason or "requested by the buyer",
        requested_by=principal.user_id,
        idempotency_key=f"buyer:{order_id}",
    )


async def list_refunds(
    session: AsyncSession,
    *,
    offset: int,
    limit: int,
    status: str | None,
    order_id: uuid.UUID | None,
) -> tuple[list[RefundRecord], int]:
    rows, total = await repo.list_refunds(
        session, offset=offset, limit=limit, status=status, order_id=order_id
    )
    return [record_of(row) for row in rows], total
