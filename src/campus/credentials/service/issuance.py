"""Issuing certificates: the rules of a course version, and the one insert that decides.

A learner gets at most one certificate per course version: the insert is ``ON CONFLICT DO
NOTHING`` on ``(user_id, version_id)``, so parallel completion events (or a completion and a
late grade) issue exactly once, and only the inserting transaction publishes
``credentials.certificate_issued`` and queues the rendering.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment import api as assessment
from campus.catalog import api as catalog
from campus.catalog.data import CourseSummary
from campus.config import Settings
from campus.credentials import events
from campus.credentials.data import CertificateStatus
from campus.credentials.repository import certificates as repo
from campus.credentials.service import codes
from campus.credentials.settings import CredentialsSettings
from campus.identity import api as identity
from campus.kernel.clock import utcnow
from campus.kernel.events import publish
from campus.kernel.ids import new_id
from campus.kernel.outbox import enqueue_job
from campus.learning import api as learning
from campus.learning.data import EnrollmentStatus

STATUS_LIST_COUNTER = "status_list"
_NUMBER_TRIES = 5


@dataclass(frozen=True, slots=True)
class Terms:
    awards: bool
    min_average_quiz_score: int | None
    required_item_ids: tuple[uuid.UUID, ...]
    manual_approval: bool
    template_id: uuid.UUID | None
    valid_months: int | None


async def terms_for(
    session: AsyncSession, course_id: uuid.UUID, version_id: uuid.UUID, has_certificate: bool
) -> Terms:
    rule = await repo.rule_for_version(session, version_id)
    structure = await catalog.get_version_structure(session, version_id)
    version_min = structure.min_quiz_score_for_certificate if structure else None
    if rule is None:
        return Terms(has_certificate, version_min, (), False, None, None)
    return Terms(
        rule.awards,
        rule.min_average_quiz_score if rule.min_average_quiz_score is not None else version_min,
        tuple(uuid.UUID(i) for i in rule.required_item_ids),
        rule.manual_approval,
        rule.template_id,
        rule.valid_months,
    )


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year = moment.year + month // 12
    month = month % 12 + 1
    day = min(moment.day, 28)
    return moment.replace(year=year, month=month, day=day)


async def evaluate(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    completed_at: datetime,
) -> bool:
    """Issue the learner's certificate of the version if the terms are met (or put it up for
    approval); True when this call created it."""
    if await repo.for_user_version(session, user_id, version_id) is not None:
        return False  # the common repeat: no more reads (the insert below still decides races)
    course = await catalog.get_course_summary(session, course_id)
    if course is None:
        return False
    terms = await terms_for(session, course_id, version_id, course.has_certificate)
    if not terms.awards:
        return False
    details: dict[str, str | None] = {"score": None, "grade": None}
    results = await assessment.quiz_results(session, user_id, course_id)
    scores = [r.score_percent for r in results.values() if r.score_percent is not None]
    if scores:
        average = (sum(scores, Decimal(0)) / len(scores)).quantize(Decimal("0.01"))
        details["score"] = str(average)
    if terms.min_average_quiz_score is not None:
        if not results:
            pass  # a course without quizzes has no average to fall short of
        elif len(scores) < len(results) or Decimal(details["score"] or 0) < Decimal(
            terms.min_average_quiz_score
        ):
            return False
    if terms.required_item_ids:
        passed = await repo.passed_items(session, user_id, terms.required_item_ids)
        passed |= {q for q, r in results.items() if r.passed}
        if not set(terms.required_item_ids) <= passed:
            return False
    return (
        await create(session, settings, course, user_id, version_id, completed_at, terms, details)
        is not None
    )


async def create(
    session: AsyncSession,
    settings: Settings,
    course: CourseSummary,
    user_id: uuid.UUID,
    version_id: uuid.UUID,
    completed_at: datetime,
    terms: Terms,
    details: dict[str, str | None],
) -> uuid.UUID | None:
    """Insert the certificate on these terms (issued, or pending approval) unless the learner
    has this version's already; the new certificate's id, else ``None``."""
    course_id = course.id
    user = await identity.get_user_summary(session, user_id)
    if user is None:
        return None
    # The certificate speaks the learner's language (their preference), drawn from the
    # template's texts in that language when it has them (else its default language).
    language = await identity.preferred_language(session, user_id) or course.language
    config = CredentialsSettings.of(settings)
    now = utcnow()
    status = CertificateStatus.PENDING if terms.manual_approval else CertificateStatus.ISSUED
    details["hours"] = str((Decimal(course.duration_seconds) / 3600).quantize(Decimal("0.1")))
    details["completionTime"] = completed_at.isoformat()
    for _ in range(_NUMBER_TRIES):
        certificate_id = new_id()
        inserted = await repo.insert(
            session,
            {
                "id": certificate_id,
                "public_id": codes.public_id(),
                "number": codes.number(config.number_prefix, now.year),
                "verification_code": codes.verification_code(),
                "user_id": user_id,
                "course_id": course_id,
                "version_id": version_id,
                "template_id": terms.template_id,
                "status": status.value,
                "learner_name": (user.display_name or f"{user.first_name} {user.last_name}")[:500],
                "learner_email": user.email,
                "course_title": course.title[:500],
                "language": language if len(language) <= 12 else language.split("-")[0],
                "completed_at": completed_at,
                "issued_at": now if status is CertificateStatus.ISSUED else None,
                "expires_at": (
                    add_months(now, terms.valid_months)
                    if terms.valid_months and status is CertificateStatus.ISSUED
                    else None
                ),
                "details": details,
                "render_status": "queued",
                "created_at": now,
                "updated_at": now,
            },
        )
        if inserted:
            break
        if await repo.for_user_version(session, user_id, version_id) is not None:
            return None  # someone else issued it
    else:
        raise RuntimeError("could not draw a free certificate number")
    await repo.add_history(session, certificate_id, status.value, now)
    if status is CertificateStatus.ISSUED:
        await issue_effects(session, certificate_id, now)
    return certificate_id


async def issue_effects(session: AsyncSession, certificate_id: uuid.UUID, now: datetime) -> None:
    """What follows an issue (at once or on approval): a status list index, the event and the
    rendering job."""
    row = await repo.get(session, certificate_id)
    assert row is not None
    index = await repo.next_counter(session, STATUS_LIST_COUNTER)
    await repo.update(session, certificate_id, {"status_index": index})
    await publish(
        session,
        events.CertificateIssued(
            certificate_id=row.id,
            public_id=row.public_id,
            user_id=row.user_id,
            course_id=row.course_id,
            version_id=row.version_id,
            number=row.number,
            issued_at=row.issued_at or now,
        ),
    )
    await queue_render(session, row.id, row.revision)


async def queue_render(session: AsyncSession, certificate_id: uuid.UUID, revision: int) -> None:
    await enqueue_job(
        session, events.RENDER_JOB, {"certificateId": str(certificate_id), "revision": revision}
    )


async def on_completed(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    completed_at: datetime,
) -> None:
    await evaluate(session, settings, user_id, course_id, version_id, completed_at)


async def on_passed(
    session: AsyncSession,
    settings: Settings,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    item_id: uuid.UUID,
    at: datetime,
) -> None:
    """A grade that arrives after the completion may be the last thing missing."""
    await repo.record_passed(session, user_id, course_id, item_id, at)
    enrollment = await learning.get_enrollment(session, user_id, course_id)
    if enrollment is None or enrollment.completed_at is None:
        return
    if enrollment.status not in (EnrollmentStatus.COMPLETED, EnrollmentStatus.ACTIVE):
        return
    await evaluate(
        session, settings, user_id, course_id, enrollment.version_id, enrollment.completed_at
    )
