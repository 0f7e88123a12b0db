"""The error responses billing's routes document, described in billing's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

DESCRIPTIONS = {
    400: "Malformed request, or a missing or malformed Idempotency-Key",
    401: "Authentication required or the token is invalid",
    403: "Not allowed (managing plans needs billing:plan_manage; seats need an org admin)",
    404: "Not found, or not visible to the caller (another user's subscription, a retired "
    "plan for a subscriber, another organization's subscription)",
    409: (
        "Conflicts with the current state (stable codes: plan_code_taken, plan_in_use, "
        "plan_retired, trial_already_used, already_subscribed, payment_declined, "
        "subscription_not_changeable, course_not_in_plan, seats_exhausted, "
        "seats_below_assigned, not_an_organization_member, idempotency_in_flight)"
    ),
    413: "Request body too large",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope; prices or statuses in a body are "
    "unknown fields), or an Idempotency-Key reused with another body",
    503: "The payment gateway could not be reached; nothing was charged, retry with the same key",
}


def errors(*statuses: int) -> Responses:
    return error_responses(DESCRIPTIONS, *statuses)
