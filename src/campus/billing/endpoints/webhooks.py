"""``POST /billing/webhooks/{gateway}``: the gateway's signed events about subscriptions
(disputes, updated cards). No authentication (the signature is the credential); the body is
read raw, because the signature covers its exact bytes. 400 when it does not verify, 2xx
otherwise, also for events that change nothing (duplicates, payments Campus did not charge for
a subscription), so the provider stops retrying."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from campus.billing.schemas.subscriptions import BillingWebhookReceiptOut
from campus.billing.service import webhooks
from campus.kernel.auth import DbSession
from campus.kernel.clock import utcnow
from campus.kernel.http import RAW_JSON_BODY, RawJsonBodyRoute, api_router
from campus.kernel.schemas import error_responses

ERRORS = {
    400: "The delivery does not verify: signature missing or wrong, timestamp outside the "
    "tolerance, or not an event (`invalid_webhook`); nothing changed",
    404: "This deployment takes no webhooks for that gateway (`unknown_gateway`)",
    413: "The body is too large",
    415: "The body is not JSON",
    422: "Query parameters are not accepted",
}


router = api_router(prefix="/billing/webhooks", tags=["subscriptions"])


async def receive_billing_webhook(
    gateway: Annotated[str, Path(min_length=1, max_length=20, pattern="^[a-z]+$")],
    request: Request,
    session: DbSession,
) -> BillingWebhookReceiptOut:
    """Receive one provider event about subscriptions (`charge.dispute.created`,
    `charge.dispute.closed`, `payment_method.updated`, `payment_method.automatically_updated`
    in Stripe's shape, signed as for commerce's webhooks)."""
    raw = await request.body()
    receipt = await webhooks.receive(
        session, request.app.state.settings, gateway, raw, request.headers, utcnow()
    )
    return BillingWebhookReceiptOut(
        received=True,
        event_id=receipt.event_id,
        duplicate=receipt.duplicate,
        outcome=receipt.outcome,
    )


router.add_api_route(
    "/{gateway}",
    receive_billing_webhook,
    methods=["POST"],
    response_model=BillingWebhookReceiptOut,
    responses=error_responses(ERRORS, 400, 404, 413, 415, 422),
    openapi_extra=RAW_JSON_BODY,
    route_class_override=RawJsonBodyRoute,
)
