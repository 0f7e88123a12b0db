"""Learning benchmark (issue: the learning context).

On PostgreSQL, in one run:

* **heartbeats**: 1,000 learners (each with their own token and video lesson, rotated by a wrk Lua
  script) post ``POST /learn/lessons/{id}/heartbeat``; throughput, p50/p99 and the ratio to the
  bare reference endpoint doing one upsert (``/bench/reference-write``) with the same connections.
  Target: >= 50 % of the reference, p99 < 100 ms.
* **the simulated load**: 1,000 learners each sending a heartbeat every 10 s and opening their
  dashboard (``GET /me/learning``) every minute: ~117 requests/s, paced by wrk's ``delay()``.
  Also the same mix unpaced (capacity).
* **roster export** of a course with 100,000 enrollments: the streamed ``roster.csv`` and the
  export job, each timed, with the server's peak RSS (``VmHWM``) on a freshly started server.
  Target: < 60 s and < 300 MB.

Data is generated with bulk inserts (users, sessions, enrollments, progress); courses are made
through the real API.

Throughput scenarios run in interleaved rounds (``--rounds``) and the median round is reported,
so a busy shared machine disturbs every scenario alike.

    .venv/bin/python -m benchmarks.learning_bench [--duration 15] [--connections 16]
        [--learners 1000] [--roster 100000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from argon2 import PasswordHasher
from rich.progress import Progress

from benchmarks import harness
from campus.config import Environment, Settings
from campus.identity.service.tokens import issue_access_token
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.models import metadata

VIDEO_SECONDS = 3600
VIDEO_LESSONS = 10
CHUNK = 5000


@dataclass
class World:
    tokens: list[str]
    heartbeat_paths: list[str]
    instructor_token: str
    roster_course_id: str


def _table(name: str) -> sa.Table:
    return metadata.tables[name]


def bench_settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        env=Environment.DEVELOPMENT,
        database_url=database_url,
        data_dir=data_dir,
        access_token_ttl_seconds=3600,
        seed_demo_on_first_run=False,
    )


async def _insert(db: Database, table: str, rows: list[dict[str, Any]], label: str) -> None:
    with Progress(transient=True) as progress:
        task = progress.add_task(label, total=len(rows))
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            async with db.engine.begin() as conn:
                await conn.execute(sa.insert(_table(table)), chunk)
            progress.advance(task, len(chunk))


def _users(count: int, prefix: str, password_hash: str) -> list[dict[str, Any]]:
    now = utcnow()
    letters = "abcdefghijklmnopqrstuvwxyz"
    rows = []
    for i in range(count):
        email = f"{prefix}{i}@bench.example"
        rows.append(
            {
                "id": new_id(),
                "email": email,
                "email_key": email,
                "first_name": prefix.capitalize(),
                "last_name": "".join(letters[int(d)] for d in str(i)).capitalize(),
                "password_hash": password_hash,
                "email_verified_at": now,
                "status": "active",
                "token_version": 0,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


async def _people(
    db: Database, settings: Settings, learners: int
) -> tuple[list[dict[str, Any]], list[str], str, str]:
    """Learners, an instructor and an admin with sessions and access tokens."""
    password_hash = PasswordHasher().hash("bench-password-not-used")
    learners_rows = _users(learners, "learner", password_hash)
    staff = _users(2, "staff", password_hash)
    await _insert(db, "users", learners_rows + staff, "users")
    roles = [{"user_id": u["id"], "role_name": "student"} for u in learners_rows]
    roles += [
        {"user_id": staff[0]["id"], "role_name": "instructor"},
        {"user_id": staff[1]["id"], "role_name": "admin"},
    ]
    await _insert(db, "user_roles", roles, "roles")
    expires = utcnow() + timedelta(days=1)
    sessions = [
        {"id": new_id(), "user_id": u["id"], "device": "bench", "expires_at": expires}
        for u in learners_rows + staff
    ]
    await _insert(db, "user_sessions", sessions, "sessions")
    tokens = [
        issue_access_token(
            settings, user_id=s["user_id"], session_id=s["id"], token_version=0
        ).token
        for s in sessions
    ]
    return learners_rows, tokens[:learners], tokens[-2], tokens[-1]


def _ok(response: httpx.Response, status: int = 200) -> Any:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


def _course(
    base: str, instructor: str, admin: str, title: str, lessons: list[dict[str, Any]]
) -> Any:
    api = f"{base}/api/v1"
    auth = {"Authorization": f"Bearer {instructor}"}
    with httpx.Client(timeout=30) as http:
        course = _ok(http.post(f"{api}/courses", json={"title": title}, headers=auth), 201)
        module = _ok(
            http.post(f"{api}/courses/{course['id']}/modules", json={"title": "M"}, headers=auth),
            201,
        )
        for body in lessons:
            url = f"{api}/courses/{course['id']}/modules/{module['id']}/lessons"
            _ok(http.post(url, json=body, headers=auth), 201)
        _ok(http.post(f"{api}/courses/{course['id']}/submit", json={}, headers=auth))
        approve = f"{api}/courses/{course['id']}/approve"
        return _ok(http.post(approve, json={}, headers={"Authorization": f"Bearer {admin}"}))


def _enrollment(user_id: Any, course: Any, total: int, **extra: Any) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(),
        "user_id": user_id,
        "course_id": uuid.UUID(course["id"]),
        "version_id": uuid.UUID(course["currentVersion"]["id"]),
        "status": "active",
        "source": "free",
        "enrolled_at": now,
        "activated_at": now,
        "last_activity_at": now,
        "progress_percent": 0,
        "completed_items": 0,
        "total_items": total,
        "created_at": now,
        "updated_at": now,
        **extra,
    }


def started_lessons(learners: list[dict[str, Any]], watch: Any) -> list[dict[str, Any]]:
    """A started video lesson for each learner (rotating over the course's videos), last
    heartbeat a minute ago, so every heartbeat of the run is a plausible one."""
    lessons = watch["curriculum"][0]["lessons"]
    now = utcnow()
    return [
        {
            "id": new_id(),
            "user_id": person["id"],
            "course_id": uuid.UUID(watch["id"]),
            "lesson_lineage_id": uuid.UUID(lessons[i % VIDEO_LESSONS]["lineageId"]),
            "lesson_id": uuid.UUID(lessons[i % VIDEO_LESSONS]["id"]),
            "status": "in_progress",
            "view_count": 1,
            "position_seconds": 0,
            "watched_seconds": 0,
            "heartbeat_epoch": int(now.timestamp()) - 60,
            "started_at": now,
            "last_viewed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for i, person in enumerate(learners)
    ]


async def build_world(database_url: str, data_dir: Path, base: str, args: Any) -> World:
    db = Database(database_url, null_pool=True)
    try:
        settings = bench_settings(database_url, data_dir)
        learners, tokens, instructor, admin = await _people(db, settings, args.learners)
        video = [
            {
                "title": f"Video {i}",
                "type": "video",
                "videoUrl": "https://videos.example.com/v.mp4",
                "videoDurationSeconds": VIDEO_SECONDS,
            }
            for i in range(VIDEO_LESSONS)
        ]
        article = [{"title": f"Read {i}", "type": "article", "body": "Text"} for i in range(3)]
        watch = _course(base, instructor, admin, "Heartbeat course", video)
        extras = [_course(base, instructor, admin, f"Side course {i}", article) for i in range(2)]
        roster = _course(base, instructor, admin, "Big roster course", article)
        lessons = watch["curriculum"][0]["lessons"]

        rows = []
        for person in learners:
            rows.append(_enrollment(person["id"], watch, VIDEO_LESSONS))
            rows += [_enrollment(person["id"], c, 3) for c in extras]
        await _insert(db, "learning_enrollments", rows, "learner enrollments")
        started = started_lessons(learners, watch)
        await _insert(db, "learning_lesson_progress", started, "started lessons")

        password_hash = learners[0]["password_hash"]
        crowd = _users(args.roster, "member", password_hash)
        await _insert(db, "users", crowd, f"{args.roster:,} roster users")
        rng = random.Random(7)
        statuses = ["active"] * 16 + ["completed"] * 3 + ["cancelled_by_user"]
        enrollments = []
        for person in crowd:
            status = rng.choice(statuses)
            done = 3 if status == "completed" else rng.randint(0, 2)
            enrollments.append(
                _enrollment(
                    person["id"],
                    roster,
                    3,
                    status=status,
                    completed_items=done,
                    progress_percent=done * 100 // 3,
                )
            )
        await _insert(db, "learning_enrollments", enrollments, f"{args.roster:,} enrollments")
        async with db.engine.begin() as conn:
            await conn.execute(sa.text("ANALYZE"))
        paths = [
            f"/api/v1/learn/lessons/{lessons[i % VIDEO_LESSONS]['id']}/heartbeat"
            for i in range(len(learners))
        ]
        return World(tokens, paths, instructor, roster["id"])
    finally:
        await db.dispose()


def lua(world: World, *, dashboard_every: int, pace_ms: int) -> str:
    """Rotate over the learners; every ``dashboard_every``-th request opens the dashboard;
    ``pace_ms`` > 0 makes each connection wait that long between its requests."""
    script = f"""
local tokens = {json.dumps(world.tokens).replace("[", "{").replace("]", "}")}
local paths = {json.dumps(world.heartbeat_paths).replace("[", "{").replace("]", "}")}
local n = #tokens
local i = 0
local every = {dashboard_every}
request = function()
  i = i + 1
  local k = (i % n) + 1
  local auth = "Bearer " .. tokens[k]
  if every > 0 and i % every == 0 then
    return wrk.format("GET", "/api/v1/me/learning", {{["Authorization"] = auth}})
  end
  local body = '{{"positionSeconds":' .. (i % 3000) .. ',"watchedSeconds":10}}'
  return wrk.format("POST", paths[k],
    {{["Authorization"] = auth, ["Content-Type"] = "application/json"}}, body)
end
"""
    if pace_ms > 0:  # jittered, so the connections do not fire in lockstep bursts
        script += (
            f"\ndelay = function() return math.random({pace_ms // 2}, {pace_ms * 3 // 2}) end\n"
        )
    return script


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of a process in MB."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) / 1024
    return round(values["VmHWM"], 1), round(values["VmRSS"], 1)


def export_roster(base: str, world: World, pid: int) -> dict[str, object]:
    auth = {"Authorization": f"Bearer {world.instructor_token}"}
    api = f"{base}/api/v1/courses/{world.roster_course_id}"
    figures: dict[str, object] = {"server_rss_at_start_mb": peak_rss_mb(pid)[1]}
    started = time.perf_counter()
    lines = size = 0
    with (
        httpx.Client(timeout=300) as http,
        http.stream("GET", f"{api}/roster.csv", headers=auth) as response,
    ):
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            lines += chunk.count(b"\n")
    figures["stream_seconds"] = round(time.perf_counter() - started, 2)
    figures["stream_rows"] = lines - 1
    figures["stream_mb"] = round(size / 1e6, 1)
    figures["stream_peak_rss_mb"] = peak_rss_mb(pid)[0]

    started = time.perf_counter()
    with httpx.Client(timeout=60) as http:
        job = _ok(http.post(f"{api}/roster-exports", headers=auth), 202)
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = _ok(http.get(f"{api}/roster-exports/{job['id']}", headers=auth))
            if status["status"] in ("done", "failed"):
                break
            time.sleep(0.2)
    figures["job_seconds"] = round(time.perf_counter() - started, 2)
    figures["job_status"] = status["status"]
    figures["job_rows"] = status["rowCount"]
    figures["job_peak_rss_mb"] = peak_rss_mb(pid)[0]
    return figures


def median(figures: list[harness.Figure]) -> harness.Figure:
    """The round with the median throughput (its latencies come with it)."""
    ordered = sorted(figures, key=lambda f: f.requests_per_second)
    return ordered[len(ordered) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--learners", type=int, default=1000)
    parser.add_argument("--roster", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
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
                world = asyncio.run(build_world(database_url, Path(tmp), base, args))
                for path, token in list(zip(world.heartbeat_paths, world.tokens, strict=True))[:20]:
                    auth = {"Authorization": f"Bearer {token}"}
                    body = {"positionSeconds": 1, "watchedSeconds": 1}
                    _ok(httpx.post(f"{base}{path}", json=body, headers=auth))
                    _ok(httpx.get(f"{base}/api/v1/me/learning", headers=auth))
                conn, dur = args.connections, args.duration
                rounds: dict[str, list[harness.Figure]] = {}
                # Interleaved rounds, medians reported: a shared machine's noise hits every
                # scenario alike instead of one of them.
                for _ in range(args.rounds):
                    for figure in (
                        harness.wrk(
                            "POST /bench/reference-write",
                            f"{base}/bench/reference-write",
                            method="POST",
                            connections=conn,
                            duration=dur,
                        ),
                        harness.wrk_script(
                            f"POST heartbeat ({args.learners} learners)",
                            base,
                            lua(world, dashboard_every=0, pace_ms=0),
                            connections=conn,
                            duration=dur,
                        ),
                        harness.wrk_script(
                            "heartbeat + dashboard 6:1 (unpaced)",
                            base,
                            lua(world, dashboard_every=7, pace_ms=0),
                            connections=conn,
                            duration=dur,
                        ),
                    ):
                        rounds.setdefault(figure.scenario, []).append(figure)
                reference, heartbeat, mixed = (median(figures) for figures in rounds.values())
                # 1,000 learners: a heartbeat every 10 s (100/s) and a dashboard every 60 s
                # (16.7/s): 117 connections, each sending one request per second.
                paced = harness.wrk_script(
                    f"simulated {args.learners} learners (paced)",
                    base,
                    lua(world, dashboard_every=7, pace_ms=1000),
                    connections=max(1, round(args.learners * (0.1 + 1 / 60))),
                    duration=max(dur, 20),
                )
            with harness.server_process(env, harness.free_port()) as (base, proc):
                roster = export_roster(base, world, proc.pid)
            harness.report(
                "Learning: heartbeats, dashboards, roster export (PostgreSQL)",
                [heartbeat, mixed, paced],
                reference,
                extra={
                    "rounds": args.rounds,
                    "all_rounds_req_per_s": {
                        name: [round(f.requests_per_second, 1) for f in figures]
                        for name, figures in rounds.items()
                    },
                    "heartbeat_ratio_target": ">= 0.5, p99 < 100 ms",
                    "roster_enrollments": args.roster,
                    **roster,
                    "roster_target": "< 60 s, peak RSS < 300 MB",
                },
            )
    finally:
        asyncio.run(harness.drop_database(database_url))


if __name__ == "__main__":
    main()
