"""Orders after checkout: the buyer's history and receipts, the admin's list and export, and
the order's transitions. Every transition is a conditional UPDATE, so of two racing callers
(a webhook and the return redirect, the expiry job and a payment) exactly one moves the order,
and only that one publishes the event.

``pending → paid → partially_refunded → refunded``; ``pending → failed | cancelled | expired``
(each of the last three gives the order's coupon use back)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import (
    ORDER_VIEW_ANY,
    OrderLineRecord,
    OrderRecord,
    OrderStatus,
    RedemptionStatus,
)
from campus.commerce.events import OrderPaid, OrderRefunded, PaymentFailed
from campus.commerce.exceptions import OrderNotCancellable, OrderNotFound
from campus.commerce.models import Order, OrderLine
from campus.commerce.policies import may_view_any_order
from campus.commerce.repository import coupons as coupons_repo
from campus.commerce.repository import orders as repo
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.events import publish
from campus.kernel.money import Money


def record_of(order: Order, lines: Sequence[OrderLine]) -> OrderRecord:
    return OrderRecord(
        id=order.id,
        number=order.number,
        user_id=order.user_id,
        status=OrderStatus(order.status),
        currency=order.currency,
        subtotal_minor=order.subtotal_minor,
        discount_minor=order.discount_minor,
        tax_minor=order.tax_minor,
        total_minor=order.total_minor,
        refunded_minor=order.refunded_minor,
        coupon_code=order.coupon_code,
        tax_inclusive=order.tax_inclusive,
        billing_name=order.billing_name,
        billing_country=order.billing_country,
        billing_state=order.billing_state,
        billing_address=dict(order.billing_address or {}),
        created_at=order.created_at,
        expires_at=order.expires_at,
        paid_at=order.paid_at,
        fulfilled_at=order.fulfilled_at,
        cancelled_at=order.cancelled_at,
        lines=tuple(
            OrderLineRecord(
                id=line.id,
                course_id=line.course_id,
                tier=line.tier,
                title=line.title,
                instructor_id=line.instructor_id,
                unit_price_minor=line.unit_price_minor,
                discount_minor=line.discount_minor,
                tax_minor=line.tax_minor,
                tax_rate_bp=line.tax_rate_bp,
                total_minor=line.total_minor,
                refunded_minor=line.refunded_minor,
            )
            for line in lines
        ),
    )


async def load(session: AsyncSession, order_id: uuid.UUID) -> OrderRecord | None:
    """The order with its lines (two queries), or None."""
    order = await repo.get(session, order_id)
    if order is None:
        return None
    lines = await repo.lines_of(session, [order.id])
    return record_of(order, lines[order.id])


async def get_for(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> OrderRecord:
    """The order, if the caller bought it (or may see every order); a 404 otherwise, so an
    order id reveals nothing about other buyers."""
    found = await load(session, order_id)
    if found is None or (found.user_id != principal.user_id and not may_view_any_order(principal)):
        raise OrderNotFound()
    return found


async def records(session: AsyncSession, orders: Sequence[Order]) -> list[OrderRecord]:
    lines = await repo.lines_of(session, [o.id for o in orders])
    return [record_of(o, lines[o.id]) for o in orders]


# --------------------------------------------------------------------------- transitions


async def _redeem_coupon(session: AsyncSession, order_id: uuid.UUID) -> None:
    await coupons_repo.move_redemption(
        session, order_id, from_status=RedemptionStatus.RESERVED, to=RedemptionStatus.REDEEMED
    )


async def release_coupon(session: AsyncSession, order_id: uuid.UUID) -> bool:
    """Give the order's coupon use back (global and per-user), once; True when released.
    Called when an order fails, expires or is cancelled."""
    moved = await coupons_repo.move_redemption(
        session, order_id, from_status=RedemptionStatus.RESERVED, to=RedemptionStatus.RELEASED
    )
    if moved is None:
        return False
    now = utcnow()
    await coupons_repo.give_use_back(session, moved.coupon_id, now)
    await coupons_repo.give_user_use_back(session, moved.coupon_id, moved.user_id)
    return True


async def mark_paid(
    session: AsyncSession, order_id: uuid.UUID, *, now: datetime | None = None
) -> OrderRecord | None:
    """``pending → paid`` exactly once: redeems the coupon and publishes ``OrderPaid`` in the
    caller's transaction. None when the order was not pending (already paid by a racing
    caller, or closed): the caller then does nothing further."""
    now = now or utcnow()
    if not await repo.move(
        session,
        order_id,
        from_statuses=(OrderStatus.PENDING,),
        to=OrderStatus.PAID,
        paid_at=now,
        updated_at=now,
    ):
        return None
    await _redeem_coupon(session, order_id)
    order = await load(session, order_id)
    assert order is not None
    await publish(
        session,
        OrderPaid(
            order_id=order.id,
            user_id=order.user_id,
            currency=order.currency,
            subtotal_minor=order.subtotal_minor,
            discount_minor=order.discount_minor,
            tax_minor=order.tax_minor,
            total_minor=order.total_minor,
            course_ids=order.course_ids,
            paid_at=now,
        ),
    )
    return order


async def mark_paid_free(session: AsyncSession, order: OrderRecord) -> OrderRecord:
    """Complete an order whose total is zero (a 100 % coupon) without any gateway."""
    if order.total_minor != 0:
        raise ValueError("only an order with nothing to pay completes without a payment")
    paid = await mark_paid(session, order.id)
    if paid is not None:
        return paid
    current = await load(session, order.id)
    assert current is not None
    return current


async def mark_failed(
    session: AsyncSession,
    order_id: uuid.UUID,
    *,
    payment_id: uuid.UUID,
    failure_code: str | None,
) -> bool:
    """``pending → failed`` once (a payment failed for good): gives the coupon back and
    publishes ``PaymentFailed``; True when this call moved the order."""
    now = utcnow()
    order = await repo.get(session, order_id)
    if order is None or not await repo.move(
        session,
        order_id,
        from_statuses=(OrderStatus.PENDING,),
        to=OrderStatus.FAILED,
        updated_at=now,
    ):
        return False
    await release_coupon(session, order_id)
    await publish(
        session,
        PaymentFailed(
            order_id=order_id,
            payment_id=payment_id,
            user_id=order.user_id,
            failure_code=failure_code,
        ),
    )
    return True


async def record_refund(
    session: AsyncSession, order_id: uuid.UUID, *, refund_id: uuid.UUID, amount_minor: int
) -> OrderRecord | None:
    """Add a succeeded refund to the order (never beyond its total: a conditional UPDATE) and
    publish ``OrderRefunded``; None when the refund does not fit (nothing changes)."""
    now = utcnow()
    if amount_minor <= 0 or not await repo.add_refunded(session, order_id, amount_minor, now):
        return None
    order = await load(session, order_id)
    assert order is not None
    await publish(
        session,
        OrderRefunded(
            order_id=order.id,
            refund_id=refund_id,
            user_id=order.user_id,
            amount_minor=amount_minor,
            currency=order.currency,
            full=order.refunded_minor >= order.total_minor,
            course_ids=order.course_ids,
        ),
    )
    return order


async def mark_fulfilled(session: AsyncSession, order_id: uuid.UUID) -> bool:
    """Record that the buyer got every course of the order (once)."""
    return await repo.set_fulfilled(session, order_id, utcnow())


async def cancel(session: AsyncSession, principal: Principal, order_id: uuid.UUID) -> OrderRecord:
    """The buyer (or an admin) cancels an unpaid order; its coupon use comes back."""
    order = await get_for(session, principal, order_id)
    now = utcnow()
    if not await repo.move(
        session,
        order.id,
        from_statuses=(OrderStatus.PENDING,),
        to=OrderStatus.CANCELLED,
        cancelled_at=now,
        updated_at=now,
    ):
        raise OrderNotCancellable(details={"status": (await _status(session, order.id))})
    await release_coupon(session, order.id)
    found = await load(session, order.id)
    assert found is not None
    return found


async def _status(session: AsyncSession, order_id: uuid.UUID) -> str:
    order = await repo.get(session, order_id)
    return order.status if order is not None else "unknown"


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    expired: int
    more: bool


async def expire_due(session: AsyncSession, *, limit: int = 500) -> ExpiryRun:
    """Expire unpaid orders past their time (each a conditional UPDATE, so a payment landing
    at the same moment wins or loses cleanly) and give their coupon uses back."""
    now = utcnow()
    due = await repo.due_for_expiry(session, now, limit)
    expired = 0
    for order_id in due:
        if await repo.move(
            session,
            order_id,
            from_statuses=(OrderStatus.PENDING,),
            to=OrderStatus.EXPIRED,
            updated_at=now,
        ):
            expired += 1
            await release_coupon(session, order_id)
    return ExpiryRun(expired=expired, more=len(due) == limit)


# --------------------------------------------------------------------------- reads


async def list_mine(
    session: AsyncSession,
    principal: Principal,
    *,
    status: OrderStatus | None,
    limit: int,
    offset: int,
) -> tuple[list[OrderRecord], int]:
    """The caller's own orders, newest first."""
    rows, total = await repo.list_orders(
        session, limit=limit, offset=offset, user_id=principal.user_id, status=status
    )
    return await records(session, rows), total


@dataclass(frozen=True, slots=True)
class OrderFilters:
    status: OrderStatus | None = None
    user_id: uuid.UUID | None = None
    course_id: uuid.UUID | None = None
    currency: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None

    def as_kwargs(self) -> dict[str, object]:
        return {
            "status": self.status,
            "user_id": self.user_id,
            "course_id": self.course_id,
            "currency": self.currency.upper() if self.currency else None,
            "created_from": self.created_from,
            "created_to": self.created_to,
        }


async def list_all(
    session: AsyncSession, principal: Principal, filters: OrderFilters, *, limit: int, offset: int
) -> tuple[list[OrderRecord], int]:
    """Every order matching ``filters`` (holders of ``order:view_any``), newest first."""
    principal.require(ORDER_VIEW_ANY)
    rows, total = await repo.list_orders(session, limit=limit, offset=offset, **filters.as_kwargs())
    return await records(session, rows), total


#: Columns of the admin CSV export, in order.
CSV_COLUMNS = (
    "number",
    "id",
    "created_at",
    "status",
    "user_id",
    "currency",
    "subtotal",
    "discount",
    "tax",
    "total",
    "refunded",
    "coupon_code",
    "billing_country",
    "billing_state",
    "paid_at",
    "courses",
)


async def export_rows(
    session: AsyncSession, principal: Principal, filters: OrderFilters, *, chunk: int = 500
) -> list[list[str]]:
    """The admin export: one row per order matching ``filters`` (amounts as decimals of the
    order's currency), oldest first."""
    principal.require(ORDER_VIEW_ANY)
    rows = await repo.iter_orders(session, chunk=chunk, **filters.as_kwargs())
    out: list[list[str]] = []
    for start in range(0, len(rows), chunk):
        for order in await records(session, rows[start : start + chunk]):
            c = order.currency

            def amount(minor: int, currency: str = c) -> str:
                return str(Money(minor, currency).amount)

            out.append(
                [
                    order.number,
                    str(order.id),
                    order.created_at.isoformat(),
                    order.status.value,
                    str(order.user_id),
                    c,
                    amount(order.subtotal_minor),
                    amount(order.discount_minor),
                    amount(order.tax_minor),
                    amount(order.total_minor),
                    amount(order.refunded_minor),
                    order.coupon_code or "",
                    order.billing_country,
                    order.billing_state or "",
                    order.paid_at.isoformat() if order.paid_at else "",
                    " ".join(str(course) for course in order.course_ids),
                ]
            )
    return out
