"""The booking context's tables. Users, courses and organizations of other contexts are plain
UUID columns, never foreign keys; relationships: none (every read is an explicit query in
``repository``).

A consultation request and its scheduled session are one row of ``booking_sessions`` (ADR
0039): a request is a session before it is confirmed, so the one guarantee against double
booking (on PostgreSQL an exclusion constraint over ``[blocked_from, blocked_until)`` per
consultant, ``booking_sessions_no_overlap``, created by the migration) covers holds,
requests and scheduled sessions alike.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.clock import utcnow
from campus.kernel.db import (
    Base,
    IdMixin,
    JSONDoc,
    TimestampMixin,
    register_unmanaged_schema_objects,
)

#: The PostgreSQL exclusion constraint (raw SQL in the migration; SQLite serializes writes).
NO_OVERLAP_CONSTRAINT = "booking_sessions_no_overlap"
register_unmanaged_schema_objects(NO_OVERLAP_CONSTRAINT)

#: Statuses that occupy the consultant's time (the exclusion constraint's predicate).
BLOCKING_STATUSES = ("held", "pending_confirmation", "scheduled", "in_progress")


class ServiceType(IdMixin, TimestampMixin, Base):
    """What can be booked (seed 001 consultation_service_types)."""

    __tablename__ = "booking_service_types"
    __table_args__ = (
        sa.CheckConstraint("duration_minutes BETWEEN 5 AND 480", name="duration"),
        sa.CheckConstraint("buffer_before_minutes BETWEEN 0 AND 240", name="buffer_before"),
        sa.CheckConstraint("buffer_after_minutes BETWEEN 0 AND 240", name="buffer_after"),
        sa.CheckConstraint("price_minor >= 0", name="price"),
        sa.CheckConstraint(
            "eligibility IN ('anyone', 'course_learners', 'organization_members')",
            name="eligibility",
        ),
    )

    name: Mapped[str] = mapped_column(sa.String(120))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    duration_minutes: Mapped[int] = mapped_column()
    buffer_before_minutes: Mapped[int] = mapped_column(default=0)
    buffer_after_minutes: Mapped[int] = mapped_column(default=0)
    #: 0: free.
    price_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    #: Instant booking (False) or a request the consultant confirms (True).
    requires_confirmation: Mapped[bool] = mapped_column(default=False)
    eligibility: Mapped[str] = mapped_column(sa.String(24), default="anyone")
    #: Courses whose enrolled learners may book (``course_learners``).
    course_ids: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    #: The organization whose members may book (``organization_members``).
    organization_id: Mapped[uuid.UUID | None] = mapped_column()
    is_active: Mapped[bool] = mapped_column(default=True)


class ConsultantProfile(TimestampMixin, Base):
    """A consultant's public profile and the terms of their availability (seed 001
    consultant_profiles)."""

    __tablename__ = "booking_consultants"
    __table_args__ = (
        sa.CheckConstraint("min_notice_minutes >= 0", name="min_notice"),
        sa.CheckConstraint("horizon_days BETWEEN 1 AND 366", name="horizon"),
        sa.CheckConstraint("daily_limit IS NULL OR daily_limit >= 1", name="daily_limit"),
        sa.CheckConstraint("rating_count >= 0", name="rating_count"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    bio: Mapped[str] = mapped_column(sa.Text, default="")
    specializations: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    languages: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    time_zone: Mapped[str] = mapped_column(sa.String(64))
    photo_url: Mapped[str | None] = mapped_column(sa.String(500))
    is_bookable: Mapped[bool] = mapped_column(default=True)
    #: The service types this consultant offers (ids as strings).
    service_type_ids: Mapped[list[str]] = mapped_column(JSONDoc(), default=list)
    min_notice_minutes: Mapped[int] = mapped_column(default=12 * 60)
    horizon_days: Mapped[int] = mapped_column(default=60)
    daily_limit: Mapped[int | None] = mapped_column()
    rating_sum: Mapped[int] = mapped_column(default=0)
    rating_count: Mapped[int] = mapped_column(default=0)
    #: Round-robin assignment: the last time a request was assigned to this consultant.
    last_assigned_at: Mapped[datetime | None] = mapped_column()


class AvailabilityRule(IdMixin, Base):
    """A weekly window in the consultant's time zone: ``weekday`` (0 Monday) from
    ``start_minute`` to ``end_minute`` after local midnight."""

    __tablename__ = "booking_availability_rules"
    __table_args__ = (
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name="window",
        ),
    )

    consultant_user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    weekday: Mapped[int] = mapped_column()
    start_minute: Mapped[int] = mapped_column()
    end_minute: Mapped[int] = mapped_column()


class AvailabilityOverride(IdMixin, Base):
    """A date of the consultant's calendar that replaces the weekly rules: windows of that
    date, or (``start_minute`` null) a day off."""

    __tablename__ = "booking_availability_overrides"
    __table_args__ = (
        sa.CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR (start_minute >= 0 AND "
            "end_minute <= 1440 AND start_minute < end_minute)",
            name="window",
        ),
    )

    consultant_user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    start_minute: Mapped[int | None] = mapped_column()
    end_minute: Mapped[int | None] = mapped_column()


class BookingSession(IdMixin, TimestampMixin, Base):
    """A request and the session it becomes (seed 001 consultation_requests and
    scheduled_sessions, ADR 0039)."""

    __tablename__ = "booking_sessions"
    __table_args__ = (
        sa.CheckConstraint("starts_at < ends_at", name="times"),
        sa.CheckConstraint(
            "blocked_from <= starts_at AND blocked_until >= ends_at", name="blocked"
        ),
        sa.Index("ix_booking_sessions_consultant_start", "consultant_user_id", "starts_at"),
        sa.Index("ix_booking_sessions_learner_start", "learner_id", "starts_at"),
        sa.Index("ix_booking_sessions_status_start", "status", "starts_at"),
    )

    service_type_id: Mapped[uuid.UUID] = mapped_column()
    learner_id: Mapped[uuid.UUID] = mapped_column()
    #: None while the request waits for an assignment.
    consultant_user_id: Mapped[uuid.UUID | None] = mapped_column()
    starts_at: Mapped[datetime] = mapped_column()
    ends_at: Mapped[datetime] = mapped_column()
    #: The time the consultant is occupied: the session with the type's buffers.
    blocked_from: Mapped[datetime] = mapped_column()
    blocked_until: Mapped[datetime] = mapped_column()
    status: Mapped[str] = mapped_column(sa.String(32))
    learner_time_zone: Mapped[str] = mapped_column(sa.String(64))
    details: Mapped[str] = mapped_column(sa.Text, default="")
    #: A request's deadline for the consultant's answer.
    respond_by: Mapped[datetime | None] = mapped_column()
    #: A paid session's hold: the slot is the learner's until then.
    hold_expires_at: Mapped[datetime | None] = mapped_column()
    price_minor: Mapped[int] = mapped_column(default=0)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    payment_status: Mapped[str] = mapped_column(sa.String(16), default="none")
    gateway_payment_id: Mapped[str | None] = mapped_column(sa.String(120))
    reschedule_count: Mapped[int] = mapped_column(default=0)
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(16))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    meeting_provider: Mapped[str | None] = mapped_column(sa.String(32))
    meeting_id: Mapped[str | None] = mapped_column(sa.String(255))
    join_url: Mapped[str | None] = mapped_column(sa.String(1000))
    #: The consultant's own notes: never shown to the learner.
    private_notes: Mapped[str] = mapped_column(sa.Text, default="")
    #: Notes and resources shared with the learner.
    shared_notes: Mapped[str] = mapped_column(sa.Text, default="")
    completed_at: Mapped[datetime | None] = mapped_column()


class ReminderSent(Base):
    """One row per session and offset: the reminder is published exactly once."""

    __tablename__ = "booking_reminders_sent"

    session_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    minutes_before: Mapped[int] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class Feedback(IdMixin, Base):
    """The learner's rating of a completed session (seed 001 consultation_feedback)."""

    __tablename__ = "booking_feedback"
    __table_args__ = (sa.CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),)

    session_id: Mapped[uuid.UUID] = mapped_column(unique=True)
    learner_id: Mapped[uuid.UUID] = mapped_column()
    consultant_user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    rating: Mapped[int] = mapped_column()
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    is_public: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """A person's secret iCalendar feed of their sessions: only the token's SHA-256 is kept;
    a new token replaces the old one, deleting the row revokes it."""

    __tablename__ = "booking_calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
