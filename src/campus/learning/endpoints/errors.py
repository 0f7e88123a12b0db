"""The error responses learning's routes document, described in learning's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "Visible but not allowed (stable code: e.g. lesson_locked, enrollment_required)",
    404: "Not found, or not visible to the caller (other learners' objects)",
    409: "Conflicts with the current state (stable error code in the envelope)",
    413: "Request body or file too large",
    415: "Wrong content type, or a file that is not CSV",
    422: "Invalid input (field details in the envelope)",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


READ_ERRORS = errors(401, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
