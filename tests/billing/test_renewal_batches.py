"""The renewal job as the outbox runs it: one batch per run of
``CAMPUS_BILLING_RENEWAL_BATCH_SIZE`` subscriptions, a full batch queuing the next one, until
every due renewal is charged."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from campus.billing.events import RUN_RENEWALS_JOB
from campus.config import Settings
from campus.kernel.clock import Clock
from campus.kernel.jobs import Relay
from campus.kernel.outbox import enqueue_job
from tests.billing.conftest import BillingFactory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(billing_renewal_batch_size=2)


async def test_a_full_batch_queues_the_next_until_every_due_renewal_is_charged(
    billing: BillingFactory, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    plan = await billing.plan()
    subs = []
    for _ in range(5):
        student = await billing.commerce.buyer()
        card = await billing.card(student)
        subs.append(await billing.subscribed(student, plan["id"], paymentMethodId=str(card)))
    frozen_clock.freeze(datetime(2026, 2, 1, tzinfo=UTC))
    async with billing.db.session() as session:
        await enqueue_job(session, RUN_RENEWALS_JOB, {})
    await relay.drain()
    for sub in subs:
        assert (await billing.state(sub["id"]))[:2] == (2, "active")
        assert [kind for kind, *_ in await billing.charges(sub["id"])] == ["initial", "renewal"]
