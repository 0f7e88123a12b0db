"""``POST /commerce/webhooks/{gateway}``: payment providers' signed event deliveries.

No authentication and no CSRF token (the signature is the credential); the body is read raw,
because the signature covers its exact bytes: it is verified before anything parses it
(``service/webhooks.py``). 400 when it does not verify, 2xx otherwise, also for events that
change nothing (duplicates, unknown payments, mismatches), so the provider stops retrying."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Request

from campus.commerce.gateways import gateway_of
from campus.commerce.schemas.payments import WebhookReceiptOut
from campus.commerce.service import webhooks
from campus.kernel.auth import DbSession
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


router = api_router(prefix="/commerce/webhooks", tags=["webhooks"])


async def receive_webhook(
    gateway: Annotated[str, Path(min_length=1, max_length=20, pattern="^[a-z]+$")],
    request: Request,
    session: DbSession,
) -> WebhookReceiptOut:
    """Receive one provider event (Stripe-style `Stripe-Signature: t=…,v1=…` for the sandbox
    and Stripe, PayPal's transmission headers for PayPal)."""
    raw = await request.body()
    receipt = await webhooks.receive(
        session, gateway_of(request), request.app.state.settings, gateway, raw, request.headers
    )
    return WebhookReceiptOut.of(receipt)


router.add_api_route(
    "/{gateway}",
    receive_webhook,
    methods=["POST"],
    response_model=WebhookReceiptOut,
    responses=error_responses(ERRORS, 400, 404, 413, 415, 422),
    openapi_extra=RAW_JSON_BODY,
    route_class_override=RawJsonBodyRoute,
)
