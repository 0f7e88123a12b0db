"""Service types, consultant profiles, availability and the free-slot listing."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking.data import BOOKING_CONSULT_PERMISSION, BOOKING_MANAGE
from campus.booking.exceptions import ConsultantNotFound, ServiceTypeNotFound
from campus.booking.models import ConsultantProfile, ServiceType
from campus.booking.repository import sessions as repo
from campus.booking.service import slots
from campus.booking.service.records import (
    AvailabilityRecord,
    ConsultantRecord,
    ServiceTypeRecord,
    SlotRecord,
    WindowRecord,
)
from campus.booking.settings import BookingSettings
from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error

# --------------------------------------------------------------------------- service types


async def create_type(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> ServiceTypeRecord:
    principal.require(BOOKING_MANAGE)
    row = ServiceType(**values)
    session.add(row)
    await session.flush()
    return ServiceTypeRecord.of(row)


async def update_type(
    session: AsyncSession, principal: Principal, type_id: uuid.UUID, values: dict[str, Any]
) -> ServiceTypeRecord:
    principal.require(BOOKING_MANAGE)
    row = await repo.service_type(session, type_id)
    if row is None:
        raise ServiceTypeNotFound()
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await session.flush()
    return ServiceTypeRecord.of(row)


async def list_types(
    session: AsyncSession, principal: Principal | None, limit: int, offset: int
) -> tuple[list[ServiceTypeRecord], int]:
    everything = principal is not None and principal.has(BOOKING_MANAGE)
    rows, total = await repo.service_types(
        session, active_only=not everything, limit=limit, offset=offset
    )
    return [ServiceTypeRecord.of(row) for row in rows], total


async def active_type(session: AsyncSession, type_id: uuid.UUID) -> ServiceType:
    row = await repo.service_type(session, type_id)
    if row is None or not row.is_active:
        raise ServiceTypeNotFound()
    return row


# --------------------------------------------------------------------------- profiles


def check_zone(name: str, field: str = "timeZone") -> str:
    if slots.known_zone(name) is None:
        raise field_error(
            field,
            "Unknown time zone: give an IANA name such as Europe/Berlin.",
            "unknown_time_zone",
        )
    return name


async def save_profile(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> ConsultantRecord:
    principal.require(BOOKING_CONSULT_PERMISSION)
    check_zone(values["time_zone"])
    for type_id in values.get("service_type_ids", []):
        if await repo.service_type(session, uuid.UUID(type_id)) is None:
            raise field_error("serviceTypeIds", f"No such service type: {type_id}.")
    row = await repo.profile(session, principal.user_id, lock=True)
    if row is None:
        row = ConsultantProfile(user_id=principal.user_id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
    await session.flush()
    return ConsultantRecord.of(row)


async def get_profile(session: AsyncSession, user_id: uuid.UUID) -> ConsultantRecord:
    row = await repo.profile(session, user_id)
    if row is None or not row.is_bookable:
        raise ConsultantNotFound()
    return ConsultantRecord.of(row)


async def directory(
    session: AsyncSession,
    settings: Settings,
    *,
    specialization: str | None,
    language: str | None,
    service_type_id: uuid.UUID | None,
    available_before: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[ConsultantRecord], int]:
    """Bookable consultants matching the filters; with ``service_type_id`` each carries its
    next free slot (and ``available_before`` keeps those free before that moment)."""
    found: list[ConsultantRecord] = []
    kind = await active_type(session, service_type_id) if service_type_id else None
    for row in await repo.bookable_profiles(session):
        if specialization and specialization.lower() not in (
            s.lower() for s in row.specializations
        ):
            continue
        if language and language.lower() not in (lang.lower() for lang in row.languages):
            continue
        next_free = None
        if kind is not None:
            if str(kind.id) not in row.service_type_ids:
                continue
            next_free = await next_available(session, settings, row, kind)
            if available_before is not None and (
                next_free is None or next_free >= available_before
            ):
                continue
        found.append(ConsultantRecord.of(row, next_free))
    return found[offset : offset + limit], len(found)


async def next_available(
    session: AsyncSession, settings: Settings, profile: ConsultantProfile, kind: ServiceType
) -> datetime | None:
    now = utcnow()
    start = now
    end = now + timedelta(days=profile.horizon_days)
    while start < end:
        chunk_end = min(start + timedelta(days=14), end)
        free = await free_slots_of(session, settings, profile, kind, start, chunk_end)
        if free:
            return free[0].starts_at
        start = chunk_end
    return None


# --------------------------------------------------------------------------- availability


def _hhmm(minute: int | None) -> str | None:
    return None if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


async def get_availability(session: AsyncSession, user_id: uuid.UUID) -> AvailabilityRecord:
    row = await repo.profile(session, user_id)
    if row is None:
        raise ConsultantNotFound()
    rules = await repo.rules_of(session, user_id)
    overrides = await repo.overrides_of(session, user_id)
    return AvailabilityRecord(
        time_zone=row.time_zone,
        weekly=sorted(
            (
                WindowRecord(r.weekday, None, _hhmm(r.start_minute), _hhmm(r.end_minute))
                for r in rules
            ),
            key=lambda w: (w.weekday or 0, w.start or ""),
        ),
        overrides=sorted(
            (
                WindowRecord(None, o.day, _hhmm(o.start_minute), _hhmm(o.end_minute))
                for o in overrides
            ),
            key=lambda w: (w.day or date.min, w.start or ""),
        ),
        min_notice_minutes=row.min_notice_minutes,
        horizon_days=row.horizon_days,
        daily_limit=row.daily_limit,
    )


async def set_availability(
    session: AsyncSession,
    principal: Principal,
    *,
    rules: list[dict[str, Any]],
    overrides: list[dict[str, Any]],
    terms: dict[str, Any],
) -> AvailabilityRecord:
    principal.require(BOOKING_CONSULT_PERMISSION)
    row = await repo.profile(session, principal.user_id, lock=True)
    if row is None:
        raise ConsultantNotFound("Create your consultant profile first.")
    for key, value in terms.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await repo.replace_availability(session, principal.user_id, rules, overrides)
    return await get_availability(session, principal.user_id)


async def availability_of(session: AsyncSession, profile: ConsultantProfile) -> slots.Availability:
    weekly: dict[int, list[slots.Window]] = {}
    overrides: dict[date, list[slots.Window]] = {}
    for weekday, day, start, end in await repo.windows(session, profile.user_id):
        if weekday is not None and start is not None and end is not None:
            weekly.setdefault(weekday, []).append(slots.Window(start, end))
        elif day is not None:
            found = overrides.setdefault(day, [])
            if start is not None and end is not None:
                found.append(slots.Window(start, end))
    return slots.Availability(
        time_zone=profile.time_zone,
        weekly={day: sorted(w, key=lambda x: x.start_minute) for day, w in weekly.items()},
        overrides=overrides,
        min_notice=timedelta(minutes=profile.min_notice_minutes),
        horizon=timedelta(days=profile.horizon_days),
        daily_limit=profile.daily_limit,
    )


async def free_slots_of(
    session: AsyncSession,
    settings: Settings,
    profile: ConsultantProfile,
    kind: ServiceType,
    window_from: datetime,
    window_to: datetime,
    *,
    ignore_session: uuid.UUID | None = None,
) -> list[slots.Slot]:
    now = utcnow()
    availability = await availability_of(session, profile)
    zone = slots.known_zone(profile.time_zone)
    assert zone is not None
    margin = timedelta(days=2)
    taken = [
        row
        for row in await repo.occupied_ranges(
            session, profile.user_id, window_from - margin, window_to + margin, now
        )
        if row[0] != ignore_session
    ]
    per_day = Counter(row[1].astimezone(zone).date() for row in taken)
    return slots.free_slots(
        availability,
        duration=timedelta(minutes=kind.duration_minutes),
        buffer_before=timedelta(minutes=kind.buffer_before_minutes),
        buffer_after=timedelta(minutes=kind.buffer_after_minutes),
        step=timedelta(minutes=BookingSettings.of(settings).slot_step_minutes),
        window_from=window_from,
        window_to=window_to,
        now=now,
        occupied=[(row[2], row[3]) for row in taken],
        sessions_per_day=per_day,
    )


#: The longest range one slot listing covers.
MAX_RANGE = timedelta(days=62)


async def list_slots(
    session: AsyncSession,
    settings: Settings,
    consultant_id: uuid.UUID,
    service_type_id: uuid.UUID,
    first_day: date,
    last_day: date,
    viewer_zone: str,
) -> list[SlotRecord]:
    """Free slots starting on the viewer's dates ``first_day`` to ``last_day`` (inclusive,
    midnight to midnight in ``viewer_zone``)."""
    zone = slots.known_zone(check_zone(viewer_zone))
    assert zone is not None
    if last_day < first_day:
        raise field_error("to", "The end of the range must not be before its start.", "range_order")
    if last_day - first_day >= MAX_RANGE:
        raise field_error("to", "At most 62 days per listing.", "range_too_long")
    window_from = slots.local_moment(first_day, 0, zone)
    window_to = slots.local_moment(last_day, 1440, zone)
    found = await repo.profile_with_type(session, consultant_id, service_type_id)
    if found is None:
        await active_type(session, service_type_id)  # which one is missing
        raise ConsultantNotFound()
    profile, kind = found
    if not profile.is_bookable:
        raise ConsultantNotFound()
    if not kind.is_active or str(kind.id) not in profile.service_type_ids:
        raise ServiceTypeNotFound("This consultant does not offer that service type.")
    free = await free_slots_of(session, settings, profile, kind, window_from, window_to)
    return [
        SlotRecord(s.starts_at, s.ends_at, s.starts_at.astimezone(zone), s.ends_at.astimezone(zone))
        for s in free
    ]
