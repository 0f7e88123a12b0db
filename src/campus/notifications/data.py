"""Notifications' published language: channels, categories, statuses, the catalog of
notification types and the permissions it checks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission


class Channel(StrEnum):
    IN_APP = "in_app"
    EMAIL = "email"
    PUSH = "push"
    SMS = "sms"


class Category(StrEnum):
    ACCOUNT = "account"
    LEARNING = "learning"
    GRADES = "grades"
    COMMERCE = "commerce"
    COMMUNITY = "community"
    BOOKING = "booking"
    MARKETING = "marketing"


class DigestFrequency(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"


class DeliveryStatus(StrEnum):
    """Seed 001 delivery_status: pending -> queued -> sent -> delivered -> opened -> clicked,
    or failed; ``batched`` waits for a digest, ``digested`` went out in one, ``cancelled`` was
    a scheduled delivery cancelled before it was due, ``bounced``/``complained`` come back from
    the email provider, ``skipped`` had no address to go to."""

    PENDING = "pending"
    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    FAILED = "failed"
    BATCHED = "batched"
    DIGESTED = "digested"
    CANCELLED = "cancelled"
    BOUNCED = "bounced"
    COMPLAINED = "complained"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class NotificationType:
    """One kind of notification (seed 001 notification_types).

    ``placeholders`` are the names a template of this type may use; ``required`` the ones
    every template must use (a link that is the point of the message). ``mandatory`` types
    (security, receipts) ignore opt-outs; ``digestible`` ones may wait for a digest."""

    code: str
    category: Category
    description: str
    channels: tuple[Channel, ...]
    placeholders: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    mandatory: bool = False
    digestible: bool = False
    urgent: bool = False


#: Placeholders every template may use.
COMMON_PLACEHOLDERS: Final = ("first_name", "platform_name", "url")

_IE = (Channel.IN_APP, Channel.EMAIL)
_E = (Channel.EMAIL,)
_IEP = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH)
_IEPS = (Channel.IN_APP, Channel.EMAIL, Channel.PUSH, Channel.SMS)


def _t(
    code: str,
    category: Category,
    description: str,
    channels: tuple[Channel, ...] = _IE,
    placeholders: tuple[str, ...] = (),
    *,
    required: tuple[str, ...] = (),
    mandatory: bool = False,
    digestible: bool = False,
    urgent: bool = False,
) -> NotificationType:
    return NotificationType(
        code,
        category,
        description,
        channels,
        (*COMMON_PLACEHOLDERS, *placeholders),
        required,
        mandatory,
        digestible,
        urgent,
    )


A, L, G, C, M, B, K = (
    Category.ACCOUNT,
    Category.LEARNING,
    Category.GRADES,
    Category.COMMERCE,
    Category.COMMUNITY,
    Category.BOOKING,
    Category.MARKETING,
)

#: Every notification type Campus sends, by code.
TYPES: Final[dict[str, NotificationType]] = {
    t.code: t
    for t in (
        _t("account.welcome", A, "A new account exists.", (Channel.IN_APP,)),
        _t(
            "account.email_verification",
            A,
            "Confirm the email address of a new account.",
            _E,
            required=("url",),
            mandatory=True,
            urgent=True,
        ),
        _t(
            "account.password_reset",
            A,
            "A link to choose a new password.",
            _E,
            required=("url",),
            mandatory=True,
            urgent=True,
        ),
        _t(
            "account.email_change",
            A,
            "Confirm the new email address of an account.",
            _E,
            required=("url",),
            mandatory=True,
            urgent=True,
        ),
        _t("learning.enrolled", L, "Enrolled in a course.", _IE, ("course_title",)),
        _t(
            "learning.lesson_completed",
            L,
            "A lesson was completed.",
            (Channel.IN_APP,),
            ("course_title",),
            digestible=True,
        ),
        _t("learning.course_completed", L, "A course was completed.", _IEP, ("course_title",)),
        _t(
            "learning.inactivity_reminder",
            L,
            "The learner has not continued a course for a while.",
            _IEP,
            ("course_title", "days"),
            digestible=True,
        ),
        _t(
            "learning.certificate_issued",
            L,
            "A certificate was issued.",
            _IEP,
            ("course_title", "certificate_number"),
        ),
        _t(
            "learning.course_announcement",
            L,
            "An instructor's announcement to a course's learners.",
            _IEP,
            ("course_title", "title", "message"),
        ),
        _t(
            "grades.quiz_graded",
            G,
            "A quiz attempt was graded.",
            _IE,
            ("course_title", "score", "passed"),
            digestible=True,
        ),
        _t(
            "grades.assignment_graded",
            G,
            "An assignment was graded.",
            _IEP,
            ("course_title", "score", "passed"),
        ),
        _t(
            "grades.revision_requested",
            G,
            "An assignment needs a revision.",
            _IEP,
            ("course_title",),
        ),
        _t(
            "grades.code_submission_graded",
            G,
            "A coding submission finished grading.",
            (Channel.IN_APP,),
            ("exercise_title", "score", "max_score"),
        ),
        _t(
            "commerce.order_paid",
            C,
            "Receipt of a paid order.",
            _IE,
            ("order_id", "amount"),
            mandatory=True,
        ),
        _t(
            "commerce.order_refunded",
            C,
            "An order was refunded.",
            _IE,
            ("order_id", "amount"),
            mandatory=True,
        ),
        _t("commerce.payment_failed", C, "A payment failed.", _IE, ("order_id",), urgent=True),
        _t(
            "billing.trial_ending",
            C,
            "A subscription's trial ends soon.",
            _IEP,
            ("trial_ends_at",),
        ),
        _t(
            "billing.payment_failed",
            C,
            "A subscription payment failed.",
            _IEPS,
            ("amount",),
            mandatory=True,
            urgent=True,
        ),
        _t(
            "billing.subscription_renewed",
            C,
            "Receipt of a renewed subscription.",
            _IE,
            ("amount",),
            mandatory=True,
        ),
        _t(
            "community.post_created",
            M,
            "A new topic in a followed discussion.",
            _IE,
            ("topic_title", "excerpt"),
            digestible=True,
        ),
        _t(
            "community.reply_created",
            M,
            "A reply to one's post.",
            _IEP,
            ("topic_title", "excerpt"),
            digestible=True,
        ),
        _t(
            "community.mentioned",
            M,
            "Mentioned in a post.",
            _IEP,
            ("topic_title", "excerpt"),
        ),
        _t(
            "community.solution_accepted",
            M,
            "One's answer was accepted as the solution.",
            _IE,
            ("topic_title",),
        ),
        _t(
            "community.review_approved",
            M,
            "One's course review was published.",
            (Channel.IN_APP,),
            ("rating",),
        ),
        _t(
            "community.content_reported",
            M,
            "Content was reported for moderation.",
            _IE,
            ("reason",),
        ),
        _t(
            "booking.requested",
            B,
            "A session was requested.",
            _IEPS,
            ("service_name", "starts_at"),
        ),
        _t(
            "booking.confirmed",
            B,
            "A session was confirmed.",
            _IEPS,
            ("service_name", "starts_at"),
        ),
        _t(
            "booking.rescheduled",
            B,
            "A session moved to another time.",
            _IEPS,
            ("service_name", "starts_at"),
        ),
        _t(
            "booking.cancelled",
            B,
            "A session was cancelled.",
            _IEPS,
            ("service_name", "starts_at"),
            urgent=True,
        ),
        _t(
            "booking.completed",
            B,
            "A session took place.",
            (Channel.IN_APP,),
            ("service_name", "starts_at"),
        ),
        _t(
            "booking.no_show",
            B,
            "Someone did not attend a session.",
            _IE,
            ("service_name", "starts_at"),
        ),
        _t(
            "booking.reminder",
            B,
            "A session starts soon.",
            _IEPS,
            ("service_name", "starts_at", "minutes"),
            urgent=True,
        ),
        _t(
            "marketing.new_course",
            K,
            "A new course in a followed category.",
            _IE,
            ("course_title",),
            digestible=True,
        ),
        _t(
            "marketing.announcement",
            K,
            "An announcement to everyone or to a role.",
            _IE,
            ("title", "message"),
        ),
        _t(
            "digest.summary",
            A,
            "A digest of what was batched.",
            _E,
            ("items", "period"),
        ),
    )
}

#: Languages the shipped templates exist in; the first is the platform default.
LANGUAGES: Final = ("en", "fr")

NOTIFICATION_ADMIN: Final = "notification:admin"
NOTIFICATION_ANNOUNCE: Final = "notification:announce"

PERMISSIONS: Final = (
    Permission(
        NOTIFICATION_ADMIN,
        "Manage notification types and templates, read delivery logs, resend and announce to "
        "everyone.",
    ),
    Permission(
        NOTIFICATION_ANNOUNCE,
        "Post announcements to the learners of the courses one teaches.",
        frozenset({"instructor"}),
    ),
)
