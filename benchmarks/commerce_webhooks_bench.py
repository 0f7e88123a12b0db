"""Webhook burst benchmark (issue: commerce): the sandbox webhook endpoint under a burst of
``--events`` signed ``payment_intent.succeeded`` events, a tenth of them duplicates, fired by
``--connections`` concurrent clients; then the fulfilment of every paid order by a relay.

On a fresh PostgreSQL database (``harness.create_database``, migrated), with a published
catalog from ``campus seed-catalog-bench``, it writes one pending order per unique event (one
course each, a sandbox payment ``pi_bench_<n>``), starts the real app in uvicorn (no in-process
relay, so the burst measures the endpoint alone), and fires the events with httpx, each signed
with the deployment's sandbox secret at the moment it is sent. It reports the endpoint's
throughput and latency (with the ratio to ``GET /bench/reference`` from wrk in the same run),
then drains the outbox with a relay in this process and checks the invariant: every order paid
once, ``OrderPaid`` once per order, exactly one entitlement per order, every order fulfilled,
one webhook record per unique event, every duplicate answered ``duplicate: true``.

    .venv/bin/python -m benchmarks.commerce_webhooks_bench [--events 10000] [--connections 32]

The driver is Python (httpx), so on 2 cores it competes with the server for CPU: the figure is a
floor. Figures are printed and appended to ``benchmarks/results.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks import harness
from campus.commerce import tasks as commerce_tasks
from campus.commerce.gateways.sandbox import build_event, encode_event, signature_header
from campus.commerce.models import Order, OrderLine, Payment, WebhookEventRecord
from campus.config import Environment, Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.kernel.jobs import Relay
from campus.kernel.logging import configure_logging
from campus.kernel.outbox import HandlerRegistry, OutboxMessage
from campus.learning.models import Entitlement

SECRET = "whsec_commerce_bench"
PRICE = 4999


async def seed_orders(url: str, count: int) -> list[str]:
    """``count`` pending orders with their sandbox payments; returns the payment ids."""
    db = Database(url)
    async with db.session() as session:
        courses = list(
            (
                await session.execute(
                    sa.text(
                        "SELECT id, title FROM catalog_courses WHERE status = 'published' LIMIT 200"
                    )
                )
            ).all()
        )
    assert courses, "the catalog is empty"
    ids: list[str] = []
    now = utcnow()
    chunk = 1000
    for start in range(0, count, chunk):
        orders, lines, payments = [], [], []
        for n in range(start, min(count, start + chunk)):
            order_id = new_id()
            course = courses[n % len(courses)]
            gateway_id = f"pi_bench_{n:06d}"
            ids.append(gateway_id)
            orders.append(
                {
                    "id": order_id,
                    "number": f"ORD-BENCH-{n:06d}",
                    "user_id": uuid.uuid4(),
                    "status": "pending",
                    "currency": "USD",
                    "subtotal_minor": PRICE,
                    "discount_minor": 0,
                    "tax_minor": 0,
                    "total_minor": PRICE,
                    "refunded_minor": 0,
                    "tax_inclusive": False,
                    "billing_name": "Bench Buyer",
                    "billing_country": "US",
                    "billing_address": {},
                    "idempotency_key": uuid.uuid4().hex,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            lines.append(
                {
                    "id": new_id(),
                    "order_id": order_id,
                    "position": 0,
                    "course_id": course.id,
                    "title": str(course.title)[:200],
                    "unit_price_minor": PRICE,
                    "discount_minor": 0,
                    "tax_minor": 0,
                    "tax_rate_bp": 0,
                    "total_minor": PRICE,
                    "refunded_minor": 0,
                }
            )
            payments.append(
                {
                    "id": new_id(),
                    "order_id": order_id,
                    "gateway": "sandbox",
                    "gateway_payment_id": gateway_id,
                    "status": "requires_payment_method",
                    "amount_minor": PRICE,
                    "currency": "USD",
                    "captured_minor": 0,
                    "refunded_minor": 0,
                    "created_at": now,
                    "updated_at": now,
                }
            )
        async with db.session() as session:
            await session.execute(sa.insert(Order), orders)
            await session.execute(sa.insert(OrderLine), lines)
            await session.execute(sa.insert(Payment), payments)
    await db.dispose()
    return ids


def events_for(gateway_ids: list[str], duplicates: int) -> list[dict[str, Any]]:
    unique = [
        build_event(
            "payment_intent.succeeded",
            {
                "id": gateway_id,
                "object": "payment_intent",
                "amount": PRICE,
                "currency": "usd",
                "status": "succeeded",
                "last_payment_error": None,
                "payment_method": None,
            },
            utcnow(),
        )
        for gateway_id in gateway_ids
    ]
    burst = unique + random.sample(unique, duplicates)
    random.shuffle(burst)
    return burst


async def fire(
    base: str, events: list[dict[str, Any]], connections: int
) -> tuple[float, list[float], dict[int, int], int]:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    for event in events:
        queue.put_nowait(event)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    duplicates = 0
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal duplicates
        while not queue.empty():
            event = queue.get_nowait()
            body = encode_event(event)
            header = signature_header(SECRET, body, int(time.time()))
            began = time.perf_counter()
            response = await client.post(
                "/api/v1/commerce/webhooks/sandbox",
                content=body,
                headers={"Content-Type": "application/json", "Stripe-Signature": header},
            )
            latencies.append((time.perf_counter() - began) * 1000)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200 and response.json().get("duplicate"):
                duplicates += 1

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        began = time.perf_counter()
        await asyncio.gather(*(client_loop(client) for _ in range(connections)))
        elapsed = time.perf_counter() - began
    return elapsed, latencies, statuses, duplicates


async def drain_and_check(url: str, data_dir: Path, unique: int) -> dict[str, Any]:
    settings = Settings(
        env=Environment.DEVELOPMENT,
        database_url=url,
        data_dir=data_dir,
        jobs_in_process=False,
        seed_demo_on_first_run=False,
    )
    db = Database(url, pool_size=5)
    registry = HandlerRegistry()
    commerce_tasks.register(registry, settings)
    relay = Relay(db, registry, worker_id="bench-relay", batch_size=100)
    began = time.perf_counter()
    handled = await relay.drain(max_rounds=100_000)
    drained = time.perf_counter() - began
    async with db.read_session() as session:
        paid = await session.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.status == "paid")
        )
        fulfilled = await session.scalar(
            sa.select(sa.func.count()).select_from(Order).where(Order.fulfilled_at.is_not(None))
        )
        events = await session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.name == "commerce.order_paid")
        )
        per_order = (
            await session.execute(
                sa.select(sa.func.count().label("n"))
                .select_from(Entitlement)
                .where(Entitlement.source == "purchase")
                .group_by(Entitlement.reference)
            )
        ).all()
        records = await session.scalar(sa.select(sa.func.count()).select_from(WebhookEventRecord))
    await db.dispose()
    counts = [row.n for row in per_order]
    return {
        "orders": unique,
        "paid": paid,
        "fulfilled": fulfilled,
        "order_paid_events": events,
        "orders_with_entitlements": len(counts),
        "max_entitlements_per_order": max(counts) if counts else 0,
        "webhook_records": records,
        "relay_messages": handled,
        "fulfilment_drain_s": round(drained, 2),
        "fulfilments_per_s": round(unique / drained, 1) if drained else None,
    }


def main() -> None:
    configure_logging("WARNING")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--duplicate-share", type=float, default=0.10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--courses", type=int, default=200)
    args = parser.parse_args()
    duplicates = round(args.events * args.duplicate_share)
    unique = args.events - duplicates

    url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp)
            env = harness.bench_env(
                url,
                data_dir,
                CAMPUS_JOBS_IN_PROCESS="false",
                CAMPUS_COMMERCE_SANDBOX_WEBHOOK_SECRET=SECRET,
            )
            harness.migrate(env)
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "campus.cli",
                    "seed-catalog-bench",
                    "--courses",
                    str(args.courses),
                    "--detail-courses",
                    "0",
                ],
                env={**env, "CAMPUS_DATABASE_URL": url},
                check=True,
                cwd=harness.ROOT,
            )
            gateway_ids = asyncio.run(seed_orders(url, unique))
            events = events_for(gateway_ids, duplicates)
            port = harness.free_port()
            with harness.server(env, port) as base:
                harness.settle(base)
                reference = harness.wrk(
                    "GET /bench/reference",
                    f"{base}/bench/reference",
                    connections=args.connections,
                )
                harness.settle(base)
                elapsed, latencies, statuses, answered_duplicates = asyncio.run(
                    fire(base, events, args.connections)
                )
            check = asyncio.run(drain_and_check(url, data_dir, unique))
    finally:
        asyncio.run(harness.drop_database(url))

    ordered = sorted(latencies)
    figure = harness.Figure(
        scenario="POST /commerce/webhooks/sandbox",
        requests_per_second=round(len(events) / elapsed, 1),
        p50_ms=round(statistics.median(ordered), 2),
        p99_ms=round(ordered[int(len(ordered) * 0.99) - 1], 2),
        errors=sum(n for status, n in statuses.items() if status != 200),
        requests=len(events),
        connections=args.connections,
        duration_s=round(elapsed),
    )
    invariant = (
        check["paid"] == unique
        and check["fulfilled"] == unique
        and check["order_paid_events"] == unique
        and check["orders_with_entitlements"] == unique
        and check["max_entitlements_per_order"] == 1
        and check["webhook_records"] == unique
        and answered_duplicates == duplicates
    )
    harness.report(
        "Commerce webhook burst",
        [figure],
        reference,
        {
            "events": len(events),
            "duplicates_sent": duplicates,
            "duplicates_answered": answered_duplicates,
            "statuses": statuses,
            **check,
            "every_order_fulfilled_exactly_once": invariant,
        },
    )
    if not invariant:
        raise SystemExit("the invariant does not hold")


if __name__ == "__main__":
    main()
