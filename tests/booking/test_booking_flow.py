"""Booking through the API: slots in the viewer's zone, instant booking, overlaps across
service types, requests, round-robin assignment, the lifecycle, feedback and bad input."""

from __future__ import annotations

from httpx import AsyncClient

from campus.booking.schemas.booking import SlotsOut
from campus.kernel.clock import Clock
from tests.booking.conftest import API, BookingFactory, at
from tests.fixtures.catalog import catalog
from tests.fixtures.learning import LearningFactory, learning

__all__ = ["catalog", "learning"]


async def test_slots_are_listed_in_the_viewers_zone_and_a_booked_one_disappears(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    kind = await booking.service_type(durationMinutes=60, bufferAfterMinutes=30)
    consultant = await booking.consultant(
        [kind],
        time_zone="Europe/Berlin",
        weekly=[{"weekday": 1, "start": "09:00", "end": "12:00"}],
    )
    url = f"{API}/consultants/{consultant.id}/slots"
    query = {
        "serviceTypeId": kind["id"],
        "from": "2027-03-02",
        "to": "2027-03-02",
        "timeZone": "America/New_York",
    }
    response = await client.get(url, params=query)
    assert response.status_code == 200, response.text
    SlotsOut.model_validate(response.json())  # the document's shape, encoded directly
    starts = [s["localStart"] for s in response.json()["items"]]
    # 09:00-12:00 in Berlin (UTC+1) is 03:00-06:00 in New York (UTC-5).
    assert starts == [
        "2027-03-02T03:00:00-05:00",
        "2027-03-02T03:30:00-05:00",
        "2027-03-02T04:00:00-05:00",
        "2027-03-02T04:30:00-05:00",
        "2027-03-02T05:00:00-05:00",
    ]
    learner = await booking.learner()
    session = await booking.book(learner, kind, consultant, at(1, 9))  # 10:00 Berlin
    assert session["status"] == "scheduled"
    after = await client.get(url, params=query)
    # 10:00-11:00 Berlin is taken, and every other start's hour plus its 30 minute buffer
    # would overlap it (09:00 ends 10:30 with its buffer) or leave the window (11:00).
    assert after.json()["items"] == []


async def test_one_consultants_overlapping_slots_across_two_service_types_give_one_session(
    monday: Clock, booking: BookingFactory
) -> None:
    short = await booking.service_type(name="Quick", durationMinutes=30)
    long = await booking.service_type(name="Deep", durationMinutes=90)
    consultant = await booking.consultant([short, long])
    first, second = await booking.learner("A"), await booking.learner("B")
    await booking.book(first, long, consultant, at(1, 10))
    refused = await booking.book(second, short, consultant, at(1, 11), status=409)
    assert refused["error"]["code"] == "slot_taken"
    fine = await booking.book(second, short, consultant, at(1, 11, 30))
    assert fine["status"] == "scheduled"


async def test_bad_slots_are_refused_and_change_nothing(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    kind = await booking.service_type(durationMinutes=60)
    consultant = await booking.consultant(
        [kind],
        weekly=[{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(7)],
        min_notice=12 * 60,
        horizon=10,
    )
    learner = await booking.learner()
    cases = {
        "slot_in_past": at(-1, 10),
        "too_short_notice": at(0, 10),
        "beyond_horizon": at(20, 10),
        "outside_availability": at(1, 15),
    }
    for code, moment in cases.items():
        body = await booking.book(learner, kind, consultant, moment, status=422)
        assert code in str(body), (code, body)
    mismatch = await booking.book(
        learner, kind, consultant, at(1, 10), status=422, durationMinutes=45
    )
    assert "duration_mismatch" in str(mismatch)
    zone = await booking.book(
        learner, kind, consultant, at(1, 10), status=422, time_zone="Mars/Olympus"
    )
    assert "unknown_time_zone" in str(zone)
    naive = await client.post(
        f"{API}/sessions",
        headers=learner.headers,
        json={
            "serviceTypeId": kind["id"],
            "startsAt": "2027-03-02T10:00:00",
            "timeZone": "UTC",
            "consultantUserId": str(consultant.id),
        },
    )
    assert naive.status_code == 422
    slots = f"{API}/consultants/{consultant.id}/slots"
    backwards = await client.get(
        slots, params={"serviceTypeId": kind["id"], "from": "2027-03-05", "to": "2027-03-02"}
    )
    assert backwards.status_code == 422
    unknown = await client.get(
        slots,
        params={
            "serviceTypeId": kind["id"],
            "from": "2027-03-02",
            "to": "2027-03-02",
            "timeZone": "Nowhere/City",
        },
    )
    assert unknown.status_code == 422
    listed = await client.get(f"{API}/sessions", headers=learner.headers)
    assert listed.json()["total"] == 0


async def test_a_request_is_confirmed_or_declined_by_its_consultant_and_expires_unanswered(
    monday: Clock, booking: BookingFactory
) -> None:
    kind = await booking.service_type(requiresConfirmation=True)
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    first = await booking.book(learner, kind, consultant, at(2, 10))
    assert first["status"] == "pending_confirmation"
    await booking.act(learner, first["id"], "confirm", status=403)
    confirmed = await booking.act(consultant, first["id"], "confirm")
    assert confirmed["status"] == "scheduled"
    second = await booking.book(learner, kind, consultant, at(2, 12))
    declined = await booking.act(consultant, second["id"], "decline", {"reason": "Away"})
    assert declined["status"] == "rejected"
    third = await booking.book(learner, kind, consultant, at(3, 12))
    monday.advance(hours=25)
    await booking.fresh(consultant, learner)
    late = await booking.act(consultant, third["id"], "confirm", status=409)
    assert late["error"]["code"] == "session_state_conflict"
    # The lapsed request no longer holds the slot.
    other = await booking.learner("Kenji")
    assert (await booking.book(other, kind, consultant, at(3, 12)))["status"] == (
        "pending_confirmation"
    )


async def test_a_request_without_a_consultant_is_assigned_round_robin(
    monday: Clock, booking: BookingFactory
) -> None:
    kind = await booking.service_type()
    first = await booking.consultant([kind], name="Ana")
    second = await booking.consultant([kind], name="Ben")
    learners = [await booking.learner(n) for n in ("A", "B", "C")]
    given = [
        (await booking.book(learner, kind, None, at(1, 10)))["consultantUserId"]
        for learner in learners[:2]
    ]
    assert sorted(given) == sorted([str(first.id), str(second.id)])
    # Both are busy at 10:00: the third request waits for an admin.
    waiting = await booking.book(learners[2], kind, None, at(1, 10))
    assert waiting["status"] == "pending_assignment"
    admin = await booking.admin()
    refused = await booking.act(
        admin, waiting["id"], "assign", {"consultantUserId": str(first.id)}, status=409
    )
    assert refused["error"]["code"] == "slot_taken"


async def test_reschedule_within_policy_and_cancel_by_either_side(
    monday: Clock, booking: BookingFactory
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    session = await booking.book(learner, kind, consultant, at(3, 10))
    moved = await booking.act(
        learner, session["id"], "reschedule", {"startsAt": at(3, 12).isoformat()}
    )
    assert moved["startsAt"] == "2027-03-04T12:00:00Z"
    assert moved["rescheduleCount"] == 1
    await booking.act(learner, session["id"], "reschedule", {"startsAt": at(3, 13).isoformat()})
    third = await booking.act(
        learner, session["id"], "reschedule", {"startsAt": at(3, 14).isoformat()}, status=409
    )
    assert third["error"]["code"] == "policy_window_closed"
    cancelled = await booking.act(consultant, session["id"], "cancel", {"reason": "Ill"})
    assert cancelled["status"] == "cancelled_by_consultant"
    assert cancelled["cancelledBy"] == "consultant"
    near = await booking.book(learner, kind, consultant, at(0, 16))
    late = await booking.act(
        learner, near["id"], "reschedule", {"startsAt": at(1, 10).isoformat()}, status=409
    )
    assert late["error"]["code"] == "policy_window_closed"
    mine = await booking.act(learner, near["id"], "cancel", {"reason": "Clash"})
    assert mine["status"] == "cancelled_by_user"


async def test_complete_feedback_and_the_consultants_average(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    ratings = []
    for rating, hour in ((5, 10), (2, 12)):
        learner = await booking.learner()
        session = await booking.book(learner, kind, consultant, at(0, hour))
        early = await booking.act(learner, session["id"], "feedback", {"rating": 5}, status=409)
        assert early["error"]["code"] == "session_state_conflict"
        monday.freeze(at(0, hour, 5))
        await booking.fresh(consultant, learner)
        await booking.act(consultant, session["id"], "start")
        done = await booking.act(consultant, session["id"], "complete")
        assert done["status"] == "completed"
        await booking.act(
            learner,
            session["id"],
            "feedback",
            {"rating": rating, "comment": "ok", "isPublic": rating > 3},
            status=201,
        )
        again = await booking.act(learner, session["id"], "feedback", {"rating": 1}, status=409)
        assert again["error"]["code"] == "feedback_exists"
        ratings.append(rating)
    profile = (await client.get(f"{API}/consultants/{consultant.id}")).json()
    assert profile["rating"] == 3.5
    assert profile["ratingCount"] == 2
    bad = await client.post(
        f"{API}/sessions/{session['id']}/feedback", json={"rating": 6}, headers=learner.headers
    )
    assert bad.status_code == 422


async def test_no_show_by_the_consultant_and_automatically(
    monday: Clock, booking: BookingFactory, relay: object
) -> None:
    from campus.booking.service import sessions as svc

    kind = await booking.service_type()
    consultant = await booking.consultant([kind])
    learner = await booking.learner()
    marked = await booking.book(learner, kind, consultant, at(0, 10))
    forgotten = await booking.book(learner, kind, consultant, at(0, 12))
    early = await booking.act(consultant, marked["id"], "no-show", status=409)
    assert early["error"]["code"] == "session_state_conflict"
    monday.freeze(at(0, 10, 20))
    await booking.fresh(consultant, learner)
    absent = await booking.act(consultant, marked["id"], "no-show")
    assert absent["status"] == "no_show_user"
    monday.freeze(at(0, 14, 30))
    await booking.fresh(learner)
    async with booking.app.state.db.session() as session:
        await svc.sweep(session, booking.app.state.settings)
    assert (await booking.get(learner, forgotten["id"]))["status"] == "no_show_consultant"


async def test_directory_filters_by_specialization_language_and_service_type(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    kind = await booking.service_type()
    other = await booking.service_type(name="Other")
    await booking.consultant([kind], name="Ana", specializations=("Python",), languages=("de",))
    await booking.consultant([other], name="Ben", specializations=("Data",), languages=("en",))

    async def names(**params: str) -> list[str]:
        response = await client.get(f"{API}/consultants", params=params)
        assert response.status_code == 200, response.text
        return [c["displayName"] for c in response.json()["items"]]

    assert await names() == ["Ana Keller", "Ben Keller"]
    assert await names(specialization="python") == ["Ana Keller"]
    assert await names(language="en") == ["Ben Keller"]
    assert await names(serviceTypeId=kind["id"]) == ["Ana Keller"]
    found = (await client.get(f"{API}/consultants", params={"serviceTypeId": kind["id"]})).json()
    assert found["items"][0]["nextAvailable"] == "2027-03-01T09:00:00Z"
    assert await names(serviceTypeId=kind["id"], availableBefore="2027-03-01") == []


async def test_service_types_and_availability_need_their_roles(
    monday: Clock, booking: BookingFactory, client: AsyncClient
) -> None:
    learner = await booking.learner()
    denied = await client.post(
        f"{API}/service-types", json={"name": "x", "durationMinutes": 30}, headers=learner.headers
    )
    assert denied.status_code == 403
    profile = await client.put(
        f"{API}/consultants/me",
        headers=learner.headers,
        json={"displayName": "Me", "timeZone": "UTC"},
    )
    assert profile.status_code == 403
    kind = await booking.service_type()
    assert kind["priceMinor"] == 0
    consultant = await booking.consultant([kind])
    bad_zone = await client.put(
        f"{API}/consultants/me",
        headers=consultant.headers,
        json={"displayName": "Me", "timeZone": "Not/AZone"},
    )
    assert bad_zone.status_code == 422
    backwards = await client.put(
        f"{API}/consultants/me/availability",
        headers=consultant.headers,
        json={"weekly": [{"weekday": 1, "start": "12:00", "end": "09:00"}]},
    )
    assert backwards.status_code == 422


async def test_a_service_for_an_organizations_members_refuses_outsiders(
    monday: Clock, booking: BookingFactory
) -> None:
    from campus.identity import api as identity_api
    from campus.identity.data import OrgRole

    member, outsider = await booking.learner("Member"), await booking.learner("Outsider")
    async with booking.app.state.db.session() as session:
        org = await identity_api.ensure_organization(
            session, name="Acme", slug="acme-booking", members=[(member.id, OrgRole.LEARNER)]
        )
    kind = await booking.service_type(
        eligibility="organization_members", organizationId=str(org.id)
    )
    consultant = await booking.consultant([kind])
    refused = await booking.book(outsider, kind, consultant, at(1, 10), status=403)
    assert refused["error"]["code"] == "not_eligible"
    assert (await booking.book(member, kind, consultant, at(1, 10)))["status"] == "scheduled"


async def test_a_service_for_a_courses_learners_refuses_those_not_enrolled(
    monday: Clock, booking: BookingFactory, learning: LearningFactory
) -> None:
    instructor = await booking.identity.signed_in(roles=("instructor",))
    course = await learning.course(instructor, await booking.admin())
    enrolled, outsider = await booking.learner("Enrolled"), await booking.learner("Outsider")
    await learning.enroll(enrolled, course)
    kind = await booking.service_type(eligibility="course_learners", courseIds=[course.id])
    consultant = await booking.consultant([kind])
    refused = await booking.book(outsider, kind, consultant, at(1, 10), status=403)
    assert refused["error"]["code"] == "not_eligible"
    assert (await booking.book(enrolled, kind, consultant, at(1, 10)))["status"] == "scheduled"
    await learning.enroll(outsider, course)
    assert (await booking.book(outsider, kind, consultant, at(1, 11)))["status"] == "scheduled"
