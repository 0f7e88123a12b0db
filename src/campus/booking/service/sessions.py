"""Booking and the session lifecycle: instant booking, requests, assignment, paid holds,
reschedule, cancel, start, complete, no-show, notes and feedback.

No double booking: the consultant's profile row is locked (``FOR UPDATE``; SQLite serializes
writers) while a session takes time, and on PostgreSQL the exclusion constraint
``booking_sessions_no_overlap`` refuses any overlap whatever path writes it (ADR 0039).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking import events as ev
from campus.booking.data import BOOKING_CONSULT_PERMISSION, BOOKING_MANAGE, SessionStatus
from campus.booking.exceptions import (
    ConsultantNotFound,
    DailyLimitReached,
    FeedbackExists,
    HoldExpired,
    InvalidTransition,
    PolicyWindowClosed,
    SessionNotFound,
    SlotTaken,
)
from campus.booking.meetings.port import MeetingProvider
from campus.booking.models import BookingSession, ConsultantProfile, ServiceType
from campus.booking.repository import sessions as repo
from campus.booking.service import calendar, consultants
from campus.booking.service.records import FeedbackRecord, SessionRecord
from campus.booking.settings import BookingSettings
from campus.commerce import api as commerce_api
from campus.config import Settings
from campus.identity import api as identity_api
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, field_error
from campus.kernel.events import publish
from campus.kernel.outbox import enqueue_job
from campus.learning import api as learning_api

ACTIVE = ("held", "pending_confirmation", "scheduled")


def record(row: BookingSession, principal: Principal, settings: Settings) -> SessionRecord:
    return SessionRecord.of(
        row,
        principal.user_id,
        now=utcnow(),
        join_window=timedelta(minutes=BookingSettings.of(settings).join_window_minutes),
        staff=principal.has(BOOKING_MANAGE),
    )


async def _event_fields(session: AsyncSession, row: BookingSession) -> dict[str, Any]:
    kind = await repo.service_type(session, row.service_type_id)
    profile = (
        await repo.profile(session, row.consultant_user_id) if row.consultant_user_id else None
    )
    return {
        "session_id": row.id,
        "learner_id": row.learner_id,
        "consultant_user_id": row.consultant_user_id,
        "service_type_id": row.service_type_id,
        "service_name": kind.name if kind else "",
        "starts_at": row.starts_at,
        "ends_at": row.ends_at,
        "learner_time_zone": row.learner_time_zone,
        "consultant_time_zone": profile.time_zone if profile else None,
    }


async def visible(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, *, lock: bool = False
) -> BookingSession:
    """The session when the caller is its learner, its consultant or a booking manager;
    a 404 otherwise (unknown and foreign ids alike)."""
    row = await repo.get(session, session_id, lock=lock)
    if row is None or not (
        principal.user_id in (row.learner_id, row.consultant_user_id)
        or principal.has(BOOKING_MANAGE)
    ):
        raise SessionNotFound()
    return row


async def _eligible(session: AsyncSession, principal: Principal, kind: ServiceType) -> None:
    if kind.eligibility == "course_learners":
        for course_id in kind.course_ids:
            if await learning_api.is_enrolled(session, principal.user_id, uuid.UUID(course_id)):
                return
        raise Forbidden("This service is for learners of its courses.", code="not_eligible")
    if kind.eligibility == "organization_members" and (
        kind.organization_id is None
        or (
            await identity_api.organization_role(session, kind.organization_id, principal.user_id)
            is None
        )
    ):
        raise Forbidden("This service is for members of its organization.", code="not_eligible")


async def _take_time(
    session: AsyncSession,
    settings: Settings,
    profile: ConsultantProfile,
    kind: ServiceType,
    starts_at: datetime,
    *,
    ignore_session: uuid.UUID | None = None,
) -> None:
    """The slot at ``starts_at`` must be one of the consultant's free slots now (profile row
    locked by the caller): past, too soon, beyond the horizon, outside availability, taken,
    or over the daily limit is refused."""
    now = utcnow()
    if starts_at <= now:
        raise field_error("startsAt", "The slot is in the past.", "slot_in_past")
    if starts_at < now + timedelta(minutes=profile.min_notice_minutes):
        raise field_error("startsAt", "Too short notice for this consultant.", "too_short_notice")
    if starts_at > now + timedelta(days=profile.horizon_days):
        raise field_error("startsAt", "Beyond the consultant's booking horizon.", "beyond_horizon")
    await repo.release_lapsed(session, now, profile.user_id)
    duration = timedelta(minutes=kind.duration_minutes)
    free = await consultants.free_slots_of(
        session,
        settings,
        profile,
        kind,
        starts_at,
        starts_at + timedelta(minutes=1),
        ignore_session=ignore_session,
    )
    if any(slot.starts_at == starts_at for slot in free):
        return
    # Tell why: outside availability, the daily limit, or taken.
    relaxed = await consultants.availability_of(session, profile)
    from campus.booking.service import slots as slot_rules

    open_slots = slot_rules.free_slots(
        relaxed,
        duration=duration,
        buffer_before=timedelta(0),
        buffer_after=timedelta(0),
        step=timedelta(minutes=BookingSettings.of(settings).slot_step_minutes),
        window_from=starts_at,
        window_to=starts_at + timedelta(minutes=1),
        now=now,
        occupied=[],
        sessions_per_day={},
    )
    if not any(slot.starts_at == starts_at for slot in open_slots):
        raise field_error(
            "startsAt", "Not a slot of the consultant's availability.", "outside_availability"
        )
    if profile.daily_limit is not None:
        without_limit = slot_rules.free_slots(
            slot_rules.Availability(
                relaxed.time_zone,
                relaxed.weekly,
                relaxed.overrides,
                relaxed.min_notice,
                relaxed.horizon,
                None,
            ),
            duration=duration,
            buffer_before=timedelta(minutes=kind.buffer_before_minutes),
            buffer_after=timedelta(minutes=kind.buffer_after_minutes),
            step=timedelta(minutes=BookingSettings.of(settings).slot_step_minutes),
            window_from=starts_at,
            window_to=starts_at + timedelta(minutes=1),
            now=now,
            occupied=[
                (r.blocked_from, r.blocked_until)
                for r in await repo.occupying(
                    session,
                    profile.user_id,
                    starts_at - timedelta(days=1),
                    starts_at + timedelta(days=1),
                    now,
                )
                if r.id != ignore_session
            ],
            sessions_per_day={},
        )
        if any(slot.starts_at == starts_at for slot in without_limit):
            raise DailyLimitReached()
    raise SlotTaken()


async def _write_guarded(session: AsyncSession, write: Any) -> None:
    """Run ``write`` in a savepoint: the exclusion constraint's refusal is a 409."""
    try:
        async with session.begin_nested():
            await write()
    except IntegrityError as exc:
        if "no_overlap" in str(exc.orig) or "booking_sessions_no_overlap" in str(exc):
            raise SlotTaken() from exc
        raise


async def book(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    service_type_id: uuid.UUID,
    consultant_id: uuid.UUID | None,
    starts_at: datetime,
    time_zone: str,
    duration_minutes: int | None,
    details: str,
) -> SessionRecord:
    consultants.check_zone(time_zone)
    kind = await consultants.active_type(session, service_type_id)
    if duration_minutes is not None and duration_minutes != kind.duration_minutes:
        raise field_error(
            "durationMinutes",
            f"This service lasts {kind.duration_minutes} minutes.",
            "duration_mismatch",
        )
    await _eligible(session, principal, kind)
    now = utcnow()
    if starts_at <= now:
        raise field_error("startsAt", "The slot is in the past.", "slot_in_past")
    row = BookingSession(
        id=uuid.uuid4(),
        service_type_id=kind.id,
        learner_id=principal.user_id,
        consultant_user_id=None,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=kind.duration_minutes),
        blocked_from=starts_at - timedelta(minutes=kind.buffer_before_minutes),
        blocked_until=starts_at
        + timedelta(minutes=kind.duration_minutes + kind.buffer_after_minutes),
        status=SessionStatus.PENDING_ASSIGNMENT,
        learner_time_zone=time_zone,
        details=details,
        price_minor=kind.price_minor,
        currency=kind.currency,
        created_at=now,
        updated_at=now,
    )
    if consultant_id is None:
        session.add(row)
        await session.flush()
        if await _assign_round_robin(session, settings, row, kind):
            return record(row, principal, settings)
        await publish(
            session,
            ev.BookingRequested(**await _event_fields(session, row), respond_by=row.starts_at),
        )
        return record(row, principal, settings)
    profile = await repo.profile(session, consultant_id, lock=True)
    if profile is None or not profile.is_bookable or str(kind.id) not in profile.service_type_ids:
        raise ConsultantNotFound()
    if profile.user_id == principal.user_id:
        raise field_error("consultantUserId", "You cannot book yourself.", "self_booking")
    await _take_time(session, settings, profile, kind, starts_at)
    _place(row, profile, kind, settings, now)

    async def insert() -> None:
        session.add(row)
        await session.flush()

    await _write_guarded(session, insert)
    await _announce_placed(session, settings, row)
    return record(row, principal, settings)


def _place(
    row: BookingSession,
    profile: ConsultantProfile,
    kind: ServiceType,
    settings: Settings,
    now: datetime,
) -> None:
    """Give ``row`` to the consultant: held for payment, waiting for confirmation, or
    scheduled."""
    config = BookingSettings.of(settings)
    row.consultant_user_id = profile.user_id
    if kind.price_minor > 0:
        row.status = SessionStatus.HELD
        row.hold_expires_at = now + timedelta(minutes=config.hold_minutes)
        row.payment_status = "pending"
    elif kind.requires_confirmation:
        row.status = SessionStatus.PENDING_CONFIRMATION
        row.respond_by = min(now + timedelta(hours=config.request_hours), row.starts_at)
    else:
        row.status = SessionStatus.SCHEDULED


async def _announce_placed(session: AsyncSession, settings: Settings, row: BookingSession) -> None:
    fields = await _event_fields(session, row)
    if row.status == SessionStatus.PENDING_CONFIRMATION:
        assert row.respond_by is not None
        await publish(session, ev.BookingRequested(**fields, respond_by=row.respond_by))
    elif row.status == SessionStatus.SCHEDULED:
        await _scheduled(session, row)


async def _scheduled(session: AsyncSession, row: BookingSession) -> None:
    await publish(session, ev.BookingConfirmed(**await _event_fields(session, row)))
    await enqueue_job(session, ev.MEETING_JOB, {"sessionId": str(row.id)})


async def _assign_round_robin(
    session: AsyncSession, settings: Settings, row: BookingSession, kind: ServiceType
) -> bool:
    """Give the request to the consultant offering the type who waited longest for one and
    has the slot free."""
    candidates = [
        p
        for p in await repo.bookable_profiles(session)
        if str(kind.id) in p.service_type_ids and p.user_id != row.learner_id
    ]
    candidates.sort(
        key=lambda p: (
            p.last_assigned_at is not None,
            p.last_assigned_at or row.starts_at,
            p.user_id,
        )
    )
    for candidate in candidates:
        if await _try_assign(session, settings, row, kind, candidate.user_id):
            return True
    return False


async def _try_assign(
    session: AsyncSession,
    settings: Settings,
    row: BookingSession,
    kind: ServiceType,
    consultant_id: uuid.UUID,
) -> bool:
    profile = await repo.profile(session, consultant_id, lock=True)
    if profile is None:
        return False
    try:
        await _take_time(session, settings, profile, kind, row.starts_at)
    except Exception:
        return False
    now = utcnow()
    _place(row, profile, kind, settings, now)
    if row.status == SessionStatus.PENDING_CONFIRMATION:
        # Assigned by the system or an admin: the consultant is told, not asked.
        row.status = SessionStatus.SCHEDULED
        row.respond_by = None
    profile.last_assigned_at = now

    async def flush() -> None:
        await session.flush()

    try:
        await _write_guarded(session, flush)
    except SlotTaken:
        return False
    await _announce_placed(session, settings, row)
    return True


async def assign(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
    consultant_id: uuid.UUID,
) -> SessionRecord:
    principal.require(BOOKING_MANAGE)
    row = await visible(session, principal, session_id, lock=True)
    if row.status != SessionStatus.PENDING_ASSIGNMENT:
        raise InvalidTransition()
    kind = await repo.service_type(session, row.service_type_id)
    assert kind is not None
    profile = await repo.profile(session, consultant_id, lock=True)
    if profile is None or str(kind.id) not in profile.service_type_ids:
        raise ConsultantNotFound()
    await _take_time(session, settings, profile, kind, row.starts_at)
    if not await _try_assign(session, settings, row, kind, consultant_id):
        raise SlotTaken()
    return record(row, principal, settings)


# --------------------------------------------------------------------------- confirmation


async def confirm(
    session: AsyncSession, settings: Settings, principal: Principal, session_id: uuid.UUID
) -> SessionRecord:
    principal.require(BOOKING_CONSULT_PERMISSION)
    row = await _consultants_own(session, principal, session_id)
    now = utcnow()
    if not await repo.transition(
        session,
        row.id,
        ("pending_confirmation",),
        {"status": "scheduled", "respond_by": None, "updated_at": now},
        BookingSession.respond_by > now,
    ):
        raise InvalidTransition()
    await session.refresh(row)
    await _scheduled(session, row)
    return record(row, principal, settings)


async def decline(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
    reason: str,
) -> SessionRecord:
    principal.require(BOOKING_CONSULT_PERMISSION)
    row = await _consultants_own(session, principal, session_id)
    now = utcnow()
    if not await repo.transition(
        session,
        row.id,
        ("pending_confirmation",),
        {
            "status": "rejected",
            "cancelled_by": "consultant",
            "cancel_reason": reason,
            "updated_at": now,
        },
    ):
        raise InvalidTransition()
    await session.refresh(row)
    await publish(
        session,
        ev.BookingCancelled(
            **await _event_fields(session, row),
            cancelled_by="consultant",
            reason=reason,
            refunded=False,
        ),
    )
    return record(row, principal, settings)


async def _consultants_own(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> BookingSession:
    row = await visible(session, principal, session_id)
    if row.consultant_user_id != principal.user_id:
        raise Forbidden("Only the session's consultant may do this.", code="not_the_consultant")
    return row


# --------------------------------------------------------------------------- payment


async def pay(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
    method_id: uuid.UUID,
) -> SessionRecord:
    """Charge the learner's saved method for a held slot. Paid in time: scheduled. Declined:
    the slot is free again. Paid after the hold lapsed: refunded (ADR 0039)."""
    row = await visible(session, principal, session_id)
    if row.learner_id != principal.user_id:
        raise Forbidden("Only the learner pays for a session.", code="not_the_learner")
    if row.status != SessionStatus.HELD or row.payment_status != "pending":
        raise InvalidTransition()
    if row.hold_expires_at is None or row.hold_expires_at <= utcnow():
        await repo.release_lapsed(session, utcnow(), row.consultant_user_id)
        raise HoldExpired()
    kind = await repo.service_type(session, row.service_type_id)
    result = await commerce_api.charge_saved_method(
        session,
        settings,
        user_id=principal.user_id,
        method_id=method_id,
        amount_minor=row.price_minor,
        currency=row.currency,
        idempotency_key=f"booking:{row.id}",
        description=f"Campus consultation: {kind.name if kind else ''}",
        reference=str(row.id),
    )
    await settle(session, settings, row.id, result.succeeded, result.gateway_payment_id)
    await session.refresh(row)
    return record(row, principal, settings)


async def settle(
    session: AsyncSession,
    settings: Settings,
    session_id: uuid.UUID,
    succeeded: bool,
    gateway_payment_id: str | None,
) -> str:
    """Apply a payment's outcome to the held session: ``confirmed``, ``released`` (declined)
    or ``refunded`` (paid after the hold lapsed)."""
    now = utcnow()
    if not succeeded:
        await repo.transition(
            session,
            session_id,
            ("held",),
            {"status": "expired", "payment_status": "failed", "updated_at": now},
        )
        return "released"
    if await repo.transition(
        session,
        session_id,
        ("held",),
        {
            "status": "scheduled",
            "payment_status": "paid",
            "hold_expires_at": None,
            "gateway_payment_id": gateway_payment_id,
            "updated_at": now,
        },
        BookingSession.hold_expires_at > now,
    ):
        row = await repo.get(session, session_id)
        assert row is not None
        await session.refresh(row)
        await _scheduled(session, row)
        return "confirmed"
    # The hold lapsed before the money arrived: the slot may be someone else's now.
    row = await repo.get(session, session_id)
    assert row is not None
    await session.refresh(row)
    await repo.transition(
        session,
        session_id,
        ("held", "expired"),
        {
            "status": "expired",
            "payment_status": "refunded",
            "gateway_payment_id": gateway_payment_id,
            "updated_at": now,
        },
    )
    if gateway_payment_id:
        await commerce_api.refund_charge(
            settings,
            gateway_payment_id=gateway_payment_id,
            amount_minor=row.price_minor,
            currency=row.currency,
            idempotency_key=f"booking-refund:{session_id}",
            reason="hold_expired",
        )
    return "refunded"


# --------------------------------------------------------------------------- changes


async def reschedule(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
    starts_at: datetime,
) -> SessionRecord:
    config = BookingSettings.of(settings)
    row = await visible(session, principal, session_id)
    if principal.user_id not in (row.learner_id, row.consultant_user_id):
        raise SessionNotFound()
    if row.status not in ("scheduled", "pending_confirmation") or row.consultant_user_id is None:
        raise InvalidTransition()
    now = utcnow()
    if row.starts_at - now < timedelta(hours=config.change_cutoff_hours):
        raise PolicyWindowClosed(details={"cutoffHours": config.change_cutoff_hours})
    if principal.user_id == row.learner_id and row.reschedule_count >= config.max_reschedules:
        raise PolicyWindowClosed(details={"maxReschedules": config.max_reschedules})
    kind = await repo.service_type(session, row.service_type_id)
    profile = await repo.profile(session, row.consultant_user_id, lock=True)
    assert kind is not None
    assert profile is not None
    await _take_time(session, settings, profile, kind, starts_at, ignore_session=row.id)
    previous = (row.starts_at, row.ends_at)
    duration = row.ends_at - row.starts_at

    async def move() -> None:
        row.starts_at = starts_at
        row.ends_at = starts_at + duration
        row.blocked_from = starts_at - timedelta(minutes=kind.buffer_before_minutes)
        row.blocked_until = row.ends_at + timedelta(minutes=kind.buffer_after_minutes)
        row.reschedule_count += 1
        row.updated_at = now
        await session.flush()

    await _write_guarded(session, move)
    await repo.forget_reminders(session, row.id)
    await publish(
        session,
        ev.BookingRescheduled(
            **await _event_fields(session, row),
            previous_starts_at=previous[0],
            previous_ends_at=previous[1],
        ),
    )
    return record(row, principal, settings)


async def cancel(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
    reason: str,
) -> SessionRecord:
    """Cancel by the learner, the consultant or a manager. A paid session is refunded unless
    the learner cancels inside the cutoff (late cancellation)."""
    config = BookingSettings.of(settings)
    row = await visible(session, principal, session_id)
    if principal.user_id == row.learner_id:
        by, status = "learner", SessionStatus.CANCELLED_BY_USER
    elif principal.user_id == row.consultant_user_id:
        by, status = "consultant", SessionStatus.CANCELLED_BY_CONSULTANT
    else:
        by, status = "admin", SessionStatus.CANCELLED_BY_CONSULTANT
    now = utcnow()
    late = row.starts_at - now < timedelta(hours=config.change_cutoff_hours)
    refund = row.payment_status == "paid" and not (by == "learner" and late)
    if not await repo.transition(
        session,
        row.id,
        ("held", "pending_assignment", "pending_confirmation", "scheduled"),
        {
            "status": status,
            "cancelled_by": by,
            "cancel_reason": reason,
            "updated_at": now,
            **({"payment_status": "refunded"} if refund else {}),
        },
    ):
        raise InvalidTransition()
    await session.refresh(row)
    if refund:
        await _refund(settings, row, "cancelled")
    await publish(
        session,
        ev.BookingCancelled(
            **await _event_fields(session, row), cancelled_by=by, reason=reason, refunded=refund
        ),
    )
    return record(row, principal, settings)


async def _refund(settings: Settings, row: BookingSession, why: str) -> None:
    if row.gateway_payment_id:
        await commerce_api.refund_charge(
            settings,
            gateway_payment_id=row.gateway_payment_id,
            amount_minor=row.price_minor,
            currency=row.currency,
            idempotency_key=f"booking-refund:{row.id}",
            reason=why,
        )


async def start(
    session: AsyncSession, settings: Settings, principal: Principal, session_id: uuid.UUID
) -> SessionRecord:
    row = await _consultants_own(session, principal, session_id)
    now = utcnow()
    join = timedelta(minutes=BookingSettings.of(settings).join_window_minutes)
    if not await repo.transition(
        session,
        row.id,
        ("scheduled",),
        {"status": "in_progress", "updated_at": now},
        BookingSession.starts_at <= now + join,
    ):
        raise InvalidTransition()
    await session.refresh(row)
    return record(row, principal, settings)


async def complete(
    session: AsyncSession, settings: Settings, principal: Principal, session_id: uuid.UUID
) -> SessionRecord:
    row = await _consultants_own(session, principal, session_id)
    now = utcnow()
    if not await repo.transition(
        session,
        row.id,
        ("scheduled", "in_progress"),
        {"status": "completed", "completed_at": now, "updated_at": now},
        BookingSession.starts_at <= now,
    ):
        raise InvalidTransition()
    await session.refresh(row)
    await publish(session, ev.BookingCompleted(**await _event_fields(session, row)))
    return record(row, principal, settings)


async def no_show(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
) -> SessionRecord:
    """The consultant marks the learner absent (after the start)."""
    row = await _consultants_own(session, principal, session_id)
    await _mark_no_show(session, settings, row, "learner")
    return record(row, principal, settings)


async def _mark_no_show(
    session: AsyncSession, settings: Settings, row: BookingSession, absent: str
) -> None:
    now = utcnow()
    status = "no_show_user" if absent == "learner" else "no_show_consultant"
    refund = absent == "consultant" and row.payment_status == "paid"
    if not await repo.transition(
        session,
        row.id,
        ("scheduled", "in_progress"),
        {"status": status, "updated_at": now, **({"payment_status": "refunded"} if refund else {})},
        BookingSession.starts_at <= now,
    ):
        raise InvalidTransition()
    await session.refresh(row)
    if refund:
        await _refund(settings, row, "consultant_no_show")
    await publish(session, ev.BookingNoShow(**await _event_fields(session, row), absent=absent))


async def set_notes(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    private_notes: str | None,
    shared_notes: str | None,
) -> SessionRecord:
    row = await _consultants_own(session, principal, session_id)
    if private_notes is not None:
        row.private_notes = private_notes
    if shared_notes is not None:
        row.shared_notes = shared_notes
    row.updated_at = utcnow()
    await session.flush()
    return record(row, principal, settings)


# --------------------------------------------------------------------------- feedback


async def leave_feedback(
    session: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    *,
    rating: int,
    comment: str,
    is_public: bool,
) -> FeedbackRecord:
    row = await visible(session, principal, session_id)
    if row.learner_id != principal.user_id:
        raise Forbidden("Only the learner rates a session.", code="not_the_learner")
    if row.status != SessionStatus.COMPLETED or row.consultant_user_id is None:
        raise InvalidTransition("Feedback opens when the session is completed.")
    if not await repo.add_feedback(
        session,
        {
            "id": uuid.uuid4(),
            "session_id": row.id,
            "learner_id": row.learner_id,
            "consultant_user_id": row.consultant_user_id,
            "rating": rating,
            "comment": comment,
            "is_public": is_public,
            "created_at": utcnow(),
        },
    ):
        raise FeedbackExists()
    await repo.add_rating(session, row.consultant_user_id, rating)
    found = await repo.feedback_of(session, row.id)
    assert found is not None
    return FeedbackRecord.of(found)


# --------------------------------------------------------------------------- lists


async def list_for(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    role: str,
    when: str | None,
    statuses: Sequence[str],
    limit: int,
    offset: int,
) -> tuple[list[SessionRecord], int]:
    now = utcnow()
    where: list[Any] = []
    if role == "learner":
        where.append(BookingSession.learner_id == principal.user_id)
    elif role == "consultant":
        principal.require(BOOKING_CONSULT_PERMISSION)
        where.append(BookingSession.consultant_user_id == principal.user_id)
    else:
        principal.require(BOOKING_MANAGE)
    if when == "upcoming":
        where.append(BookingSession.ends_at > now)
    elif when == "past":
        where.append(BookingSession.ends_at <= now)
    if statuses:
        where.append(BookingSession.status.in_(list(statuses)))
    rows, total = await repo.list_sessions(
        session, where, limit=limit, offset=offset, newest_first=when == "past"
    )
    return [record(row, principal, settings) for row in rows], total


# --------------------------------------------------------------------------- periodic work


async def send_reminders(session: AsyncSession, settings: Settings) -> int:
    """Publish each due reminder once (the ``booking_reminders_sent`` row is the claim, in the
    same transaction as the event)."""
    now = utcnow()
    sent = 0
    for minutes in BookingSettings.of(settings).reminder_offsets():
        offset = timedelta(minutes=minutes)
        for row in await repo.due_for_reminder(session, now, minutes, now + offset):
            if row.created_at > row.starts_at - offset:
                continue  # booked after this reminder's moment: the confirmation said it all
            if await repo.mark_reminder_sent(session, row.id, minutes, now):
                await publish(
                    session,
                    ev.BookingReminderDue(
                        **await _event_fields(session, row), minutes_before=minutes
                    ),
                )
                sent += 1
    return sent


async def sweep(session: AsyncSession, settings: Settings) -> None:
    """Expire lapsed holds and requests; a scheduled session nobody started is a consultant
    no-show once it has been over for ``auto_no_show_minutes``."""
    now = utcnow()
    await repo.release_lapsed(session, now)
    grace = timedelta(minutes=BookingSettings.of(settings).auto_no_show_minutes)
    for row in await repo.unattended(session, now - grace):
        try:
            await _mark_no_show(session, settings, row, "consultant")
        except InvalidTransition:
            continue


async def invitation_for(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> tuple[BookingSession, bytes]:
    """The session's .ics for one of its two participants, in that reader's time zone."""
    row = await visible(session, principal, session_id)
    if principal.user_id not in (row.learner_id, row.consultant_user_id):
        raise SessionNotFound()
    kind = await repo.service_type(session, row.service_type_id)
    zone = row.learner_time_zone
    if principal.user_id == row.consultant_user_id and row.consultant_user_id is not None:
        profile = await repo.profile(session, row.consultant_user_id)
        zone = profile.time_zone if profile else zone
    body = calendar.invitation(
        row,
        service_name=kind.name if kind else "Consultation",
        zone_name=zone,
        now=utcnow(),
        cancelled=row.status.startswith("cancelled"),
    )
    return row, body


async def create_meeting(
    session: AsyncSession, provider: MeetingProvider, session_id: uuid.UUID
) -> None:
    """The meeting of a scheduled session (once: a session with a meeting keeps it)."""
    row = await repo.get(session, session_id)
    if row is None or row.meeting_id is not None or row.status not in ("scheduled", "in_progress"):
        return
    kind = await repo.service_type(session, row.service_type_id)
    meeting = await provider.create(
        row.id,
        kind.name if kind else "Consultation",
        row.starts_at,
        int((row.ends_at - row.starts_at).total_seconds() // 60),
    )
    await repo.set_meeting(session, row.id, meeting.provider, meeting.meeting_id, meeting.join_url)


# --------------------------------------------------------------------------- calendar feed


def _feed_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def new_feed_token(session: AsyncSession, principal: Principal) -> str:
    """A new secret feed token for the caller (the previous one stops working)."""
    token = secrets.token_urlsafe(32)
    await repo.set_feed_token(session, principal.user_id, _feed_hash(token), utcnow())
    return token


async def revoke_feed(session: AsyncSession, principal: Principal) -> None:
    await repo.delete_feed(session, principal.user_id)


async def feed_for_token(session: AsyncSession, token: str) -> bytes:
    """The feed of the token's owner: sessions from 30 days back, in the owner's zone (their
    consultant profile's, else the zone of their latest booking)."""
    owner = await repo.feed_owner(session, _feed_hash(token)) if len(token) <= 100 else None
    if owner is None:
        raise SessionNotFound("No such calendar feed.", code="feed_not_found")
    now = utcnow()
    rows = await repo.sessions_of_person(session, owner, now - timedelta(days=30), 500)
    profile = await repo.profile(session, owner)
    zone = profile.time_zone if profile else "UTC"
    if profile is None:
        own = [r.learner_time_zone for r in rows if r.learner_id == owner]
        zone = own[-1] if own else "UTC"
    names = await repo.service_names(session, {r.service_type_id for r in rows})
    return calendar.feed(rows, names=names, zone_name=zone, now=now)
