"""Dashboards: a learner's sessions, a consultant's schedule, requests and earnings, and the
admins' utilisation and no-show rates per consultant."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking.data import BOOKING_CONSULT_PERMISSION, BOOKING_MANAGE
from campus.booking.repository import sessions as repo
from campus.booking.service import consultants
from campus.booking.service.records import EarningsRecord, SessionRecord, UtilisationRecord
from campus.booking.service.sessions import list_for
from campus.booking.service.slots import known_zone, local_moment, windows_of
from campus.config import Settings
from campus.kernel.auth import Principal

BLOCK = 20


async def learner(
    session: AsyncSession, settings: Settings, principal: Principal
) -> tuple[list[SessionRecord], list[SessionRecord]]:
    upcoming, _ = await list_for(
        session,
        settings,
        principal,
        role="learner",
        when="upcoming",
        statuses=(),
        limit=BLOCK,
        offset=0,
    )
    past, _ = await list_for(
        session,
        settings,
        principal,
        role="learner",
        when="past",
        statuses=(),
        limit=BLOCK,
        offset=0,
    )
    return upcoming, past


async def consultant(
    session: AsyncSession, settings: Settings, principal: Principal
) -> tuple[list[SessionRecord], list[SessionRecord], list[EarningsRecord]]:
    principal.require(BOOKING_CONSULT_PERMISSION)
    upcoming, _ = await list_for(
        session,
        settings,
        principal,
        role="consultant",
        when="upcoming",
        statuses=("scheduled", "in_progress", "held"),
        limit=BLOCK,
        offset=0,
    )
    requests, _ = await list_for(
        session,
        settings,
        principal,
        role="consultant",
        when="upcoming",
        statuses=("pending_confirmation",),
        limit=BLOCK,
        offset=0,
    )
    by_currency: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for currency, status, count, amount in await repo.earnings_rows(session, principal.user_id):
        if status == "completed":
            by_currency[currency][0] += count
            by_currency[currency][1] += amount
        elif status in ("scheduled", "in_progress"):
            by_currency[currency][2] += amount
    earnings = [
        EarningsRecord(currency, n, earned, upcoming_amount)
        for currency, (n, earned, upcoming_amount) in sorted(by_currency.items())
    ]
    return upcoming, requests, earnings


async def utilisation(
    session: AsyncSession, principal: Principal, since: datetime, until: datetime
) -> list[UtilisationRecord]:
    """Per consultant: sessions starting in the range, booked minutes over the minutes of
    their availability windows in the range, and no-shows over sessions that took place or
    should have."""
    principal.require(BOOKING_MANAGE)
    counts: dict[object, dict[str, tuple[int, int]]] = defaultdict(dict)
    for consultant_id, status, number, mins in await repo.status_counts(session, since, until):
        counts[consultant_id][status] = (number, mins)
    found = []
    for profile in await repo.bookable_profiles(session):
        by_status = counts.get(profile.user_id, {})
        total = sum(n for n, _ in by_status.values())
        completed = by_status.get("completed", (0, 0))[0]
        no_shows = sum(by_status.get(s, (0, 0))[0] for s in ("no_show_user", "no_show_consultant"))
        booked = sum(
            by_status.get(s, (0, 0))[1]
            for s in ("scheduled", "in_progress", "completed", "no_show_user")
        )
        available = await _available_minutes(session, profile, since, until)
        held = completed + no_shows
        found.append(
            UtilisationRecord(
                consultant_user_id=profile.user_id,
                display_name=profile.display_name,
                sessions=total,
                completed=completed,
                no_shows=no_shows,
                booked_minutes=booked,
                available_minutes=available,
                utilisation=round(booked / available, 4) if available else 0.0,
                no_show_rate=round(no_shows / held, 4) if held else 0.0,
            )
        )
    return found


async def _available_minutes(
    session: AsyncSession, profile: object, since: datetime, until: datetime
) -> int:
    from campus.booking.models import ConsultantProfile

    assert isinstance(profile, ConsultantProfile)
    availability = await consultants.availability_of(session, profile)
    zone = known_zone(availability.time_zone)
    assert zone is not None
    total = timedelta(0)
    day = since.astimezone(zone).date()
    while day <= until.astimezone(zone).date():
        for window in windows_of(availability, day):
            opens = max(local_moment(day, window.start_minute, zone), since)
            closes = min(local_moment(day, window.end_minute, zone), until)
            if closes > opens:
                total += closes - opens
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)
