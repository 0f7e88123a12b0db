"""The error responses assessment's routes document, described in assessment's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "The object is visible but the caller may not do this (e.g. not enrolled)",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (stable error code in the envelope)",
    413: "Request body or file too large",
    415: "Wrong content type, or a file type the assignment does not accept",
    422: "Invalid input (field details in the envelope), or an archive over the upload limits "
    "(`archive_refused`, with the reason)",
    429: "Too many of the caller's uploads were refused this hour",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
UPLOAD_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422, 429)
