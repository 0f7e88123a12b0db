"""The error responses credentials' routes document, in credentials' words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

DESCRIPTIONS = {
    401: "Authentication required or the token is invalid",
    403: "Not allowed (e.g. revoking without certificate:revoke, another course's certificates)",
    404: "No such certificate or badge, or not visible to the caller (unknown and guessed ids "
    "alike)",
    409: "Conflicts with the certificate's state (certificate_not_pending, "
    "certificate_not_issued, certificate_not_rendered)",
    413: "The image is larger than 2 MiB",
    415: "Wrong content type, or an image that is not PNG or JPEG by its content",
    422: "Invalid input (field details in the envelope)",
    429: "Too many verification requests; retry after Retry-After seconds",
}


def errors(*statuses: int) -> Responses:
    return error_responses(DESCRIPTIONS, *statuses)
