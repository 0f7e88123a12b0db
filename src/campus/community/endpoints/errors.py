"""The error responses community's routes document, in community's words."""

from __future__ import annotations

from campus.kernel.schemas import Responses, error_responses

DESCRIPTIONS = {
    401: "Authentication required or the token is invalid",
    403: "Not allowed: not a learner or staff of the course (forum_access_denied), muted or "
    "banned (user_sanctioned), not enrolled (not_enrolled), or not the author or a moderator",
    404: "No such course, topic, post, review, report, testimonial or note, or not visible to "
    "the caller",
    409: "Conflicts with the current state (topic_locked, post_deleted, thread_too_deep, "
    "review_exists, already_replied)",
    415: "Wrong content type",
    422: "Invalid input (field details in the envelope)",
}


def errors(*statuses: int) -> Responses:
    return error_responses(DESCRIPTIONS, *statuses)
