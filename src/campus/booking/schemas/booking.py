"""Booking's wire models."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from campus.booking.service.records import (
    AvailabilityRecord,
    ConsultantRecord,
    FeedbackRecord,
    ServiceTypeRecord,
    SessionRecord,
    SlotRecord,
    UtilisationRecord,
    WindowRecord,
)
from campus.kernel.schemas import ApiModel, InputModel, Instant

HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$", examples=["09:00"])]
ZoneName = Annotated[str, Field(min_length=1, max_length=64, examples=["Europe/Berlin"])]
Tag = Annotated[str, Field(min_length=1, max_length=60)]


def minutes(value: str) -> int:
    hours, mins = value.split(":")
    return int(hours) * 60 + int(mins)


class ServiceTypeIn(InputModel):
    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=5000)
    duration_minutes: int = Field(ge=5, le=480)
    buffer_before_minutes: int = Field(default=0, ge=0, le=240)
    buffer_after_minutes: int = Field(default=0, ge=0, le=240)
    #: In the currency's minor units; 0 is free.
    price_minor: int = Field(default=0, ge=0, le=100_000_000)
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$")
    requires_confirmation: bool = False
    eligibility: Literal["anyone", "course_learners", "organization_members"] = "anyone"
    course_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    organization_id: uuid.UUID | None = None
    is_active: bool = True

    def values(self) -> dict[str, Any]:
        data = self.model_dump()
        data["course_ids"] = [str(c) for c in self.course_ids]
        return data


class ServiceTypeOut(ApiModel):
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
    def of(cls, record: ServiceTypeRecord) -> ServiceTypeOut:
        return cls.model_validate(record)


class ConsultantProfileIn(InputModel):
    display_name: str = Field(min_length=1, max_length=120)
    bio: str = Field(default="", max_length=5000)
    specializations: list[Tag] = Field(default_factory=list, max_length=20)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")]] = Field(
        default_factory=list, max_length=10
    )
    time_zone: ZoneName
    photo_url: str | None = Field(default=None, max_length=500, pattern=r"^https://")
    is_bookable: bool = True
    service_type_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)

    def values(self) -> dict[str, Any]:
        data = self.model_dump()
        data["service_type_ids"] = [str(t) for t in self.service_type_ids]
        return data


class ConsultantOut(ApiModel):
    user_id: uuid.UUID
    display_name: str
    bio: str
    specializations: list[str]
    languages: list[str]
    time_zone: str
    photo_url: str | None
    is_bookable: bool
    service_type_ids: list[str]
    rating: float | None
    rating_count: int
    next_available: datetime | None

    @classmethod
    def of(cls, record: ConsultantRecord) -> ConsultantOut:
        return cls.model_validate(record)


class WeeklyWindowIn(InputModel):
    weekday: int = Field(ge=0, le=6, description="0 is Monday")
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyWindowIn:
        if minutes(self.end) <= minutes(self.start):
            raise ValueError("end must be after start")
        return self


class OverrideIn(InputModel):
    day: date
    #: Both absent: a day off.
    start: HHMM | None = None
    end: HHMM | None = None

    @model_validator(mode="after")
    def _ordered(self) -> OverrideIn:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither for a day off")
        if self.start and self.end and minutes(self.end) <= minutes(self.start):
            raise ValueError("end must be after start")
        return self


class AvailabilityIn(InputModel):
    weekly: list[WeeklyWindowIn] = Field(default_factory=list, max_length=70)
    overrides: list[OverrideIn] = Field(default_factory=list, max_length=400)
    min_notice_minutes: int = Field(default=720, ge=0, le=60 * 24 * 30)
    horizon_days: int = Field(default=60, ge=1, le=366)
    daily_limit: int | None = Field(default=None, ge=1, le=50)

    def rules(self) -> list[dict[str, int]]:
        return [
            {"weekday": w.weekday, "start_minute": minutes(w.start), "end_minute": minutes(w.end)}
            for w in self.weekly
        ]

    def override_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "day": o.day,
                "start_minute": minutes(o.start) if o.start else None,
                "end_minute": minutes(o.end) if o.end else None,
            }
            for o in self.overrides
        ]

    def terms(self) -> dict[str, Any]:
        return {
            "min_notice_minutes": self.min_notice_minutes,
            "horizon_days": self.horizon_days,
            "daily_limit": self.daily_limit,
        }


class WindowOut(ApiModel):
    weekday: int | None
    day: date | None
    start: str | None
    end: str | None

    @classmethod
    def of(cls, record: WindowRecord) -> WindowOut:
        return cls.model_validate(record)


class AvailabilityOut(ApiModel):
    time_zone: str
    weekly: list[WindowOut]
    overrides: list[WindowOut]
    min_notice_minutes: int
    horizon_days: int
    daily_limit: int | None

    @classmethod
    def of(cls, record: AvailabilityRecord) -> AvailabilityOut:
        return cls(
            time_zone=record.time_zone,
            weekly=[WindowOut.of(w) for w in record.weekly],
            overrides=[WindowOut.of(w) for w in record.overrides],
            min_notice_minutes=record.min_notice_minutes,
            horizon_days=record.horizon_days,
            daily_limit=record.daily_limit,
        )


class SlotOut(ApiModel):
    starts_at: datetime = Field(description="UTC")
    ends_at: datetime = Field(description="UTC")
    local_start: datetime = Field(description="In the viewer's time zone, with its offset")
    local_end: datetime

    @classmethod
    def of(cls, record: SlotRecord) -> SlotOut:
        return cls.model_validate(record)


class SlotsOut(ApiModel):
    time_zone: str
    items: list[SlotOut]


class BookIn(InputModel):
    service_type_id: uuid.UUID
    #: Absent: a request the system assigns round-robin (or an admin assigns).
    consultant_user_id: uuid.UUID | None = None
    starts_at: Instant
    #: Optional: must equal the service type's duration.
    duration_minutes: int | None = Field(default=None, ge=1, le=1440)
    #: The learner's time zone (invitations and reminders use it).
    time_zone: ZoneName
    details: str = Field(default="", max_length=2000)


class RescheduleIn(InputModel):
    starts_at: Instant


class BookingReasonIn(InputModel):
    reason: str = Field(min_length=1, max_length=500)


class AssignIn(InputModel):
    consultant_user_id: uuid.UUID


class PayIn(InputModel):
    payment_method_id: uuid.UUID


class NotesIn(InputModel):
    private_notes: str | None = Field(default=None, max_length=20_000)
    shared_notes: str | None = Field(default=None, max_length=20_000)


class SessionFeedbackIn(InputModel):
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=5000)
    is_public: bool = True

    @field_validator("comment")
    @classmethod
    def _plain(cls, value: str) -> str:
        return value.strip()


class BookingSessionOut(ApiModel):
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
    join_url: str | None = Field(
        description="Only for the two participants, from shortly before the start to its end"
    )
    shared_notes: str
    private_notes: str | None = Field(description="Only for the consultant")

    @classmethod
    def of(cls, record: SessionRecord) -> BookingSessionOut:
        return cls.model_validate(record)


class FeedbackOut(ApiModel):
    session_id: uuid.UUID
    rating: int
    comment: str
    is_public: bool
    created_at: datetime

    @classmethod
    def of(cls, record: FeedbackRecord) -> FeedbackOut:
        return cls.model_validate(record)


class ConsultantEarningsOut(ApiModel):
    currency: str
    completed_paid_sessions: int
    earned_minor: int
    upcoming_paid_minor: int


class ConsultantDashboardOut(ApiModel):
    upcoming: list[BookingSessionOut]
    requests: list[BookingSessionOut]
    earnings: list[ConsultantEarningsOut]


class LearnerDashboardOut(ApiModel):
    upcoming: list[BookingSessionOut]
    past: list[BookingSessionOut]


class UtilisationOut(ApiModel):
    consultant_user_id: uuid.UUID
    display_name: str
    sessions: int
    completed: int
    no_shows: int
    booked_minutes: int
    available_minutes: int
    utilisation: float
    no_show_rate: float

    @classmethod
    def of(cls, record: UtilisationRecord) -> UtilisationOut:
        return cls.model_validate(record)


class CalendarFeedOut(ApiModel):
    url: str = Field(description="Secret: anyone with it reads your sessions; shown once")


class AdminDashboardOut(ApiModel):
    since: datetime
    until: datetime
    consultants: list[UtilisationOut]


__all__ = ["Instant"]
