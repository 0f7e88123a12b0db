"""Webhooks in: a provider's signed event, verified on the raw body before anything is parsed,
recorded once per (gateway, event id), applied in the request's one transaction together with
the outbox events it causes (WH-01, WH-06 to WH-10).

* A delivery that does not verify (signature, timestamp tolerance, shape) raises
  ``WebhookInvalid`` (400) and writes nothing.
* A copy of an event already received (a retry, a replay, a concurrent duplicate) is answered
  2xx and changes nothing: the record's insert conflicts.
* An event about a payment Campus does not know, or whose amount or currency differ from the
  payment's, is recorded with outcome ``unknown_payment`` / ``mismatch`` and answered 2xx
  (the provider must stop retrying) without any other effect.
* Every outcome is one structured log line (``webhook_received``) with the gateway, the event
  id and type, and the outcome.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campus.commerce.data import WebhookOutcome
from campus.commerce.exceptions import UnknownGateway, WebhookInvalid
from campus.commerce.gateways.port import (
    GatewayPayment,
    GatewayPaymentStatus,
    InvalidWebhook,
    PaymentGateway,
    WebhookEvent,
    WebhookEventType,
)
from campus.commerce.repository import webhooks as repo
from campus.commerce.service import refunds
from campus.commerce.service.payments import ApplyOutcome, apply_view
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.logging import get_logger

log = get_logger("campus.commerce.webhooks")


@dataclass(frozen=True, slots=True)
class WebhookReceipt:
    event_id: str
    duplicate: bool
    outcome: WebhookOutcome | None


_STATUS_OF: Mapping[WebhookEventType, GatewayPaymentStatus] = {
    WebhookEventType.PAYMENT_SUCCEEDED: GatewayPaymentStatus.SUCCEEDED,
    WebhookEventType.PAYMENT_FAILED: GatewayPaymentStatus.REQUIRES_PAYMENT_METHOD,
    WebhookEventType.PAYMENT_CANCELED: GatewayPaymentStatus.CANCELED,
    WebhookEventType.PAYMENT_PROCESSING: GatewayPaymentStatus.PROCESSING,
}
_OUTCOME_OF: Mapping[ApplyOutcome, WebhookOutcome] = {
    ApplyOutcome.APPLIED: WebhookOutcome.APPLIED,
    ApplyOutcome.UNCHANGED: WebhookOutcome.IGNORED,
    ApplyOutcome.UNKNOWN_PAYMENT: WebhookOutcome.UNKNOWN_PAYMENT,
    ApplyOutcome.MISMATCH: WebhookOutcome.MISMATCH,
}


async def receive(
    session: AsyncSession,
    gateway: PaymentGateway,
    settings: Settings,
    gateway_name: str,
    raw_body: bytes,
    headers: Mapping[str, str],
) -> WebhookReceipt:
    if gateway_name != gateway.name:
        log.warning("webhook_rejected", gateway=gateway_name[:20], reason="unknown gateway")
        raise UnknownGateway(details={"gateway": gateway_name[:20]})
    try:
        event = await gateway.verify_webhook(raw_body, {k.lower(): v for k, v in headers.items()})
    except InvalidWebhook as exc:
        log.warning("webhook_rejected", gateway=gateway.name, reason=str(exc)[:200])
        raise WebhookInvalid(details={"reason": str(exc)[:200]}) from exc
    now = utcnow()
    record_id = await repo.claim(
        session,
        gateway=event.gateway,
        event_id=event.event_id,
        provider_type=event.provider_type,
        now=now,
    )
    if record_id is None:
        log.info(
            "webhook_received",
            gateway=event.gateway,
            event_id=event.event_id,
            event_type=event.provider_type,
            outcome="duplicate",
        )
        return WebhookReceipt(event.event_id, duplicate=True, outcome=None)
    outcome, detail = await _apply(session, gateway, settings, event)
    await repo.finish(session, record_id, outcome=outcome.value, detail=detail, now=utcnow())
    log.info(
        "webhook_received",
        gateway=event.gateway,
        event_id=event.event_id,
        event_type=event.provider_type,
        gateway_payment_id=event.gateway_payment_id,
        outcome=outcome.value,
        detail=detail,
    )
    return WebhookReceipt(event.event_id, duplicate=False, outcome=outcome)


async def _apply(
    session: AsyncSession, gateway: PaymentGateway, settings: Settings, event: WebhookEvent
) -> tuple[WebhookOutcome, str | None]:
    status = _STATUS_OF.get(event.type)
    if status is not None:
        if event.gateway_payment_id is None or event.amount_minor is None or event.currency is None:
            return WebhookOutcome.IGNORED, "the event names no payment, amount or currency"
        view = GatewayPayment(
            gateway=event.gateway,
            gateway_payment_id=event.gateway_payment_id,
            status=status,
            amount_minor=event.amount_minor,
            currency=event.currency,
            failure_code=event.failure_code,
            payment_method=event.payment_method,
        )
        applied = await apply_view(session, view, source="webhook")
        return _OUTCOME_OF[applied], None if applied != ApplyOutcome.UNCHANGED else "no change"
    if event.type in (WebhookEventType.REFUND_SUCCEEDED, WebhookEventType.REFUND_FAILED):
        if event.gateway_refund_id is None:
            return WebhookOutcome.IGNORED, "the event names no refund"
        found = await refunds.settle_from_gateway(
            session,
            gateway_name=gateway.name,
            gateway_refund_id=event.gateway_refund_id,
            succeeded=event.type == WebhookEventType.REFUND_SUCCEEDED,
            amount_minor=event.amount_minor,
            currency=event.currency,
            settings=settings,
        )
        return found, None
    return WebhookOutcome.IGNORED, f"{event.provider_type[:80]} is not acted on"
