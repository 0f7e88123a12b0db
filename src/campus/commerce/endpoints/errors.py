"""The error responses commerce's routes document, described in commerce's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

DESCRIPTIONS = {
    400: "Malformed request, or a missing or malformed Idempotency-Key",
    401: "Authentication required or the token is invalid",
    403: "Not allowed (e.g. an instructor's coupon for a course they do not teach)",
    404: "Not found, or not visible to the caller (another buyer's order or cart)",
    409: (
        "Conflicts with the current state (stable codes: course_already_owned, "
        "course_already_in_cart, currency_mismatch, course_not_purchasable, coupon_invalid, "
        "coupon_exhausted, cart_empty, order_not_cancellable, idempotency_in_flight, ...)"
    ),
    413: "Request body too large",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope), or an Idempotency-Key reused with "
    "another body (idempotency_key_reused)",
    503: "The payment gateway could not be reached; nothing was charged, retry with the same key",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(DESCRIPTIONS, *statuses)
