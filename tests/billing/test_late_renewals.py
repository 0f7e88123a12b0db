"""A renewal job that runs late (several periods missed) moves each subscription one step per
run: one charge for the period the run falls in, never one per missed period; one dunning
retry per run, then the end of grace on a later run; the follow-up batches of a run skip what
it already moved."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from campus.billing.events import RUN_RENEWALS_JOB
from campus.billing.models import Subscription
from campus.config import Settings
from campus.kernel.clock import Clock
from campus.kernel.jobs import Relay
from campus.kernel.outbox import enqueue_job
from tests.billing.conftest import DECLINED_CARD, BillingFactory


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # One subscription fills a batch: every run queues a follow-up batch.
    return settings.replace(billing_renewal_batch_size=1)


async def run(billing: BillingFactory, relay: Relay) -> None:
    """One run of the periodic job as the outbox runs it, with its follow-up batches."""
    async with billing.db.session() as session:
        await enqueue_job(session, RUN_RENEWALS_JOB, {})
    await relay.drain()


async def test_a_run_months_late_charges_once_for_the_period_it_falls_in(
    billing: BillingFactory, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 31, tzinfo=UTC))
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    card = await billing.card(student)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(card))
    frozen_clock.freeze(datetime(2026, 5, 15, tzinfo=UTC))  # Feb, Mar and Apr missed
    await run(billing, relay)
    await run(billing, relay)
    assert await billing.charges(sub["id"]) == [
        ("initial", 1, 1, 3000, "succeeded"),
        ("renewal", 4, 1, 3000, "succeeded"),
    ]
    assert [key for key, *_ in await billing.gateway_payments(sub["id"])] == [
        f"sub:{sub['id']}:period:1",
        f"sub:{sub['id']}:period:2",
    ]
    async with billing.db.read_session() as session:
        row = await session.get(Subscription, uuid.UUID(sub["id"]))
        assert row is not None
        # The anchor day is kept: the period the run fell in is Apr 30 .. May 31.
        assert (row.period, row.current_period_start, row.current_period_end) == (
            4,
            datetime(2026, 4, 30, tzinfo=UTC),
            datetime(2026, 5, 31, tzinfo=UTC),
        )
    frozen_clock.freeze(datetime(2026, 5, 31, tzinfo=UTC))
    await run(billing, relay)
    assert (await billing.charges(sub["id"]))[-1] == ("renewal", 5, 1, 3000, "succeeded")
    assert (await billing.gateway_payments(sub["id"]))[-1][0] == f"sub:{sub['id']}:period:5"


async def test_a_late_past_due_subscription_moves_one_dunning_step_per_run(
    billing: BillingFactory, relay: Relay, frozen_clock: Clock
) -> None:
    frozen_clock.freeze(datetime(2026, 1, 1, tzinfo=UTC))
    plan = await billing.plan()
    student = await billing.commerce.buyer()
    good = await billing.card(student)
    declined = await billing.card(student, DECLINED_CARD)
    sub = await billing.subscribed(student, plan["id"], paymentMethodId=str(good))
    async with billing.db.session() as session:
        row = await session.get(Subscription, uuid.UUID(sub["id"]))
        assert row is not None
        row.payment_method_id = declined
    # Due on Feb 1; retries on Feb 2, 4 and 6; grace until Feb 8. The job first runs Feb 20.
    frozen_clock.freeze(datetime(2026, 2, 20, tzinfo=UTC))
    steps = []
    for _ in range(6):
        await run(billing, relay)
        charges = await billing.charges(sub["id"])
        steps.append(((await billing.state(sub["id"]))[1], len(charges)))
    assert steps == [
        ("past_due", 2),  # the renewal failed
        ("past_due", 3),  # retry 1
        ("past_due", 4),  # retry 2
        ("past_due", 5),  # retry 3
        ("expired", 5),  # the grace period is over
        ("expired", 5),
    ]
    assert [(kind, attempt, status) for kind, _, attempt, _, status in charges] == [
        ("initial", 1, "succeeded"),
        ("renewal", 1, "failed"),
        ("retry", 2, "failed"),
        ("retry", 3, "failed"),
        ("retry", 4, "failed"),
    ]
