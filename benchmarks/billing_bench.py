"""Renewal job benchmark (issue: subscriptions): 100,000 active monthly subscriptions whose
renewals fall due at the same moment, renewed by billing's renewal job on PostgreSQL with the
embedded sandbox gateway.

On a fresh PostgreSQL database (``harness.create_database``, migrated) it bulk-inserts one plan,
and per subscriber a saved sandbox card (commerce's payment method and the sandbox's card
record) and an active subscription whose first period ends an hour ago. Then it runs the job
as the outbox chains it: batches of ``CAMPUS_BILLING_RENEWAL_BATCH_SIZE`` subscriptions, each
batch its own transaction, by ``--workers`` concurrent workers (``FOR UPDATE SKIP LOCKED``
shares the rows out). It reports the run's wall time, renewals per second and the process's
peak resident memory during the run (``VmRSS`` sampled every 100 ms), then checks the
invariants: exactly one renewal charge and one sandbox payment per subscription (gateway key
``sub:{id}:period:2``), every subscription in period 2, one invoice job queued per charge. It
finally issues ``--invoices`` of those invoices in-process to time commerce's invoicing.

The sandbox's store looks a saved card up by ``card_token`` on every charge (indexed since
migration 0025; the figures recorded before it were measured with an index the benchmark
created itself).

    .venv/bin/python -m benchmarks.billing_bench [--subscriptions 100000] [--workers 1]

``--lesson-open [--requests 1000]`` instead times ``GET /api/v1/learn/lessons/{id}`` for a
subscriber (the entitlement billing granted) against a buyer (a purchase), alternating, in
process through ASGI, with the test suite's factories building the course and the people.

Figures are printed and appended to ``benchmarks/results.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from benchmarks import harness
from benchmarks.learning_bench import _insert, bench_settings
from campus.billing.service import invoicing, renewals
from campus.billing.settings import BillingSettings
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.kernel.logging import configure_logging


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def seed(db: Database, count: int) -> None:
    now = utcnow()
    plan_id = new_id()
    await _insert(
        db,
        "billing_plans",
        [
            {
                "id": plan_id,
                "code": "bench-monthly",
                "name": "Bench monthly",
                "plan_type": "solo_learner",
                "currency": "USD",
                "monthly_minor": 3000,
                "trial_days": 0,
                "features": [],
                "unlock_kind": "all",
                "unlock_ids": [],
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
        ],
        "plan",
    )
    due = now - timedelta(hours=1)
    anchor = due - timedelta(days=31)
    methods, cards, subscriptions = [], [], []
    for _ in range(count):
        user_id, method_id = uuid.uuid4(), new_id()
        token = f"pm_{uuid.uuid4().hex[:24]}"
        methods.append(
            {
                "id": method_id,
                "user_id": user_id,
                "gateway": "sandbox",
                "token": token,
                "brand": "visa",
                "last4": "4242",
                "exp_month": 12,
                "exp_year": 2099,
                "is_default": True,
                "created_at": now,
            }
        )
        cards.append(
            {
                "id": f"pi_{uuid.uuid4().hex[:24]}",
                "idempotency_key": f"card-setup:{token}",
                "amount_minor": 100,
                "currency": "USD",
                "status": "succeeded",
                "description": "",
                "return_url": "https://campus.example/",
                "cancel_url": "https://campus.example/",
                "buyer_email": "",
                "metadata": {},
                "card_brand": "visa",
                "card_last4": "4242",
                "card_token": token,
                "card_exp_month": 12,
                "card_exp_year": 2099,
                "save_card": True,
                "refunded_minor": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
        subscriptions.append(
            {
                "id": new_id(),
                "user_id": user_id,
                "plan_id": plan_id,
                "cycle": "monthly",
                "status": "active",
                "quantity": 1,
                "seats_assigned": 0,
                "unit_price_minor": 3000,
                "currency": "USD",
                "payment_method_id": method_id,
                "period": 1,
                "current_period_start": anchor,
                "current_period_end": due,
                "anchor_at": anchor,
                "trial_reminded": False,
                "auto_renew": True,
                "cancel_at_period_end": False,
                "retry_count": 0,
                "created_at": anchor,
                "updated_at": anchor,
            }
        )
    await _insert(db, "commerce_payment_methods", methods, "payment methods")
    await _insert(db, "commerce_sandbox_payments", cards, "sandbox cards")
    await _insert(db, "billing_subscriptions", subscriptions, "subscriptions")
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))


async def worker(db: Database, settings: Settings, started: Any) -> int:
    """One worker running the job's batches until a batch comes back short."""
    size = BillingSettings.of(settings).renewal_batch_size
    handled = 0
    first = True
    while True:
        async with db.session() as session:
            n = await renewals.run_due(
                session, settings, utcnow(), run_started=None if first else started
            )
        first = False
        handled += n
        if n < size:
            return handled


async def run_job(db: Database, settings: Settings, workers: int) -> dict[str, Any]:
    peak = _rss_mb()
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss_mb())
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    before = _rss_mb()
    started = utcnow()
    t0 = time.perf_counter()
    handled = await asyncio.gather(*(worker(db, settings, started) for _ in range(workers)))
    elapsed = time.perf_counter() - t0
    done.set()
    await sampler
    return {
        "seconds": round(elapsed, 1),
        "handled": sum(handled),
        "rss_before_mb": round(before, 1),
        "rss_peak_mb": round(peak, 1),
    }


async def check(db: Database, count: int) -> dict[str, Any]:
    async with db.engine.connect() as conn:

        async def one(sql: str) -> int:
            return int((await conn.execute(sa.text(sql))).scalar() or 0)

        return {
            "renewal_charges": await one(
                "SELECT count(*) FROM billing_charges WHERE kind = 'renewal'"
            ),
            "subscriptions_charged": await one(
                "SELECT count(DISTINCT subscription_id) FROM billing_charges"
            ),
            "gateway_payments": await one(
                "SELECT count(*) FROM commerce_sandbox_payments "
                "WHERE idempotency_key LIKE 'sub:%:period:2'"
            ),
            "in_period_2": await one(
                "SELECT count(*) FROM billing_subscriptions WHERE period = 2 AND status = 'active'"
            ),
            "invoice_jobs": await one(
                "SELECT count(*) FROM outbox_messages WHERE name = 'billing.invoice_charge'"
            ),
            "expected": count,
        }


async def invoice_sample(db: Database, settings: Settings, count: int) -> dict[str, Any]:
    async with db.engine.connect() as conn:
        keys = [
            row[0]
            for row in await conn.execute(
                sa.text("SELECT idempotency_key FROM billing_charges ORDER BY id LIMIT :n"),
                {"n": count},
            )
        ]
    t0 = time.perf_counter()
    for start in range(0, len(keys), 100):
        async with db.session() as session:
            for key in keys[start : start + 100]:
                await invoicing.invoice_charge(session, settings, key)
    elapsed = time.perf_counter() - t0
    return {
        "invoices": len(keys),
        "seconds": round(elapsed, 1),
        "per_second": round(len(keys) / elapsed, 1) if elapsed else 0.0,
    }


async def measure(url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    settings = bench_settings(url, data_dir)
    db = Database(url, pool_size=max(4, args.workers * 2))
    t0 = time.perf_counter()
    await seed(db, args.subscriptions)
    seeded = round(time.perf_counter() - t0, 1)
    job = await run_job(db, settings, args.workers)
    figures = await check(db, args.subscriptions)
    invoices = await invoice_sample(db, settings, args.invoices)
    await db.dispose()
    return {
        "subscriptions": args.subscriptions,
        "workers": args.workers,
        "batch_size": BillingSettings.of(settings).renewal_batch_size,
        "seed_seconds": seeded,
        **job,
        "renewals_per_second": round(job["handled"] / job["seconds"], 1),
        "checks": figures,
        "invoicing": invoices,
        "machine": harness.machine(),
    }


async def lesson_open(url: str, data_dir: Path, requests: int) -> dict[str, Any]:
    """``GET /learn/lessons/{id}`` for a buyer (a purchase entitlement) and a subscriber (the
    entitlement billing granted), alternating, in process through ASGI (no socket): the
    per-request times of each path and their ratio."""
    from asgi_lifespan import LifespanManager
    from httpx import ASGITransport, AsyncClient
    from tests.billing.conftest import BillingFactory
    from tests.commerce.conftest import CommerceFactory
    from tests.fixtures.identity import IdentityFactory

    from campus.catalog import api as catalog
    from campus.learning import api as learning
    from campus.main import create_app

    settings = bench_settings(url, data_dir)
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60):
        transport = ASGITransport(app=app, client=("203.0.113.10", 50000))
        async with AsyncClient(transport=transport, base_url="https://testserver") as client:
            identity = IdentityFactory(app, client)
            shop = CommerceFactory(app, client, identity)
            billing = BillingFactory(app, client, shop, settings)
            course = await shop.paid_course()
            async with billing.db.read_session() as session:
                version_id = await catalog.get_current_version_id(session, course.id)
                assert version_id is not None
                structure = await catalog.get_version_structure(session, version_id)
                assert structure is not None
            buyer = await shop.buyer("Bea")
            async with billing.db.session() as session:
                await learning.grant_entitlement(
                    session, user_id=buyer.id, course_id=course.id, source="purchase", reference="o"
                )
                await learning.enroll_user(session, buyer.id, course.id)
            plan = await billing.plan()
            subscriber = await shop.buyer("Sue")
            card = await billing.card(subscriber)
            await billing.subscribed(subscriber, plan["id"], paymentMethodId=str(card))
            opened = await client.post(
                f"/api/v1/billing/courses/{course.id}/enroll", headers=subscriber.headers
            )
            assert opened.status_code == 201, opened.text
            lesson = f"/api/v1/learn/lessons/{structure.lessons[0].id}"
            times: dict[str, list[float]] = {"buyer": [], "subscriber": []}
            for i in range(requests + 50):
                for name, user in (("buyer", buyer), ("subscriber", subscriber)):
                    t0 = time.perf_counter()
                    response = await client.get(lesson, headers=user.headers)
                    spent = (time.perf_counter() - t0) * 1000
                    assert response.status_code == 200, response.text
                    if i >= 50:  # the first 50 of each warm the path
                        times[name].append(spent)
    out: dict[str, Any] = {"requests_each": requests}
    for name, values in times.items():
        values.sort()
        out[f"{name}_p50_ms"] = round(values[len(values) // 2], 2)
        out[f"{name}_p90_ms"] = round(values[int(len(values) * 0.9)], 2)
        out[f"{name}_mean_ms"] = round(sum(values) / len(values), 2)
    out["subscriber_to_buyer_p50"] = round(out["subscriber_p50_ms"] / out["buyer_p50_ms"], 3)
    return out


def run_lesson_open(args: argparse.Namespace) -> None:
    configure_logging("WARNING")
    url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            harness.migrate(harness.bench_env(url, data_dir))
            result = asyncio.run(lesson_open(url, data_dir, args.requests))
    finally:
        asyncio.run(harness.drop_database(url))
    result["machine"] = harness.machine()
    print(json.dumps(result, indent=2))
    with harness.RESULTS.open("a") as handle:
        handle.write(json.dumps({"title": "billing lesson open", **result}) + "\n")


def run(args: argparse.Namespace) -> None:
    configure_logging("WARNING")
    url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            harness.migrate(harness.bench_env(url, data_dir))
            result = asyncio.run(measure(url, data_dir, args))
    finally:
        asyncio.run(harness.drop_database(url))
    print(json.dumps(result, indent=2))
    with harness.RESULTS.open("a") as handle:
        handle.write(json.dumps({"title": "billing renewal job", **result}) + "\n")
    checks = result["checks"]
    keys = ("renewal_charges", "subscriptions_charged", "gateway_payments", "in_period_2")
    if any(checks[key] != args.subscriptions for key in (*keys, "invoice_jobs")):
        raise SystemExit("an invariant does not hold: see the checks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument(
        "--lesson-open",
        action="store_true",
        help="instead: time opening a lesson as a subscriber and as a buyer",
    )
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    if args.lesson_open:
        run_lesson_open(args)
    else:
        run(args)


if __name__ == "__main__":
    main()
