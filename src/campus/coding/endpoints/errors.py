"""The error responses coding's routes document, described in coding's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "Visible but not allowed (not enrolled, not the course's staff, missing permission)",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (stable error code in the envelope; a failing "
    "reference solution lists the failing test ids)",
    413: "Code or request body too large",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope)",
    429: "Rate limited (see Retry-After)",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
RATE_LIMITED_WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422, 429)
