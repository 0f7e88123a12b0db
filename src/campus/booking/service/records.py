"""What booking's services return: frozen records, built for one viewer (a learner never gets
the consultant's private notes; only the two participants get the join link, and only
shortly before the session)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from campus.booking.models import BookingSession, ConsultantProfile, Feedback, ServiceType


@dataclass(frozen=True, slots=True)
class ServiceTypeRecord:
    id: uuid.UUID
    name: str
    description: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    price_minor: int
    currency: str
    requires_confirmation: bool
    eligibility: str
    course_ids: list[str]
    organization_id: uuid.UUID | None
    is_active: bool

    @classmethod
    def of(cls, row: ServiceType) -> ServiceTypeRecord:
        return cls(
            id=row.id,
            name=row.name,
            description=row.description,
            duration_minutes=row.duration_minutes,
            buffer_before_minutes=row.buffer_before_minutes,
            buffer_after_minutes=row.buffer_after_minutes,
            price_minor=row.price_minor,
            currency=row.currency,
            requires_confirmation=row.requires_confirmation,
            eligibility=row.eligibility,
            course_ids=list(row.course_ids),
            organization_id=row.organization_id,
            is_active=row.is_active,
        )


@dataclass(frozen=True, slots=True)
class WindowRecord:
    weekday: int | None
    day: date | None
    start: str | None
    end: str | None


@dataclass(frozen=True, slots=True)
class ConsultantRecord:
    user_id: uuid.UUID
    display_name: str
    bio: str
    specializations: list[str]
    languages: list[str]
    time_zone: str
    photo_url: str | None
    is_bookable: bool
    service_type_ids: list[str]
    min_notice_minutes: int
    horizon_days: int
    daily_limit: int | None
    rating: float | None
    rating_count: int
    next_available: datetime | None = None

    @classmethod
    def of(cls, row: ConsultantProfile, next_available: datetime | None = None) -> ConsultantRecord:
        return cls(
            user_id=row.user_id,
            display_name=row.display_name,
            bio=row.bio,
            specializations=list(row.specializations),
            languages=list(row.languages),
            time_zone=row.time_zone,
            photo_url=row.photo_url,
            is_bookable=row.is_bookable,
            service_type_ids=list(row.service_type_ids),
            min_notice_minutes=row.min_notice_minutes,
            horizon_days=row.horizon_days,
            daily_limit=row.daily_limit,
            rating=round(row.rating_sum / row.rating_count, 2) if row.rating_count else None,
            rating_count=row.rating_count,
            next_available=next_available,
        )


@dataclass(frozen=True, slots=True)
class AvailabilityRecord:
    time_zone: str
    weekly: list[WindowRecord]
    overrides: list[WindowRecord]
    min_notice_minutes: int
    horizon_days: int
    daily_limit: int | None


@dataclass(frozen=True, slots=True)
class SlotRecord:
    starts_at: datetime
    ends_at: datetime
    local_start: datetime
    local_end: datetime


@dataclass(frozen=True, slots=True)
class SessionRecord:
    id: uuid.UUID
    service_type_id: uuid.UUID
    learner_id: uuid.UUID
    consultant_user_id: uuid.UUID | None
    starts_at: datetime
    ends_at: datetime
    status: str
    learner_time_zone: str
    details: str
    respond_by: datetime | None
    hold_expires_at: datetime | None
    price_minor: int
    currency: str
    payment_status: str
    reschedule_count: int
    cancelled_by: str | None
    cancel_reason: str | None
    join_url: str | None
    shared_notes: str
    #: None for anyone but the consultant of the session (and admins).
    private_notes: str | None

    @classmethod
    def of(
        cls,
        row: BookingSession,
        viewer: uuid.UUID,
        *,
        now: datetime,
        join_window: timedelta,
        staff: bool = False,
    ) -> SessionRecord:
        participant = viewer in (row.learner_id, row.consultant_user_id)
        joinable = (
            participant
            and row.status in ("scheduled", "in_progress")
            and row.starts_at - join_window <= now < row.ends_at
        )
        return cls(
            id=row.id,
            service_type_id=row.service_type_id,
            learner_id=row.learner_id,
            consultant_user_id=row.consultant_user_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=row.status,
            learner_time_zone=row.learner_time_zone,
            details=row.details,
            respond_by=row.respond_by,
            hold_expires_at=row.hold_expires_at,
            price_minor=row.price_minor,
            currency=row.currency,
            payment_status=row.payment_status,
            reschedule_count=row.reschedule_count,
            cancelled_by=row.cancelled_by,
            cancel_reason=row.cancel_reason,
            join_url=row.join_url if joinable else None,
            shared_notes=row.shared_notes,
            private_notes=(
                row.private_notes
                if viewer == row.consultant_user_id or (staff and viewer != row.learner_id)
                else None
            ),
        )


@dataclass(frozen=True, slots=True)
class FeedbackRecord:
    session_id: uuid.UUID
    rating: int
    comment: str
    is_public: bool
    created_at: datetime

    @classmethod
    def of(cls, row: Feedback) -> FeedbackRecord:
        return cls(row.session_id, row.rating, row.comment, row.is_public, row.created_at)


@dataclass(frozen=True, slots=True)
class UtilisationRecord:
    consultant_user_id: uuid.UUID
    display_name: str
    sessions: int
    completed: int
    no_shows: int
    booked_minutes: int
    available_minutes: int
    utilisation: float
    no_show_rate: float


@dataclass(frozen=True, slots=True)
class EarningsRecord:
    currency: str
    completed_paid_sessions: int
    earned_minor: int
    upcoming_paid_minor: int
