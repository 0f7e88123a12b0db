"""Checkout benchmark (issue: commerce): ``POST /api/v1/checkout`` on PostgreSQL with the
embedded sandbox gateway, each request a different buyer with a cart of 3 paid courses, a 10 %
coupon and 19 % VAT (billing country DE), and a new ``Idempotency-Key``.

On a fresh PostgreSQL database (``harness.create_database``, migrated) it creates the buyers
(users, sessions, access tokens) and their carts with bulk inserts, three published paid
courses through the API, the coupon and the tax rate; starts the real app in uvicorn; and
drives checkout with wrk (a Lua script rotating over the buyers, one checkout each). It reports
throughput, p50/p99 and the ratio to ``GET /bench/reference`` from the same run (target: ratio
at least 0.30, p99 under 200 ms), then checks the invariants: one order per successful
checkout, at most one order per buyer, every order's total the sum of its lines, and one
sandbox payment per order.

    .venv/bin/python -m benchmarks.commerce_bench [--buyers 8000] [--duration 10] [--connections 32]

Figures are printed and appended to ``benchmarks/results.jsonl``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks import harness
from benchmarks.learning_bench import _insert, _people, bench_settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id

PRICES = ("49.99", "29.99", "19.99")
COUPON = "BENCH10"
BODY = json.dumps({"billingName": "Bench Buyer", "billingCountry": "DE", "couponCode": COUPON})


@dataclass
class World:
    tokens: list[str]
    course_ids: list[str]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


def paid_course(base: str, instructor: str, admin: str, title: str, price: str) -> str:
    api = f"{base}/api/v1"
    auth = {"Authorization": f"Bearer {instructor}"}
    body = {"title": title, "isFree": False, "price": {"amount": price, "currency": "USD"}}
    with httpx.Client(timeout=30) as http:
        course = _ok(http.post(f"{api}/courses", json=body, headers=auth), 201)
        module = _ok(
            http.post(f"{api}/courses/{course['id']}/modules", json={"title": "M"}, headers=auth),
            201,
        )
        lesson = {"title": "Read", "type": "article", "body": "Text"}
        url = f"{api}/courses/{course['id']}/modules/{module['id']}/lessons"
        _ok(http.post(url, json=lesson, headers=auth), 201)
        _ok(http.post(f"{api}/courses/{course['id']}/submit", json={}, headers=auth))
        approve = f"{api}/courses/{course['id']}/approve"
        _ok(http.post(approve, json={}, headers={"Authorization": f"Bearer {admin}"}))
    return str(course["id"])


async def build_world(database_url: str, data_dir: Path, base: str, buyers: int) -> World:
    db = Database(database_url, null_pool=True)
    try:
        settings = bench_settings(database_url, data_dir)
        people, tokens, instructor, admin = await _people(db, settings, buyers)
        course_ids = [
            paid_course(base, instructor, admin, f"Checkout course {n}", price)
            for n, price in enumerate(PRICES)
        ]
        now = utcnow()
        carts, items = [], []
        for person in people:
            cart_id = new_id()
            carts.append(
                {
                    "id": cart_id,
                    "user_id": person["id"],
                    "status": "open",
                    "currency": "USD",
                    "created_at": now,
                    "updated_at": now,
                }
            )
            items += [
                {"id": new_id(), "cart_id": cart_id, "course_id": c, "tier": None, "added_at": now}
                for c in course_ids
            ]
        await _insert(db, "commerce_carts", carts, "carts")
        await _insert(db, "commerce_cart_items", items, "cart items")
        admin_id = people[0]["id"]
        await _insert(
            db,
            "commerce_coupons",
            [
                {
                    "id": new_id(),
                    "code": COUPON,
                    "kind": "percent",
                    "percent_bp": 1000,
                    "starts_at": now,
                    "used_count": 0,
                    "per_user_limit": 1,
                    "course_ids": [],
                    "category_ids": [],
                    "instructor_ids": [],
                    "first_purchase_only": False,
                    "stackable": False,
                    "active": True,
                    "created_by": admin_id,
                    "created_at": now,
                    "updated_at": now,
                }
            ],
            "coupon",
        )
        await _insert(
            db,
            "commerce_tax_rates",
            [
                {
                    "id": new_id(),
                    "country": "DE",
                    "name": "Umsatzsteuer",
                    "type": "vat",
                    "rate_bp": 1900,
                    "valid_from": now.replace(year=now.year - 1),
                    "created_at": now,
                }
            ],
            "tax rate",
        )
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("ANALYZE"))
        return World(tokens, course_ids)
    finally:
        await db.dispose()


def lua(world: World) -> str:
    """Each request: the next buyer (one checkout each) and a new idempotency key."""
    tokens = json.dumps(world.tokens).replace("[", "{").replace("]", "}")
    return f"""
local tokens = {tokens}
local body = {json.dumps(BODY)}
local i = 0
request = function()
  i = i + 1
  local k = ((i - 1) % #tokens) + 1
  return wrk.format("POST", "/api/v1/checkout", {{
    ["Authorization"] = "Bearer " .. tokens[k],
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. i,
  }}, body)
end
"""


async def invariants(database_url: str) -> dict[str, object]:
    db = Database(database_url, null_pool=True)
    try:
        async with db.session() as session:
            orders = int(await session.scalar(sa.text("SELECT count(*) FROM commerce_orders")) or 0)
            buyers_twice = int(
                await session.scalar(
                    sa.text(
                        "SELECT count(*) FROM (SELECT user_id FROM commerce_orders GROUP BY "
                        "user_id HAVING count(*) > 1) AS twice"
                    )
                )
                or 0
            )
            mismatched = int(
                await session.scalar(
                    sa.text(
                        "SELECT count(*) FROM commerce_orders o WHERE o.total_minor <> "
                        "(SELECT sum(l.total_minor) FROM commerce_order_lines l "
                        "WHERE l.order_id = o.id)"
                    )
                )
                or 0
            )
            payments = int(
                await session.scalar(sa.text("SELECT count(*) FROM commerce_payments")) or 0
            )
            total = await session.scalar(
                sa.text("SELECT min(total_minor) || '-' || max(total_minor) FROM commerce_orders")
            )
    finally:
        await db.dispose()
    assert buyers_twice == 0, f"{buyers_twice} buyers have two orders"
    assert mismatched == 0, f"{mismatched} orders whose total is not the sum of their lines"
    assert payments == orders, f"{orders} orders but {payments} payments"
    return {"orders": orders, "payments": payments, "order total (minor)": total}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--buyers", type=int, default=8000)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(
                database_url,
                Path(tmp),
                CAMPUS_ACCESS_TOKEN_TTL_SECONDS="3600",  # noqa: S106 - not a secret
                CAMPUS_JOBS_IN_PROCESS="true",
            )
            harness.migrate(env)
            with harness.server_process(env, harness.free_port()) as (base, _proc):
                world = asyncio.run(build_world(database_url, Path(tmp), base, args.buyers))
                reference = harness.wrk(
                    "GET /bench/reference",
                    f"{base}/bench/reference",
                    connections=args.connections,
                    duration=args.duration,
                )
                checkout = harness.wrk_script(
                    "POST /checkout (3 courses, coupon, VAT)",
                    base,
                    lua(world),
                    connections=args.connections,
                    duration=args.duration,
                )
            checks = asyncio.run(invariants(database_url))
            if checkout.requests_per_second * args.duration > args.buyers:
                checks["note"] = "more requests than buyers: raise --buyers (repeats are 409s)"
            harness.report("Commerce checkout", [checkout], reference, checks)
    finally:
        asyncio.run(harness.drop_database(database_url))


if __name__ == "__main__":
    main()
