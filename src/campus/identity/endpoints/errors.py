"""The error responses identity's routes document, described in identity's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses
from campus.kernel.schemas import error_responses as kernel_error_responses

_ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Malformed JSON, or an invalid/used/expired link token",
    401: "Missing, invalid or expired credentials",
    403: "Not allowed (missing permission, wrong current password, foreign origin...)",
    404: "Not found, or not yours",
    409: "Conflicts with the current state",
    413: "Request body too large",
    415: "Content type is not application/json",
    422: "Invalid payload (field details in error.details.fields)",
    429: "Rate limited; see Retry-After",
}


def error_responses(*codes: int) -> Responses:
    return kernel_error_responses(_ERROR_DESCRIPTIONS, *codes)
