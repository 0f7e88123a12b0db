"""The error responses the catalog's routes document, described in the catalog's words."""

from __future__ import annotations

from typing import Any

from campus.kernel.schemas import Responses, error_responses

_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "The object is visible but the caller may not do this",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (stable error code in the envelope)",
    413: "Request body too large",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope)",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


#: Every write route can fail these ways.
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
READ_ERRORS = errors(401, 403, 404, 422)
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (the ETag in If-None-Match is current)"}
}
