"""What booking tells the rest of Campus (its events, with what a notification needs) and its
demo data."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from campus.booking import demo
from campus.booking.models import BookingSession, ConsultantProfile, Feedback, ServiceType
from campus.kernel.clock import Clock
from campus.kernel.module import SeedState
from campus.kernel.outbox import OutboxMessage
from tests.booking.conftest import BookingFactory, at


async def booking_events(booking: BookingFactory) -> list[tuple[str, dict[str, Any]]]:
    async with booking.app.state.db.session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.name.like("booking.%"), OutboxMessage.kind == "event")
            .order_by(OutboxMessage.id)
        )
        return [(r.name, r.payload) for r in rows]


async def test_the_lifecycle_publishes_its_events_with_both_time_zones(
    monday: Clock, booking: BookingFactory
) -> None:
    kind = await booking.service_type(name="Career talk", requiresConfirmation=True)
    consultant = await booking.consultant([kind], time_zone="Asia/Tokyo")
    learner = await booking.learner()
    session = await booking.book(learner, kind, consultant, at(3, 2), time_zone="Europe/Paris")
    await booking.act(consultant, session["id"], "confirm")
    await booking.act(learner, session["id"], "reschedule", {"startsAt": at(3, 3).isoformat()})
    await booking.act(learner, session["id"], "cancel", {"reason": "Clash"})
    found = await booking_events(booking)
    assert [name for name, _ in found] == [
        "booking.requested",
        "booking.confirmed",
        "booking.rescheduled",
        "booking.cancelled",
    ]
    requested = found[0][1]
    assert requested["learnerId"] == str(learner.id)
    assert requested["consultantUserId"] == str(consultant.id)
    assert requested["serviceName"] == "Career talk"
    assert requested["startsAt"] == "2027-03-04T02:00:00Z"
    assert (requested["learnerTimeZone"], requested["consultantTimeZone"]) == (
        "Europe/Paris",
        "Asia/Tokyo",
    )
    assert found[2][1]["previousStartsAt"] == "2027-03-04T02:00:00Z"
    assert (found[3][1]["cancelledBy"], found[3][1]["refunded"]) == ("learner", False)


async def test_demo_data_has_two_consultants_three_types_and_sessions_with_feedback(
    monday: Clock, booking: BookingFactory
) -> None:
    state = SeedState()
    for email in ("maria@campus.example", "kenji@campus.example"):
        user = await booking.identity.user(email=email)
        state.user_ids[email] = user.id
    db = booking.app.state.db
    for _ in range(2):  # idempotent
        async with db.session() as session:
            await demo.seed_step(session, booking.app.state.settings, state)
    async with db.session() as session:
        profiles = list(await session.scalars(sa.select(ConsultantProfile)))
        kinds = list(await session.scalars(sa.select(ServiceType)))
        rows = list(await session.scalars(sa.select(BookingSession)))
        feedback = list(await session.scalars(sa.select(Feedback)))
    assert sorted(p.time_zone for p in profiles) == ["America/New_York", "Europe/Berlin"]
    assert len(kinds) == 3
    assert [k.price_minor > 0 for k in kinds].count(True) == 1
    assert {r.status for r in rows} == {"completed", "scheduled"}
    assert len(feedback) == 4
    assert all(p.rating_count == 2 for p in profiles)


async def test_the_doorway_gives_each_participant_the_invitation_in_their_zone(
    monday: Clock, booking: BookingFactory
) -> None:
    import uuid

    from icalendar import Calendar

    from campus.booking import api as booking_api

    kind = await booking.service_type()
    consultant = await booking.consultant([kind], time_zone="Asia/Tokyo")
    learner = await booking.learner()
    made = await booking.book(learner, kind, consultant, at(1, 3), time_zone="Europe/Paris")
    async with booking.app.state.db.session() as session:
        for reader, zone in ((learner.id, "Europe/Paris"), (consultant.id, "Asia/Tokyo")):
            body = await booking_api.session_invitation(session, uuid.UUID(made["id"]), reader)
            assert body is not None
            event = next(iter(Calendar.from_ical(body).walk("VEVENT")))
            assert event["DTSTART"].params["TZID"] == zone
        stranger = await booking_api.session_invitation(
            session, uuid.UUID(made["id"]), uuid.uuid4()
        )
        assert stranger is None
