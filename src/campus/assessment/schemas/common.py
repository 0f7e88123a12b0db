"""Shared wire pieces: constrained strings, the error envelope for OpenAPI docs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, StringConstraints

from campus.kernel.schemas import Responses, error_responses

Title = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(max_length=20_000)]
Topic = Annotated[str, StringConstraints(min_length=1, max_length=60)]
ListItem = Annotated[str, StringConstraints(min_length=1, max_length=1000)]


def _web_url(value: str) -> str:
    lowered = value.lower()
    if not (lowered.startswith("https://") or lowered.startswith("http://")) or any(
        ch in value for ch in "\x00\r\n\t <>\"'"
    ):
        raise ValueError("Give an http(s) URL.")
    if len(value) < 10:
        raise ValueError("Give an http(s) URL.")
    return value


WebUrl = Annotated[str, StringConstraints(min_length=8, max_length=2048), AfterValidator(_web_url)]


_DESCRIPTIONS = {
    400: "Malformed request (e.g. invalid JSON)",
    401: "Authentication required or the token is invalid",
    403: "The object is visible but the caller may not do this (e.g. not enrolled)",
    404: "Not found (or not visible to the caller)",
    409: "Conflicts with the current state (stable error code in the envelope)",
    413: "Request body or file too large",
    415: "Wrong content type, or a file type the assignment does not accept",
    422: "Invalid input (field details in the envelope)",
}


def errors(*statuses: int) -> Responses:
    """OpenAPI ``responses`` for the error statuses a route can return."""
    return error_responses(_DESCRIPTIONS, *statuses)


READ_ERRORS = errors(401, 403, 404, 422)
WRITE_ERRORS = errors(400, 401, 403, 404, 409, 413, 415, 422)
