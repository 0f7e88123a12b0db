"""Exact query budgets of booking's hot reads."""

from __future__ import annotations

from httpx import AsyncClient

from campus.kernel.clock import Clock
from campus.kernel.db import Database
from tests.booking.conftest import API, BookingFactory, at
from tests.fixtures.queries import count_queries


async def test_the_free_slot_listing_costs_three_queries_whatever_the_range(
    monday: Clock, booking: BookingFactory, client: AsyncClient, db: Database
) -> None:
    kind = await booking.service_type()
    consultant = await booking.consultant(
        [kind],
        overrides=[{"day": "2027-03-03"}, {"day": "2027-03-04", "start": "10:00", "end": "12:00"}],
    )
    learner = await booking.learner()
    await booking.book(learner, kind, consultant, at(1, 10))
    url = f"{API}/consultants/{consultant.id}/slots"
    for last in ("2027-03-02", "2027-03-14"):
        with count_queries(db) as queries:
            response = await client.get(
                url, params={"serviceTypeId": kind["id"], "from": "2027-03-01", "to": last}
            )
        assert response.status_code == 200
        assert response.json()["items"]
        queries.assert_count(3, f"slots to {last}")
