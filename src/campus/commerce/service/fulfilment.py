"""Fulfilment: a paid order gives its buyer each course, exactly once (ADR 0029).

``OrderPaid`` (published once per order, in the transaction that marked it paid) is handled by
``commerce.fulfil_order``: for every line a ``purchase`` entitlement referencing the order
(``learning.api.grant_entitlement``, idempotent per user, course, source and reference) and an
enrollment (``learning.api.enroll_user``, idempotent), then ``fulfilled_at`` once. The relay's
dedupe row, the ``fulfilled_at`` check and the idempotent grant make a duplicate, late or
redelivered event (a process killed mid-handler) a no-op.

The work runs inside a savepoint: when learning refuses (a course withdrawn meanwhile, a
failure of the database), the savepoint is rolled back, and the handler itself succeeds after
scheduling the next attempt (``commerce.fulfil_order_retry``, backing off) in the same
transaction. Past ``CAMPUS_COMMERCE_FULFILMENT_MAX_ATTEMPTS`` the buyer is refunded instead
(``commerce.refund_unfulfilled_order``): the saga's compensation.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Final

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import OrderStatus
from campus.commerce.service import orders
from campus.commerce.settings import CommerceSettings
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.errors import AppError
from campus.kernel.jobs import backoff_seconds
from campus.kernel.logging import get_logger
from campus.kernel.outbox import enqueue_job
from campus.learning import api as learning_api

log = get_logger("campus.commerce.fulfilment")

#: Event handler name (the relay's dedupe identity: never rename).
FULFIL_HANDLER: Final = "commerce.fulfil_order"
#: Job: try a failed fulfilment again {orderId, attempt}.
FULFIL_RETRY_JOB: Final = "commerce.fulfil_order_retry"
#: Job: refund an order that could not be fulfilled {orderId}.
REFUND_UNFULFILLED_JOB: Final = "commerce.refund_unfulfilled_order"
#: Seconds between attempts: the relay's backoff, scaled (5 s, 10 s, 20 s ...).
_BACKOFF_SCALE = 2.5


async def fulfil(
    session: AsyncSession, settings: Settings, order_id: uuid.UUID, *, attempt: int
) -> bool:
    """Grant and enroll every course of the order once; True when this call fulfilled it."""
    order = await orders.load(session, order_id)
    if order is None:
        log.warning("fulfilment_order_missing", order_id=str(order_id))
        return False
    if order.fulfilled_at is not None:
        log.info("fulfilment_skipped", order_id=str(order_id), reason="already fulfilled")
        return False
    if order.status != OrderStatus.PAID:
        # Refunded (or partly) before it could be fulfilled: nothing to give.
        log.info("fulfilment_skipped", order_id=str(order_id), reason=order.status.value)
        return False
    try:
        async with session.begin_nested():
            for line in order.lines:
                await learning_api.grant_entitlement(
                    session,
                    user_id=order.user_id,
                    course_id=line.course_id,
                    source="purchase",
                    tier=line.tier,
                    reference=str(order.id),
                )
                await learning_api.enroll_user(
                    session, order.user_id, line.course_id, tier=line.tier
                )
            if not await orders.mark_fulfilled(session, order.id):
                return False
    except (AppError, SQLAlchemyError) as exc:
        await _failed(session, settings, order.id, attempt, exc)
        return False
    log.info("order_fulfilled", order_id=str(order.id), courses=len(order.lines), attempt=attempt)
    return True


async def _failed(
    session: AsyncSession,
    settings: Settings,
    order_id: uuid.UUID,
    attempt: int,
    exc: Exception,
) -> None:
    limit = CommerceSettings.of(settings).fulfilment_max_attempts
    error = getattr(exc, "code", None) or type(exc).__name__
    if attempt >= limit:
        log.error("fulfilment_abandoned", order_id=str(order_id), attempt=attempt, error=error)
        await enqueue_job(session, REFUND_UNFULFILLED_JOB, {"orderId": str(order_id)})
        return
    delay = timedelta(seconds=_BACKOFF_SCALE * backoff_seconds(attempt))
    log.warning(
        "fulfilment_failed",
        order_id=str(order_id),
        attempt=attempt,
        error=error,
        retry_in_seconds=delay.total_seconds(),
    )
    await enqueue_job(
        session,
        FULFIL_RETRY_JOB,
        {"orderId": str(order_id), "attempt": attempt + 1},
        run_at=utcnow() + delay,
    )
