"""Opening a lesson costs a subscriber what it costs a buyer: access rests on learning's
entitlement records either way, so the lesson-open path runs the same queries (no call to
billing, none to a gateway)."""

from __future__ import annotations

from httpx import AsyncClient

from campus.catalog import api as catalog
from campus.learning import api as learning
from tests.billing.conftest import API, BillingFactory
from tests.fixtures.queries import count_queries


async def test_a_subscriber_opens_a_lesson_with_the_same_queries_as_a_buyer(
    client: AsyncClient, billing: BillingFactory
) -> None:
    course = await billing.commerce.paid_course()
    async with billing.db.read_session() as session:
        version_id = await catalog.get_current_version_id(session, course.id)
        assert version_id is not None
        structure = await catalog.get_version_structure(session, version_id)
        assert structure is not None
    lesson_id = structure.lessons[0].id
    buyer = await billing.commerce.buyer("Bea")
    async with billing.db.session() as session:
        await learning.grant_entitlement(
            session, user_id=buyer.id, course_id=course.id, source="purchase", reference="o-1"
        )
        await learning.enroll_user(session, buyer.id, course.id)
    plan = await billing.plan()
    subscriber = await billing.commerce.buyer("Sue")
    card = await billing.card(subscriber)
    await billing.subscribed(subscriber, plan["id"], paymentMethodId=str(card))
    opened = await client.post(
        f"{API}/billing/courses/{course.id}/enroll", headers=subscriber.headers
    )
    assert opened.status_code == 201

    url = f"{API}/learn/lessons/{lesson_id}"
    for user in (buyer, subscriber):  # warm both paths
        assert (await client.get(url, headers=user.headers)).status_code == 200
    with count_queries(billing.db) as as_buyer:
        assert (await client.get(url, headers=buyer.headers)).status_code == 200
    with count_queries(billing.db) as as_subscriber:
        assert (await client.get(url, headers=subscriber.headers)).status_code == 200
    assert len(as_subscriber) == len(as_buyer), f"{as_buyer}\n{as_subscriber}"
    assert not [sql for sql in as_subscriber if "billing_" in sql]
