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

The sandbox's store has no index on ``card_token`` (a saved card is looked up by it on every
charge): the benchmark creates one in its own database, as a provider's vault would have, and
says so in its figures.

    .venv/bin/python -m benchmarks.billing_bench [--subscriptions 100000] [--workers 1]

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
        await conn.execute(
            sa.text(
                "CREATE INDEX IF NOT EXISTS bench_sandbox_card_token "
                "ON commerce_sandbox_payments (card_token)"
            )
        )
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
        "note": "index on commerce_sandbox_payments(card_token) created by the benchmark",
        "machine": harness.machine(),
    }


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
    run(parser.parse_args())


if __name__ == "__main__":
    main()
