"""The error responses notifications' routes document, in notifications' words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

DESCRIPTIONS = {
    401: "Authentication required, the token is invalid, or a callback's signature is wrong",
    403: "Not allowed (managing types, templates and logs needs notification:admin)",
    404: "No such notification, delivery, type or course among the caller's own",
    409: "Conflicts with the current state (announcement_not_scheduled, template_version_taken)",
    415: "Wrong content type",
    422: "Invalid input: field details in the envelope (unknown or missing template "
    "placeholders, an unknown time zone, a bad unsubscribe token)",
}


def errors(*statuses: int) -> Responses:
    return error_responses(DESCRIPTIONS, *statuses)
