"""Payments: starting one for an order, and the one place a gateway's view moves a payment and
its order (``apply_gateway_payment``), whoever brings that view: the webhook, the buyer's
return redirect or the reconciler (ADR 0029).

* ``start_payment`` inserts the payment row and asks the gateway for an intent with the
  idempotency key ``order:<id>:attempt:<n>`` (asking twice returns the same intent).
* ``apply_gateway_payment`` checks the gateway's amount and currency against the payment
  (a mismatch changes nothing), then moves the payment with conditional UPDATEs: ``succeeded``
  and ``canceled`` are final, and ``pending → paid`` happens once for the order (A's
  ``orders.mark_paid`` publishes ``OrderPaid`` in the same transaction). A success for an
  order that was closed meanwhile (expired, cancelled) or paid by another payment is refunded
  by a job: the buyer is never charged for nothing.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import (
    CLOSED_UNPAID_STATUSES,
    ORDER_VIEW_ANY,
    OrderRecord,
    OrderStatus,
    PaymentRecord,
    PaymentStatus,
)
from campus.commerce.exceptions import OrderNotFound, PaymentMethodNotFound, PaymentUnavailable
from campus.commerce.gateways.port import (
    EmbeddedGateway,
    GatewayError,
    GatewayPayment,
    GatewayPaymentStatus,
    PaymentGateway,
    PaymentRequest,
)
from campus.commerce.models import Payment
from campus.commerce.policies import may_view_any_order
from campus.commerce.repository import orders as orders_repo
from campus.commerce.repository import payment_methods as methods_repo
from campus.commerce.repository import payments as repo
from campus.commerce.service import orders
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job

log = get_logger("campus.commerce.payments")

#: Job: refund a payment that succeeded for an order that no longer wanted it {paymentId}.
REFUND_SURPLUS_JOB = "commerce.refund_surplus_payment"


class ApplyOutcome(StrEnum):
    APPLIED = "applied"
    UNCHANGED = "unchanged"
    UNKNOWN_PAYMENT = "unknown_payment"
    MISMATCH = "mismatch"


def record_of(row: Payment) -> PaymentRecord:
    return PaymentRecord(
        id=row.id,
        order_id=row.order_id,
        gateway=row.gateway,
        gateway_payment_id=row.gateway_payment_id,
        status=PaymentStatus(row.status),
        amount_minor=row.amount_minor,
        currency=row.currency,
        next_action_url=row.next_action_url,
        failure_code=row.failure_code,
        failure_message=row.failure_message,
    )


def return_url_for(settings: Settings, order_id: uuid.UUID) -> str:
    """Where a gateway sends the buyer back: ``GET /api/v1/orders/{id}/return``."""
    return f"{settings.base_url.rstrip('/')}/api/v1/orders/{order_id}/return"


async def start_payment(
    session: AsyncSession,
    settings: Settings,
    gateway: PaymentGateway,
    *,
    order: OrderRecord,
    buyer_email: str,
    payment_method_id: uuid.UUID | None,
    save_payment_method: bool,
    return_url: str,
    cancel_url: str,
    attempt: int | None = None,
) -> PaymentRecord:
    """Insert the order's next payment and ask the gateway for it (see the module docstring).
    ``attempt`` is the payment's number for the order, counted when not given (a caller that
    created the order in this transaction knows it is the first). Raises
    ``PaymentUnavailable`` (nothing is kept: the caller's transaction rolls back) when the
    gateway cannot be reached, and 404 ``payment_method_not_found`` for a saved method that is
    not the buyer's."""
    del settings
    token: str | None = None
    if payment_method_id is not None:
        method = await methods_repo.get_for(session, order.user_id, payment_method_id)
        if method is None or method.gateway != gateway.name:
            raise PaymentMethodNotFound()
        token = method.token
    if attempt is None:
        attempt = await repo.count_for_order(session, order.id) + 1
    payment_id = new_id()
    request = PaymentRequest(
        order_id=str(order.id),
        amount_minor=order.total_minor,
        currency=order.currency,
        description=f"Campus order {order.number}",
        idempotency_key=f"order:{order.id}:attempt:{attempt}",
        return_url=return_url,
        cancel_url=cancel_url,
        buyer_email=buyer_email,
        customer_ref=None,
        payment_method_token=token,
        save_payment_method=save_payment_method and token is None,
        metadata={"order_number": order.number, "payment_id": str(payment_id)},
    )
    try:
        view = None
        if isinstance(gateway, EmbeddedGateway):
            view = await gateway.create_payment_in(session, request)
        if view is None:
            view = await gateway.create_payment(request)
    except GatewayError as exc:
        log.warning(
            "payment_start_failed",
            order_id=str(order.id),
            gateway=gateway.name,
            retryable=exc.retryable,
            error=str(exc)[:300],
        )
        raise PaymentUnavailable(details={"gateway": gateway.name}) from exc
    # One insert with the gateway's answer (the intent is keyed by the attempt, so a retry
    # after a failure here finds the same intent again).
    now = utcnow()
    row = Payment(
        id=payment_id,
        order_id=order.id,
        gateway=gateway.name,
        gateway_payment_id=view.gateway_payment_id,
        status=PaymentStatus.REQUIRES_PAYMENT_METHOD.value
        if view.status in _APPLIED_LATER
        else view.status.value,
        amount_minor=order.total_minor,
        currency=order.currency,
        captured_minor=0,
        refunded_minor=0,
        next_action_url=view.next_action_url,
        failure_code=view.failure_code,
        failure_message=view.failure_message,
        payment_method_id=payment_method_id,
        created_at=now,
        updated_at=now,
    )
    await repo.insert(session, _columns(row))
    log.info(
        "payment_started",
        order_id=str(order.id),
        payment_id=str(payment_id),
        gateway=gateway.name,
        gateway_payment_id=view.gateway_payment_id,
        status=view.status.value,
        attempt=attempt,
    )
    if view.status in _APPLIED_LATER:
        # Settled at once (a saved card on some gateways): moved like any other report.
        await apply_gateway_payment(session, view, source="create")
        fresh = await repo.get(session, payment_id)
        assert fresh is not None
        return record_of(fresh)
    return record_of(row)


#: Outcomes ``start_payment`` records through ``apply_gateway_payment`` (paying the order).
_APPLIED_LATER = (GatewayPaymentStatus.SUCCEEDED, GatewayPaymentStatus.CANCELED)


def _columns(row: Payment) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in Payment.__table__.columns}


async def apply_gateway_payment(
    session: AsyncSession, payment: GatewayPayment, *, source: str
) -> None:
    """Move the payment and its order to what the gateway says (module docstring)."""
    await apply_view(session, payment, source=source)


async def apply_view(
    session: AsyncSession, view: GatewayPayment, *, source: str, known: Payment | None = None
) -> ApplyOutcome:
    """``apply_gateway_payment`` that says what it did (the webhook records it). ``known`` is
    the payment when the caller read it already in this unit of work (the return URL)."""
    row = (
        known
        if known is not None
        and (known.gateway, known.gateway_payment_id) == (view.gateway, view.gateway_payment_id)
        else await repo.get_by_gateway_id(session, view.gateway, view.gateway_payment_id)
    )
    context = {
        "gateway": view.gateway,
        "gateway_payment_id": view.gateway_payment_id,
        "source": source,
        "status": view.status.value,
    }
    if row is None:
        log.warning("payment_unknown", **context)
        return ApplyOutcome.UNKNOWN_PAYMENT
    context["payment_id"] = str(row.id)
    context["order_id"] = str(row.order_id)
    if view.amount_minor != row.amount_minor or view.currency.upper() != row.currency:
        log.warning(
            "payment_amount_mismatch",
            expected_minor=row.amount_minor,
            expected_currency=row.currency,
            received_minor=view.amount_minor,
            received_currency=view.currency,
            **context,
        )
        return ApplyOutcome.MISMATCH
    now = utcnow()
    if view.status == GatewayPaymentStatus.SUCCEEDED:
        return await _succeeded(session, row, view, context)
    if view.status == GatewayPaymentStatus.CANCELED:
        moved = await repo.move_open(
            session,
            row.id,
            to=PaymentStatus.CANCELED,
            now=now,
            failure_code=view.failure_code or "canceled",
        )
        if moved:
            await orders.mark_failed(
                session, row.order_id, payment_id=row.id, failure_code=view.failure_code
            )
            log.info("payment_canceled", **context)
        return ApplyOutcome.APPLIED if moved else ApplyOutcome.UNCHANGED
    moved = await repo.move_open(
        session,
        row.id,
        to=PaymentStatus(view.status.value),
        now=now,
        failure_code=view.failure_code,
        failure_message=view.failure_message,
        next_action_url=view.next_action_url,
    )
    if moved:
        event = "payment_declined" if view.failure_code else "payment_updated"
        log.info(event, failure_code=view.failure_code, **context)
    return ApplyOutcome.APPLIED if moved else ApplyOutcome.UNCHANGED


async def _succeeded(
    session: AsyncSession, row: Payment, view: GatewayPayment, context: dict[str, str]
) -> ApplyOutcome:
    now = utcnow()
    moved = await repo.mark_succeeded(session, row.id, captured_minor=view.amount_minor, now=now)
    if not moved:
        log.info("payment_already_succeeded", **context)
        return ApplyOutcome.UNCHANGED
    if view.payment_method is not None:
        # A card to keep for the buyer (the order says whose): read only then.
        order = await orders_repo.get(session, row.order_id)
        assert order is not None
        card = view.payment_method
        await methods_repo.save(
            session,
            user_id=order.user_id,
            gateway=view.gateway,
            token=card.token,
            brand=card.brand,
            last4=card.last4,
            exp_month=card.exp_month,
            exp_year=card.exp_year,
            now=now,
        )
    paid = await orders.mark_paid(session, row.order_id, now=now)
    if paid is not None:
        log.info("order_paid", total_minor=paid.total_minor, currency=paid.currency, **context)
        return ApplyOutcome.APPLIED
    # The order was not pending: closed meanwhile, or paid by another payment. The money
    # must go back.
    current = await orders_repo.get(session, row.order_id)
    status = current.status if current is not None else "missing"
    first = await repo.succeeded_for_order(session, row.order_id)
    if status in {s.value for s in CLOSED_UNPAID_STATUSES} or (
        first is not None and first.id != row.id
    ):
        log.warning("payment_surplus_refunding", order_status=status, **context)
        await enqueue_job(session, REFUND_SURPLUS_JOB, {"paymentId": str(row.id)})
    return ApplyOutcome.APPLIED


# --------------------------------------------------------------------------- the return URL


async def return_from_gateway(
    session: AsyncSession,
    gateway: PaymentGateway,
    principal: Principal | None,
    order_id: uuid.UUID,
    gateway_payment_id: str | None,
) -> tuple[OrderRecord, PaymentRecord | None]:
    """The buyer is back from the gateway: capture the order's payment (a read for gateways
    that capture on confirmation), apply what the gateway says, and return the order and that
    payment. The caller must be the buyer (or see every order), or present the gateway's id of
    one of the order's payments (what the gateway appends to the return URL); anyone else gets
    a 404."""
    order = await orders.load(session, order_id)
    if order is None:
        raise OrderNotFound()
    payments = await repo.for_order(session, order_id)
    chosen: Payment | None = None
    if gateway_payment_id is not None:
        chosen = next((p for p in payments if p.gateway_payment_id == gateway_payment_id), None)
    allowed = principal is not None and (
        principal.user_id == order.user_id or may_view_any_order(principal)
    )
    if not allowed and chosen is None:
        raise OrderNotFound()
    if chosen is None and payments:
        chosen = payments[0]
    if (
        chosen is not None
        and chosen.gateway_payment_id is not None
        and chosen.gateway == gateway.name
        and order.status == OrderStatus.PENDING
    ):
        try:
            # A capture: PayPal takes an approved order's money only when asked; for gateways
            # that capture on confirmation (the sandbox, Stripe) it is a read.
            view = await gateway.capture_payment(chosen.gateway_payment_id)
        except GatewayError as exc:
            log.warning("payment_return_lookup_failed", order_id=str(order_id), error=str(exc))
        else:
            outcome = await apply_view(session, view, source="return", known=chosen)
            # Read again only what may have moved: by this call, or by a success another
            # caller (the webhook) applied meanwhile.
            if outcome == ApplyOutcome.APPLIED or view.status == GatewayPaymentStatus.SUCCEEDED:
                order = await orders.load(session, order_id) or order
                chosen = await repo.get(session, chosen.id) or chosen
    return order, (record_of(chosen) if chosen is not None else None)


async def list_payments(
    session: AsyncSession,
    principal: Principal,
    *,
    offset: int,
    limit: int,
    status: str | None,
    gateway: str | None,
    order_id: uuid.UUID | None,
) -> tuple[list[PaymentRecord], int]:
    """Every payment, newest first: staff who see every order only."""
    principal.require(ORDER_VIEW_ANY)
    rows, total = await repo.list_payments(
        session, offset=offset, limit=limit, status=status, gateway=gateway, order_id=order_id
    )
    return [record_of(row) for row in rows], total
