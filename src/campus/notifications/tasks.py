"""Notifications' event handlers, jobs and periodic jobs: every event worth telling someone
becomes an intent with a dedupe key built from the event's own ids (the same event delivered
twice notifies once)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import events as assessment_events
from campus.billing import events as billing_events
from campus.booking import events as booking_events
from campus.catalog import api as catalog_api
from campus.coding import events as coding_events
from campus.commerce import events as commerce_events
from campus.community import events as community_events
from campus.config import Settings
from campus.credentials import events as credentials_events
from campus.identity import events as identity_events
from campus.kernel.events import Event
from campus.kernel.mail import make_mailer
from campus.kernel.money import Money
from campus.kernel.outbox import Delivery, HandlerRegistry
from campus.learning import events as learning_events
from campus.notifications.channels.base import ChannelSender
from campus.notifications.channels.email import EmailChannel
from campus.notifications.channels.inapp import InAppChannel
from campus.notifications.channels.push import PushSender
from campus.notifications.channels.sms import SandboxSmsProvider, SmsProvider, TwilioSmsProvider
from campus.notifications.channels.text_message import SmsChannel
from campus.notifications.channels.webpush import PushChannel
from campus.notifications.events import (
    ACCOUNT_MAIL_JOB,
    ANNOUNCEMENT_JOB,
    DELIVER_JOB,
    DIGEST_JOB,
)
from campus.notifications.service import announcements, digests, pipeline
from campus.notifications.service.pipeline import Intent
from campus.notifications.settings import NotificationsSettings

E = TypeVar("E", bound=Event)


def money(minor: int, currency: str) -> str:
    return f"{Money(minor, currency).amount} {currency}"


async def course_title(session: AsyncSession, course_id: uuid.UUID | None) -> str:
    if course_id is None:
        return ""
    summary = await catalog_api.get_course_summary(session, course_id)
    return summary.title if summary is not None else ""


def sms_provider(section: NotificationsSettings, base_url: str) -> SmsProvider:
    if section.sms_provider == "twilio":
        return TwilioSmsProvider(
            section.twilio_account_sid,
            section.twilio_auth_token.get_secret_value(),
            section.twilio_from_number,
            section.twilio_base_url,
            status_callback_url=f"{base_url.rstrip('/')}/api/v1/notifications/webhooks/sms",
        )
    return SandboxSmsProvider()


def build_senders(settings: Settings) -> dict[str, ChannelSender]:
    section = NotificationsSettings.of(settings)
    senders: dict[str, ChannelSender] = {
        "in_app": InAppChannel(settings.redis_url, settings.redis_namespace),
        "email": EmailChannel(settings, make_mailer(settings)),
        "sms": SmsChannel(sms_provider(section, settings.base_url)),
    }
    key = section.push_vapid_private_key.get_secret_value()
    if key:
        senders["push"] = PushChannel(
            PushSender(
                key,
                section.push_subject,
                section.push_ttl_seconds,
                allow_insecure_endpoints=section.push_allow_insecure_endpoints,
            )
        )
    return senders


Maker = Callable[[AsyncSession, Any], Awaitable[list[Intent]]]


def register(registry: HandlerRegistry, settings: Settings) -> None:
    senders = build_senders(settings)
    base = settings.base_url.rstrip("/")

    def on(event: type[E], make: Callable[[AsyncSession, E], Awaitable[list[Intent]]]) -> None:
        async def handle(session: AsyncSession, parsed: E) -> None:
            for intent in await make(session, parsed):
                await pipeline.notify(session, settings, intent)

        registry.on(event, f"notifications.on_{event.name}", handle)

    # -------------------------------------------------------------- identity
    async def registered(_s: AsyncSession, e: identity_events.UserRegistered) -> list[Intent]:
        return [Intent(e.user_id, "account.welcome", f"registered:{e.user_id}", url=f"{base}/")]

    on(identity_events.UserRegistered, registered)

    # -------------------------------------------------------------- learning
    async def enrolled(s: AsyncSession, e: learning_events.Enrolled) -> list[Intent]:
        title = await course_title(s, e.course_id)
        return [
            Intent(
                e.user_id,
                "learning.enrolled",
                f"enrolled:{e.enrollment_id}:{e.enrolled_at.isoformat()}",
                {"course_title": title},
            )
        ]

    async def lesson_done(s: AsyncSession, e: learning_events.LessonCompleted) -> list[Intent]:
        title = await course_title(s, e.course_id)
        return [
            Intent(
                e.user_id,
                "learning.lesson_completed",
                f"lesson:{e.enrollment_id}:{e.lesson_id}",
                {"course_title": title},
            )
        ]

    async def course_done(s: AsyncSession, e: learning_events.CourseCompleted) -> list[Intent]:
        title = await course_title(s, e.course_id)
        return [
            Intent(
                e.user_id,
                "learning.course_completed",
                f"course_completed:{e.enrollment_id}",
                {"course_title": title},
            )
        ]

    on(learning_events.Enrolled, enrolled)
    on(learning_events.LessonCompleted, lesson_done)
    on(learning_events.CourseCompleted, course_done)

    # -------------------------------------------------------------- grades
    async def quiz(s: AsyncSession, e: assessment_events.AttemptSubmitted) -> list[Intent]:
        if e.score_percent is None:
            return []
        return [
            Intent(
                e.user_id,
                "grades.quiz_graded",
                f"quiz:{e.attempt_id}",
                {
                    "course_title": await course_title(s, e.course_id),
                    "score": str(e.score_percent),
                    "passed": bool(e.passed),
                },
            )
        ]

    async def graded(s: AsyncSession, e: assessment_events.AssignmentGraded) -> list[Intent]:
        title = await course_title(s, e.course_id)
        revision = not e.passed and e.score_percent is None
        return [
            Intent(
                e.user_id,
                "grades.revision_requested" if revision else "grades.assignment_graded",
                f"assignment:{e.submission_id}:{e.graded_at.isoformat()}",
                {
                    "course_title": title,
                    "score": "" if e.score_percent is None else str(e.score_percent),
                    "passed": bool(e.passed),
                },
            )
        ]

    async def code(_s: AsyncSession, e: coding_events.CodeSubmissionGraded) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "grades.code_submission_graded",
                f"code:{e.submission_id}:{e.graded_at.isoformat()}",
                {
                    "exercise_title": e.exercise_title,
                    "score": str(e.score),
                    "max_score": str(e.max_score),
                },
            )
        ]

    on(assessment_events.AttemptSubmitted, quiz)
    on(assessment_events.AssignmentGraded, graded)
    on(coding_events.CodeSubmissionGraded, code)

    # -------------------------------------------------------------- certificates
    async def certificate(s: AsyncSession, e: credentials_events.CertificateIssued) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "learning.certificate_issued",
                f"certificate:{e.certificate_id}",
                {
                    "course_title": await course_title(s, e.course_id),
                    "certificate_number": e.number,
                },
                url=f"{base}/certificates/{e.public_id}",
            )
        ]

    on(credentials_events.CertificateIssued, certificate)

    # -------------------------------------------------------------- commerce and billing
    async def paid(_s: AsyncSession, e: commerce_events.OrderPaid) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "commerce.order_paid",
                f"order_paid:{e.order_id}",
                {"order_id": str(e.order_id), "amount": money(e.total_minor, e.currency)},
            )
        ]

    async def refunded(_s: AsyncSession, e: commerce_events.OrderRefunded) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "commerce.order_refunded",
                f"refund:{e.refund_id}",
                {"order_id": str(e.order_id), "amount": money(e.amount_minor, e.currency)},
            )
        ]

    async def order_failed(_s: AsyncSession, e: commerce_events.PaymentFailed) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "commerce.payment_failed",
                f"payment_failed:{e.payment_id}",
                {"order_id": str(e.order_id)},
            )
        ]

    async def trial(_s: AsyncSession, e: billing_events.TrialEnding) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "billing.trial_ending",
                f"trial_ending:{e.subscription_id}:{e.trial_ends_at.isoformat()}",
                {"trial_ends_at": e.trial_ends_at.date().isoformat()},
            )
        ]

    async def renewal_failed(_s: AsyncSession, e: billing_events.PaymentFailed) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "billing.payment_failed",
                f"billing_failed:{e.subscription_id}:{e.period}:{e.attempt}",
                {"amount": money(e.amount_minor, e.currency)},
            )
        ]

    async def renewed(_s: AsyncSession, e: billing_events.SubscriptionRenewed) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "billing.subscription_renewed",
                f"renewed:{e.subscription_id}:{e.period}",
                {"amount": money(e.amount_minor, e.currency)},
            )
        ]

    on(commerce_events.OrderPaid, paid)
    on(commerce_events.OrderRefunded, refunded)
    on(commerce_events.PaymentFailed, order_failed)
    on(billing_events.TrialEnding, trial)
    on(billing_events.PaymentFailed, renewal_failed)
    on(billing_events.SubscriptionRenewed, renewed)

    # -------------------------------------------------------------- community
    async def post(_s: AsyncSession, e: community_events.PostCreated) -> list[Intent]:
        return [
            Intent(
                uid,
                "community.post_created",
                f"post:{e.post_id}",
                {"topic_title": e.topic_title, "excerpt": e.excerpt},
            )
            for uid in e.recipient_ids
            if uid != e.author_id
        ]

    async def reply(_s: AsyncSession, e: community_events.ReplyCreated) -> list[Intent]:
        if e.parent_author_id is None or e.parent_author_id == e.author_id:
            return []
        return [
            Intent(
                e.parent_author_id,
                "community.reply_created",
                f"reply:{e.post_id}",
                {"topic_title": e.topic_title, "excerpt": e.excerpt},
            )
        ]

    async def mention(_s: AsyncSession, e: community_events.Mentioned) -> list[Intent]:
        return [
            Intent(
                e.mentioned_user_id,
                "community.mentioned",
                f"mention:{e.post_id or e.topic_id}",
                {"topic_title": e.topic_title, "excerpt": e.excerpt},
            )
        ]

    async def solution(_s: AsyncSession, e: community_events.SolutionAccepted) -> list[Intent]:
        return [
            Intent(
                e.post_author_id,
                "community.solution_accepted",
                f"solution:{e.topic_id}:{e.post_id}",
                {"topic_title": e.topic_title},
            )
        ]

    async def review(_s: AsyncSession, e: community_events.ReviewApproved) -> list[Intent]:
        return [
            Intent(
                e.user_id,
                "community.review_approved",
                f"review:{e.review_id}",
                {"rating": e.rating},
            )
        ]

    async def reported(_s: AsyncSession, e: community_events.ContentReported) -> list[Intent]:
        return [
            Intent(uid, "community.content_reported", f"report:{e.report_id}", {"reason": e.reason})
            for uid in e.recipient_ids
        ]

    on(community_events.PostCreated, post)
    on(community_events.ReplyCreated, reply)
    on(community_events.Mentioned, mention)
    on(community_events.SolutionAccepted, solution)
    on(community_events.ReviewApproved, review)
    on(community_events.ContentReported, reported)

    # -------------------------------------------------------------- booking
    def booking(code: str, suffix: str = "") -> Maker:
        async def make(_s: AsyncSession, e: Any) -> list[Intent]:
            payload = {"service_name": e.service_name, "starts_at": e.starts_at.isoformat()}
            if code == "booking.reminder":
                payload["minutes"] = e.minutes_before
            key = f"{code}:{e.session_id}:{e.starts_at.isoformat()}{suffix}"
            return [
                Intent(uid, code, key, payload)
                for uid in (e.learner_id, e.consultant_user_id)
                if uid is not None
            ]

        return make

    on(booking_events.BookingRequested, booking("booking.requested"))
    on(booking_events.BookingConfirmed, booking("booking.confirmed"))
    on(booking_events.BookingRescheduled, booking("booking.rescheduled"))
    on(booking_events.BookingCancelled, booking("booking.cancelled"))
    on(booking_events.BookingCompleted, booking("booking.completed"))
    on(booking_events.BookingNoShow, booking("booking.no_show"))
    on(booking_events.BookingReminderDue, booking("booking.reminder"))

    # -------------------------------------------------------------- jobs
    async def deliver(session: AsyncSession, delivery: Delivery) -> None:
        await pipeline.deliver(
            session,
            settings,
            senders,
            uuid.UUID(str(delivery.payload["deliveryId"])),
            delivery.payload.get("secrets") or None,
        )

    async def account_mail(session: AsyncSession, delivery: Delivery) -> None:
        p = delivery.payload
        await pipeline.notify(
            session,
            settings,
            Intent(
                uuid.UUID(str(p["userId"])),
                str(p["type"]),
                f"account_mail:{delivery.id}",
                address=str(p["to"]),
                secrets={"url": str(p["url"])},
            ),
        )

    async def announcement_batch(session: AsyncSession, delivery: Delivery) -> None:
        await announcements.send_batch(session, settings, delivery.payload)

    async def send_digests(session: AsyncSession, delivery: Delivery) -> None:
        del delivery
        await digests.send_due(session, settings)

    registry.job(DELIVER_JOB, deliver)
    registry.job(ACCOUNT_MAIL_JOB, account_mail)
    registry.job(ANNOUNCEMENT_JOB, announcement_batch)
    registry.periodic(DIGEST_JOB, timedelta(minutes=15), send_digests)
