"""The error responses booking's routes document, in booking's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

DESCRIPTIONS = {
    400: "Idempotency-Key missing or malformed (idempotency_key_required)",
    401: "Authentication required or the token is invalid",
    403: "Not allowed (without booking:manage or booking:consult; not eligible for the service; "
    "not the session's consultant or learner)",
    404: "No such session, consultant or service type, or not visible to the caller",
    409: "Conflicts with the session or the calendar (slot_taken, daily_limit_reached, "
    "session_state_conflict, policy_window_closed, hold_expired, feedback_exists)",
    415: "Wrong content type",
    422: "Invalid input (slot_in_past, too_short_notice, beyond_horizon, outside_availability, "
    "duration_mismatch, unknown_time_zone, range_order; field details in the envelope)",
    503: "The payment provider could not be reached; retry",
}


def errors(*statuses: int) -> Responses:
    return error_responses(DESCRIPTIONS, *statuses)
