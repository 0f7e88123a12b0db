"""Paid sessions' holds, reminders exactly once on a driven clock, .ics invitations in the
reader's zone, who sees what, and the meeting job."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient
from icalendar import Calendar

from campus.booking.service import sessions as svc
from campus.commerce.gateways.sandbox import store_for
from campus.commerce.models import SandboxRefund
from campus.kernel.clock import Clock
from campus.kernel.jobs import Relay
from campus.kernel.outbox import OutboxMessage
from tests.booking.conftest import API, DECLINED_CARD, BookingFactory, at


async def pay(booking: BookingFactory, user: Any, session_id: str, method: uuid.UUID) -> Any:
    return await booking.client.post(
        f"{API}/sessions/{session_id}/pay",
        json={"paymentMethodId": str(method)},
        headers={**user.headers, "Idempotency-Key": uuid.uuid4().hex},
    )


async def test_a_paid_slot_is_held_then_scheduled_when_payment_succeeds(
    monday: Clock, booking: BookingFactory
) -> None:
    kind = await booking.service_type(priceMinor=4900, currency="USD")
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    held = await booking.book(learner, kind, consultant, at(1, 10))
    assert held["status"] == "held"
    assert held["holdExpiresAt"] == "2027-03-01T06:10:00Z"
    other = await booking.learner("Kenji")
    taken = await booking.book(other, kind, consultant, at(1, 10), status=409)
    assert taken["error"]["code"] == "slot_taken"
    no_key = await booking.client.post(
        f"{API}/sessions/{held['id']}/pay",
        json={"paymentMethodId": str(uuid.uuid4())},
        headers=learner.headers,
    )
    assert no_key.status_code == 400
    paid = await pay(booking, learner, held["id"], await booking.card(learner))
    assert paid.status_code == 200, paid.text
    assert paid.json()["status"] == "scheduled"
    assert paid.json()["paymentStatus"] == "paid"


async def test_a_declined_or_timed_out_payment_frees_the_slot(
    monday: Clock, booking: BookingFactory, relay: Relay
) -> None:
    kind = await booking.service_type(priceMinor=4900)
    consultant = await booking.consultant([kind])
    learner, other = await booking.learner(), await booking.learner("Kenji")
    held = await booking.book(learner, kind, consultant, at(1, 10))
    declined = await pay(booking, learner, held["id"], await booking.card(learner, DECLINED_CARD))
    assert declined.json()["status"] == "expired"
    assert declined.json()["paymentStatus"] == "failed"
    again = await booking.book(other, kind, consultant, at(1, 10))
    assert again["status"] == "held"
    monday.advance(minutes=11)  # the hold lapses unpaid
    await booking.fresh(learner, other)
    late = await pay(booking, other, again["id"], await booking.card(other))
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "hold_expired"
    third = await booking.book(learner, kind, consultant, at(1, 10))
    assert third["status"] == "held"


async def test_late_payment_through_the_gateway_is_refunded_there(
    monday: Clock, booking: BookingFactory
) -> None:
    from campus.commerce import api as commerce_api

    kind = await booking.service_type(priceMinor=4900)
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    held = await booking.book(learner, kind, consultant, at(1, 10))
    settings = booking.app.state.settings
    method = await booking.card(learner)
    async with booking.app.state.db.session() as session:
        charge = await commerce_api.charge_saved_method(
            session,
            settings,
            user_id=learner.id,
            method_id=method,
            amount_minor=4900,
            currency="USD",
            idempotency_key=f"booking:{held['id']}",
            description="late",
            reference=held["id"],
        )
    assert charge.succeeded
    monday.advance(minutes=11)  # the money's confirmation arrives after the hold lapsed
    async with booking.app.state.db.session() as session:
        outcome = await svc.settle(
            session, settings, uuid.UUID(held["id"]), True, charge.gateway_payment_id
        )
    assert outcome == "refunded"
    store = await store_for(settings)
    async with store.session() as session:
        refunds = list(
            await session.scalars(
                sa.select(SandboxRefund).where(
                    SandboxRefund.payment_id == charge.gateway_payment_id
                )
            )
        )
    assert [r.amount_minor for r in refunds] == [4900]


async def reminder_events(booking: BookingFactory) -> list[tuple[str, int]]:
    async with booking.app.state.db.session() as session:
        rows = await session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.name == "booking.reminder_due")
        )
        return sorted((r.payload["sessionId"], r.payload["minutesBefore"]) for r in rows)


async def test_reminders_go_out_once_each_and_never_after_cancellation(
    monday: Clock, booking: BookingFactory
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    kept = await booking.book(learner, kind, consultant, at(2, 10))
    dropped = await booking.book(learner, kind, consultant, at(2, 12))
    await booking.act(learner, dropped["id"], "cancel", {"reason": "Clash"})
    settings = booking.app.state.settings

    async def tick(**delta: float) -> int:
        monday.advance(**delta)
        async with booking.app.state.db.session() as session:
            return await svc.send_reminders(session, settings)

    assert await tick(hours=0) == 0
    assert await tick(hours=28) == 1  # Wednesday 10:00 is now under 24 h away
    assert await tick(minutes=5) == 0  # the periodic job again: nothing twice
    assert await tick(hours=22, minutes=50) == 0  # Wednesday 08:55
    assert await tick(minutes=5) == 1  # 09:00: the 1 h reminder
    assert await tick(minutes=5) == 0
    assert await reminder_events(booking) == [(kept["id"], 60), (kept["id"], 1440)]


async def test_the_ics_invitation_parses_and_carries_each_readers_zone(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    kind = await booking.service_type(name="Career talk")
    consultant = await booking.consultant([kind], time_zone="America/New_York")
    learner = await booking.learner()
    session = await booking.book(learner, kind, consultant, at(1, 15), time_zone="Europe/Berlin")
    for user, zone, hour in ((learner, "Europe/Berlin", 16), (consultant, "America/New_York", 10)):
        response = await client.get(
            f"{API}/sessions/{session['id']}/invite.ics", headers=user.headers
        )
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        event = next(iter(calendar.walk("VEVENT")))
        start: Any = event["DTSTART"]
        assert start.params["TZID"] == zone
        assert start.dt.hour == hour
        assert str(event["SUMMARY"]) == "Career talk"
        assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == [zone]
    stranger = await booking.learner("Eve")
    denied = await client.get(
        f"{API}/sessions/{session['id']}/invite.ics", headers=stranger.headers
    )
    assert denied.status_code == 404


async def test_access_learners_and_consultants_see_only_their_sessions_and_notes(
    monday: Clock, booking: BookingFactory, client: AsyncClient, relay: Relay
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind], name="Ana")
    other_consultant = await booking.consultant([kind], name="Ben")
    learner, stranger = await booking.learner(), await booking.learner("Eve")
    session = await booking.book(learner, kind, consultant, at(0, 10))
    await relay.drain()  # the meeting job gives the session its join URL
    for user in (stranger, other_consultant):
        await booking.get(user, session["id"], status=404)
        await booking.act(user, session["id"], "cancel", {"reason": "x"}, status=404)
    await booking.get(learner, str(uuid.uuid4()), status=404)
    notes = await client.put(
        f"{API}/sessions/{session['id']}/notes",
        headers=consultant.headers,
        json={"privateNotes": "Nervous about interviews", "sharedNotes": "Read chapter 3"},
    )
    assert notes.json()["privateNotes"] == "Nervous about interviews"
    by_learner = await client.put(
        f"{API}/sessions/{session['id']}/notes", headers=learner.headers, json={"sharedNotes": "x"}
    )
    assert by_learner.status_code == 403
    seen = await booking.get(learner, session["id"])
    assert seen["privateNotes"] is None
    assert seen["sharedNotes"] == "Read chapter 3"
    assert seen["joinUrl"] is None  # hours before the start
    listed = (await client.get(f"{API}/sessions", headers=learner.headers)).json()
    assert "Nervous" not in str(listed)
    dashboard = (await client.get(f"{API}/dashboard/learner", headers=learner.headers)).json()
    assert "Nervous" not in str(dashboard)
    monday.freeze(at(0, 9, 50))
    await booking.fresh(learner, consultant, stranger)
    joined = await booking.get(learner, session["id"])
    assert joined["joinUrl"].startswith("https://meet.jit.si/Campus-")
    assert (await booking.get(consultant, session["id"]))["joinUrl"] == joined["joinUrl"]
    admin = await booking.admin()
    await booking.fresh(admin)
    assert (await booking.get(admin, session["id"]))["joinUrl"] is None
    theirs = await client.get(
        f"{API}/sessions", params={"role": "consultant"}, headers=other_consultant.headers
    )
    assert theirs.status_code == 401 or theirs.json()["total"] == 0


async def test_dashboards_show_schedule_earnings_and_utilisation(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    paid = await booking.service_type(priceMinor=3000)
    consultant = await booking.consultant(
        [paid], weekly=[{"weekday": 0, "start": "09:00", "end": "13:00"}]
    )
    learner = await booking.learner()
    held = await booking.book(learner, paid, consultant, at(0, 10))
    assert (await pay(booking, learner, held["id"], await booking.card(learner))).status_code == 200
    other = await booking.book(learner, paid, consultant, at(0, 12))
    assert (
        await pay(booking, learner, other["id"], await booking.card(learner))
    ).status_code == 200
    monday.freeze(at(0, 11, 5))
    await booking.fresh(learner, consultant)
    await booking.act(consultant, held["id"], "complete")
    monday.freeze(at(0, 12, 30))
    await booking.fresh(learner, consultant)
    await booking.act(consultant, other["id"], "no-show")
    mine = (await client.get(f"{API}/dashboard/consultant", headers=consultant.headers)).json()
    assert mine["earnings"] == [
        {"currency": "USD", "completedPaidSessions": 1, "earnedMinor": 3000, "upcomingPaidMinor": 0}
    ]
    admin = await booking.admin()
    await booking.fresh(admin)
    report = await client.get(
        f"{API}/dashboard/admin",
        params={"since": "2027-03-01", "until": "2027-03-01"},
        headers=admin.headers,
    )
    assert report.status_code == 200, report.text
    row = report.json()["consultants"][0]
    assert (row["sessions"], row["completed"], row["noShows"]) == (2, 1, 1)
    assert row["availableMinutes"] == 240
    assert row["bookedMinutes"] == 120
    assert row["utilisation"] == 0.5
    assert row["noShowRate"] == 0.5
    denied = await client.get(f"{API}/dashboard/admin", headers=learner.headers)
    assert denied.status_code == 403


async def test_a_secret_calendar_feed_lists_my_sessions_and_stops_when_rotated_or_revoked(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    kind = await booking.service_type(name="Career talk")
    consultant = await booking.consultant([kind], time_zone="America/New_York")
    learner = await booking.learner()
    await booking.book(learner, kind, consultant, at(1, 15), time_zone="Europe/Berlin")
    await booking.book(learner, kind, consultant, at(2, 15), time_zone="Europe/Berlin")
    created = await client.post(f"{API}/calendar-feed", headers=consultant.headers)
    assert created.status_code == 201
    url = created.json()["url"]
    path = url[url.index("/api/v1/") :]
    feed = await client.get(path)  # no sign-in
    assert feed.status_code == 200
    calendar = Calendar.from_ical(feed.content)
    events = list(calendar.walk("VEVENT"))
    assert len(events) == 2
    start: Any = events[0]["DTSTART"]
    assert start.params["TZID"] == "America/New_York"
    assert start.dt.hour == 10
    rotated = await client.post(f"{API}/calendar-feed", headers=consultant.headers)
    assert (await client.get(path)).status_code == 404
    new_path = rotated.json()["url"][rotated.json()["url"].index("/api/v1/") :]
    assert (await client.get(new_path)).status_code == 200
    revoked = await client.delete(f"{API}/calendar-feed", headers=consultant.headers)
    assert revoked.status_code == 204
    assert (await client.get(new_path)).status_code == 404
    mine = await client.post(f"{API}/calendar-feed", headers=learner.headers)
    learner_path = mine.json()["url"][mine.json()["url"].index("/api/v1/") :]
    learner_feed = Calendar.from_ical((await client.get(learner_path)).content)
    assert [str(tz["TZID"]) for tz in learner_feed.walk("VTIMEZONE")] == ["Europe/Berlin"]
