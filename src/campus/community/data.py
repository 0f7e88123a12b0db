"""Community's published language: statuses, categories and the permissions it checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission

#: The platform-wide role that moderates every forum (created by migration 0018).
MODERATOR_ROLE: Final = "moderator"


class ForumCategory(StrEnum):
    """The platform forum's categories (course forums have none)."""

    GENERAL = "general"
    ANNOUNCEMENTS = "announcements"
    HELP = "help"


class ContentStatus(StrEnum):
    VISIBLE = "visible"
    #: Flagged by the content filter: shown to its author and moderators until approved.
    FLAGGED = "flagged"
    HIDDEN = "hidden"


class ReviewStatus(StrEnum):
    PENDING_MODERATION = "pending_moderation"
    APPROVED = "approved"
    REJECTED = "rejected"
    FLAGGED = "flagged"


class TargetType(StrEnum):
    TOPIC = "topic"
    POST = "post"
    REVIEW = "review"


class ReportStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class ModerationAction(StrEnum):
    APPROVE = "approve"
    HIDE = "hide"
    DELETE = "delete"
    WARN = "warn"
    MUTE = "mute"
    BAN = "ban"
    PIN = "pin"
    UNPIN = "unpin"
    LOCK = "lock"
    UNLOCK = "unlock"
    REJECT = "reject"
    DISMISS = "dismiss"


class SanctionKind(StrEnum):
    #: May read, may not post.
    MUTE = "mute"
    #: May neither read nor post.
    BAN = "ban"


class TestimonialStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


COMMUNITY_MODERATE: Final = "community:moderate"
TESTIMONIAL_MANAGE: Final = "testimonial:manage"

PERMISSIONS: Final = (
    Permission(
        COMMUNITY_MODERATE,
        "Moderate every forum, review and report (the moderator role).",
    ),
    Permission(TESTIMONIAL_MANAGE, "Approve, reject and feature testimonials."),
)
