"""Booking benchmark (issue 18), on PostgreSQL.

1. **Free slots**: ``GET /api/v1/booking/consultants/{id}/slots`` for a 14-day window, the
   requests cycling through 200 consultants (weekly rules Monday to Friday 09:00-17:00 in five
   time zones) with a year of sessions (two a weekday each, half a year back and ahead:
   ~100,000 rows), at 32 connections, next to Campus's ``GET /bench/reference`` and the bare
   stack (``benchmarks.bare_app``: FastAPI + asyncpg, no Campus code) ``GET /me`` (one row by
   key) and ``GET /page`` (20 rows and a count). Target: >= 40 % of the bare reference,
   p99 < 150 ms.
2. **Booking storm**: 500 learners booking 50 slots (ten for each) at once over HTTP
   (``POST /api/v1/booking/sessions``, at most 64 requests in flight): exactly 50 sessions,
   the p50/p99 of the booking call.

    .venv/bin/python -m benchmarks.booking_bench [--duration 10] [--connections 32]
        [--consultants 200] [--learners 500] [--slots 50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from argon2 import PasswordHasher

from benchmarks import harness
from benchmarks.request_path_bench import server
from campus.config import Environment, Settings
from campus.identity.service.tokens import issue_access_token
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.models import metadata

CHUNK = 5000
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Australia/Sydney")


def _table(name: str) -> sa.Table:
    return metadata.tables[name]


async def _insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.engine.begin() as conn:
            await conn.execute(sa.insert(_table(table)), rows[start : start + CHUNK])


def _users(count: int, prefix: str, password_hash: str) -> list[dict[str, Any]]:
    now = utcnow()
    return [
        {
            "id": new_id(),
            "email": f"{prefix}{i}@bench.example",
            "email_key": f"{prefix}{i}@bench.example",
            "first_name": prefix.capitalize(),
            "last_name": f"N{i}",
            "password_hash": password_hash,
            "email_verified_at": now,
            "status": "active",
            "token_version": 0,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(count)
    ]


async def seed(
    database_url: str, data_dir: Path, consultants: int, learners: int
) -> tuple[str, list[str], list[str], str]:
    """Service type id, consultant ids, learners' access tokens, one user id (bare /me)."""
    settings = Settings(
        env=Environment.DEVELOPMENT,
        database_url=database_url,
        data_dir=data_dir,
        access_token_ttl_seconds=3600,
        seed_demo_on_first_run=False,
    )
    db = Database(database_url, null_pool=True)
    now = utcnow()
    password_hash = PasswordHasher().hash("bench-password-not-used")
    people = _users(consultants, "consultant", password_hash)
    learner_rows = _users(learners, "learner", password_hash)
    await _insert(db, "users", people + learner_rows)
    await _insert(
        db,
        "user_roles",
        [{"user_id": u["id"], "role_name": "consultant"} for u in people]
        + [{"user_id": u["id"], "role_name": "student"} for u in learner_rows],
    )
    kind_id = new_id()
    await _insert(
        db,
        "booking_service_types",
        [
            {
                "id": kind_id, "name": "Consultation", "description": "", "duration_minutes": 60,
                "buffer_before_minutes": 0, "buffer_after_minutes": 0, "price_minor": 0,
                "currency": "USD", "requires_confirmation": False, "eligibility": "anyone",
                "course_ids": [], "organization_id": None, "is_active": True,
                "created_at": now, "updated_at": now,
            }
        ],
    )  # fmt: skip
    profiles, rules, sessions = [], [], []
    today = now.date()
    for index, person in enumerate(people):
        zone = ZONES[index % len(ZONES)]
        profiles.append(
            {
                "user_id": person["id"], "display_name": f"Consultant {index}", "bio": "",
                "specializations": ["Python"], "languages": ["en"], "time_zone": zone,
                "photo_url": None, "is_bookable": True, "service_type_ids": [str(kind_id)],
                "min_notice_minutes": 0, "horizon_days": 366, "daily_limit": None,
                "rating_sum": 0, "rating_count": 0, "last_assigned_at": None,
                "created_at": now, "updated_at": now,
            }
        )  # fmt: skip
        for weekday in range(5):
            rules.append(
                {"id": new_id(), "consultant_user_id": person["id"], "weekday": weekday,
                 "start_minute": 9 * 60, "end_minute": 17 * 60}
            )  # fmt: skip
        tz = ZoneInfo(zone)
        for offset in range(-182, 183):
            day = today + timedelta(days=offset)
            if day.weekday() >= 5:
                continue
            for hour in (10, 14):
                start = datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)
                end = start + timedelta(hours=1)
                sessions.append(
                    {
                        "id": new_id(), "service_type_id": kind_id, "learner_id": new_id(),
                        "consultant_user_id": person["id"], "starts_at": start, "ends_at": end,
                        "blocked_from": start, "blocked_until": end,
                        "status": "completed" if start < now else "scheduled",
                        "learner_time_zone": "UTC", "details": "", "respond_by": None,
                        "hold_expires_at": None, "price_minor": 0, "currency": "USD",
                        "payment_status": "none", "gateway_payment_id": None,
                        "reschedule_count": 0, "cancelled_by": None, "cancel_reason": None,
                        "meeting_provider": None, "meeting_id": None, "join_url": None,
                        "private_notes": "", "shared_notes": "", "completed_at": None,
                        "created_at": now, "updated_at": now,
                    }
                )  # fmt: skip
    await _insert(db, "booking_consultants", profiles)
    await _insert(db, "booking_availability_rules", rules)
    await _insert(db, "booking_sessions", sessions)
    expires = now + timedelta(days=1)
    login_rows = [
        {"id": new_id(), "user_id": u["id"], "device": "bench", "expires_at": expires}
        for u in learner_rows
    ]
    await _insert(db, "user_sessions", login_rows)
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))
    await db.dispose()
    tokens = [
        issue_access_token(
            settings, user_id=s["user_id"], session_id=s["id"], token_version=0
        ).token
        for s in login_rows
    ]
    print(f"seeded {len(people)} consultants, {len(sessions)} sessions, {len(tokens)} learners")
    return str(kind_id), [str(p["id"]) for p in people], tokens, str(people[0]["id"])


def free_slot_paths(kind_id: str, consultants: list[str]) -> list[str]:
    first = utcnow().date() + timedelta(days=1)
    last = first + timedelta(days=13)
    return [
        f"/api/v1/booking/consultants/{c}/slots?serviceTypeId={kind_id}"
        f"&from={first.isoformat()}&to={last.isoformat()}&timeZone=Europe/Berlin"
        for c in consultants
    ]


async def storm(
    base: str, kind_id: str, consultants: list[str], tokens: list[str], slots: int
) -> dict[str, Any]:
    """``len(tokens)`` learners on ``slots`` slots (one per consultant, 16:00 in the
    consultant's zone on the next Wednesday), all at once."""
    day = utcnow().date() + timedelta(days=1)
    while day.weekday() != 2:
        day += timedelta(days=1)
    targets = []
    for index, consultant in enumerate(consultants[:slots]):
        tz = ZoneInfo(ZONES[index % len(ZONES)])
        targets.append((consultant, datetime(day.year, day.month, day.day, 16, tzinfo=tz)))
    gate = asyncio.Semaphore(64)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:

        async def book(n: int) -> tuple[int, float]:
            consultant, start = targets[n % len(targets)]
            async with gate:
                began = time.perf_counter()
                response = await http.post(
                    "/api/v1/booking/sessions",
                    json={"serviceTypeId": kind_id, "consultantUserId": consultant,
                          "startsAt": start.isoformat(), "timeZone": "UTC"},
                    headers={"Authorization": f"Bearer {tokens[n]}"},
                )  # fmt: skip
                return response.status_code, (time.perf_counter() - began) * 1000

        began = time.perf_counter()
        results = await asyncio.gather(*(book(n) for n in range(len(tokens))))
        wall = time.perf_counter() - began
    times = sorted(ms for _, ms in results)
    statuses: dict[str, int] = {}
    for status, _ in results:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    return {
        "learners": len(tokens),
        "slots": len(targets),
        "statuses": statuses,
        "wall_s": round(wall, 2),
        "p50_ms": round(statistics.median(times), 1),
        "p99_ms": round(times[int(len(times) * 0.99) - 1], 1),
        "max_ms": round(times[-1], 1),
        "day": day.isoformat(),
    }


async def sessions_on(database_url: str, day: date) -> int:
    db = Database(database_url, null_pool=True)
    begin = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(days=1)
    async with db.session() as session:
        count = await session.scalar(
            sa.text(
                "SELECT count(*) FROM booking_sessions WHERE starts_at >= :a AND starts_at < :b "
                "AND learner_id IN (SELECT user_id FROM user_sessions)"
            ),
            {"a": begin, "b": begin + timedelta(days=3)},
        )
    await db.dispose()
    return int(count or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--consultants", type=int, default=200)
    parser.add_argument("--learners", type=int, default=500)
    parser.add_argument("--slots", type=int, default=50)
    args = parser.parse_args()
    info = harness.machine()
    print(f"Booking ({info['date']}, {info['cpu']}, {info['cores']} cores)")
    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(database_url, Path(tmp))
            harness.migrate(env)
            kind_id, consultants, tokens, user_id = asyncio.run(
                seed(database_url, Path(tmp), args.consultants, args.learners)
            )
            bare_env = {**env, "BARE_DATABASE_URL": database_url, "BARE_POOL_SIZE": "20"}
            common = {"connections": args.connections, "duration": args.duration}
            paths = free_slot_paths(kind_id, consultants)
            with (
                server(env, "benchmarks.bench_app:create_bench_app", "/readyz", 1) as (campus, _),
                server(bare_env, "benchmarks.bare_app:create_bare_app", "/healthz", 1) as (
                    bare,
                    _,
                ),
            ):
                check = httpx.get(f"{campus}{paths[0]}", timeout=30)
                if check.status_code != 200 or not check.json()["items"]:
                    raise RuntimeError(f"slots: {check.status_code} {check.text[:300]}")
                harness.wrk("warm-up", f"{campus}/bench/reference", connections=8, duration=2)
                harness.wrk("warm-up", f"{campus}{paths[0]}", connections=8, duration=2,
                            paths=paths)  # fmt: skip
                harness.wrk("warm-up", f"{bare}/me?id={user_id}", connections=8, duration=2)
                figures = {}
                for name, url, rotation in (
                    ("bare GET /me (1 row by key)", f"{bare}/me?id={user_id}", None),
                    ("bare GET /page (20 rows, count)", f"{bare}/page", None),
                    ("reference (SELECT 1)", f"{campus}/bench/reference", None),
                    ("GET .../slots (14 days)", f"{campus}{paths[0]}", paths),
                ):
                    harness.settle(campus)
                    figures[name] = harness.wrk(name, url, paths=rotation, **common)
                harness.settle(campus)
                stormed = asyncio.run(storm(campus, kind_id, consultants, tokens, args.slots))
            stormed["sessions_created"] = asyncio.run(
                sessions_on(database_url, date.fromisoformat(stormed["day"]))
            )
    finally:
        asyncio.run(harness.drop_database(database_url))
    slots = figures["GET .../slots (14 days)"]
    rows = {name: asdict(fig) for name, fig in figures.items()}
    print(f"{'scenario':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'slots/this':>12}")
    for name, fig in figures.items():
        rows[name]["slots_ratio_to_this"] = round(
            slots.requests_per_second / fig.requests_per_second, 3
        )
        print(
            f"{name:<34}{fig.requests_per_second:>10.1f}{fig.p50_ms:>10.2f}"
            f"{fig.p99_ms:>10.2f}{rows[name]['slots_ratio_to_this']:>12.3f}"
        )
    print("storm:", json.dumps(stormed))
    with harness.RESULTS.open("a") as handle:
        handle.write(
            json.dumps({"title": "booking", "machine": info, "slots": rows, "storm": stormed})
            + "\n"
        )


if __name__ == "__main__":
    main()
