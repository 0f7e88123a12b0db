"""A session as an iCalendar invitation (RFC 5545) with its times in the reader's zone: a
``TZID`` on DTSTART/DTEND and the matching VTIMEZONE."""

from __future__ import annotations

import uuid
from datetime import datetime

from icalendar import Calendar, Event, vCalAddress

from campus.booking.models import BookingSession
from campus.booking.service.slots import known_zone


def feed(
    rows: list[BookingSession],
    *,
    names: dict[uuid.UUID, str],
    zone_name: str,
    now: datetime,
) -> bytes:
    """A person's sessions as one calendar (a subscription feed), in their zone."""
    zone = known_zone(zone_name) or known_zone("UTC")
    assert zone is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Campus//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", "Campus consultations")
    for row in rows:
        cancelled = row.status.startswith("cancelled")
        event = Event()
        event.add("uid", f"{uuid.UUID(str(row.id))}@campus")
        event.add("dtstamp", now)
        event.add("dtstart", row.starts_at.astimezone(zone))
        event.add("dtend", row.ends_at.astimezone(zone))
        event.add("summary", names.get(row.service_type_id, "Consultation"))
        event.add("sequence", row.reschedule_count)
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def invitation(
    row: BookingSession,
    *,
    service_name: str,
    zone_name: str,
    now: datetime,
    organizer_email: str | None = None,
    cancelled: bool = False,
) -> bytes:
    zone = known_zone(zone_name) or known_zone("UTC")
    assert zone is not None
    calendar = Calendar()
    calendar.add("prodid", "-//Campus//Booking//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"{uuid.UUID(str(row.id))}@campus")
    event.add("dtstamp", now)
    event.add("dtstart", row.starts_at.astimezone(zone))
    event.add("dtend", row.ends_at.astimezone(zone))
    event.add("summary", service_name)
    event.add("sequence", row.reschedule_count)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if row.join_url:
        event.add("location", row.join_url)
    if organizer_email:
        event.add("organizer", vCalAddress(f"mailto:{organizer_email}"))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
