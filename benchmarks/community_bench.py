"""Community benchmark (issue 17), on PostgreSQL.

A course forum of 10,000 topics and 200,000 posts (the first 1,000 topics hold 100 posts each,
the rest are spread over the others), read and written by an enrolled learner (bearer token):

1. **Topic list**: ``GET /api/v1/forums/courses/{id}/topics`` sorted by activity, 20 a page,
   cycling through pages 1-50, next to the bare stack's ``GET /page`` (20 rows and a count;
   ``benchmarks.bare_app``: FastAPI + asyncpg, no Campus code). Target >= 50 % of it, p99 <
   100 ms.
2. **Topic page**: ``GET /api/v1/forums/topics/{id}/posts?limit=50`` cycling through the
   1,000 long topics, against the same bare ``GET /page``. Target >= 50 %, p99 < 100 ms.
3. **Posting**: ``POST /api/v1/forums/topics/{id}/posts`` cycling through the topics, against
   the bare ``POST /upsert`` (one validated JSON body, one row written). Target >= 40 %.

    .venv/bin/python -m benchmarks.community_bench [--duration 10] [--connections 32]
        [--topics 10000] [--posts 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import uuid
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from argon2 import PasswordHasher

from benchmarks import harness
from benchmarks.request_path_bench import server, upsert_script
from campus.catalog.data import LessonType
from campus.catalog.schemas.courses import ApproveRequest, CourseCreate, SubmitRequest
from campus.catalog.schemas.structure import LessonCreate, ModuleCreate
from campus.catalog.service import authoring, publication, structure
from campus.config import Environment, Settings
from campus.identity import api as identity_api
from campus.identity.service.tokens import issue_access_token
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.ids import new_id
from campus.learning import api as learning_api
from campus.models import metadata

CHUNK = 5000
LONG_TOPICS = 1000
POSTS_PER_LONG_TOPIC = 100


async def _insert(db: Database, table: str, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with db.engine.begin() as conn:
            await conn.execute(sa.insert(metadata.tables[table]), rows[start : start + CHUNK])


def _user(prefix: str, index: int, password_hash: str) -> dict[str, Any]:
    now = utcnow()
    return {
        "id": new_id(), "email": f"{prefix}{index}@bench.example",
        "email_key": f"{prefix}{index}@bench.example", "first_name": prefix.capitalize(),
        "last_name": f"N{index}", "password_hash": password_hash, "email_verified_at": now,
        "status": "active", "token_version": 0, "created_at": now, "updated_at": now,
    }  # fmt: skip


async def _course(db: Database, instructor: uuid.UUID, admin: uuid.UUID) -> uuid.UUID:
    """A published course built through the catalog's services."""

    async with db.session() as session:
        grants = await identity_api.role_permissions(session)
        owner = Principal(instructor, frozenset({"instructor"}), grants["instructor"])
        reviewer = Principal(admin, frozenset({"admin"}), grants["admin"])
        course = await authoring.create_course(session, owner, CourseCreate(title="Forum bench"))
        module = await structure.create_module(session, owner, course.id, ModuleCreate(title="M"))
        await structure.create_lesson(
            session,
            owner,
            course.id,
            module.id,
            LessonCreate(title="L", type=LessonType.ARTICLE, estimated_minutes=5),
        )
        await publication.submit(session, owner, course.id, SubmitRequest())
        await publication.approve(session, reviewer, course.id, ApproveRequest())
        return course.id


async def seed(
    database_url: str, data_dir: Path, topics: int, posts: int
) -> tuple[str, list[str], str, str]:
    """Course id, topic ids, the learner's access token, one user id (bare /me)."""
    settings = Settings(
        env=Environment.DEVELOPMENT,
        database_url=database_url,
        data_dir=data_dir,
        access_token_ttl_seconds=3600,
        seed_demo_on_first_run=False,
    )
    db = Database(database_url, null_pool=True)
    password_hash = PasswordHasher().hash("bench-password-not-used")
    instructor, admin, learner = (
        _user("teacher", 0, password_hash),
        _user("admin", 0, password_hash),
        _user("learner", 0, password_hash),
    )
    authors = [_user("author", i, password_hash) for i in range(200)]
    await _insert(db, "users", [instructor, admin, learner, *authors])
    await _insert(
        db,
        "user_roles",
        [
            {"user_id": instructor["id"], "role_name": "instructor"},
            {"user_id": admin["id"], "role_name": "admin"},
            {"user_id": learner["id"], "role_name": "student"},
        ]
        + [{"user_id": a["id"], "role_name": "student"} for a in authors],
    )
    course_id = await _course(db, instructor["id"], admin["id"])
    async with db.session() as session:
        await learning_api.enroll_user(session, learner["id"], course_id)
    now = utcnow()
    start = now - timedelta(days=365)
    rng = random.Random(17)
    counts = [POSTS_PER_LONG_TOPIC if i < LONG_TOPICS else 0 for i in range(topics)]
    for _ in range(max(0, posts - sum(counts))):
        counts[rng.randrange(LONG_TOPICS, topics)] += 1
    topic_rows, post_rows = [], []
    for i in range(topics):
        created = start + timedelta(minutes=i * 50)
        topic_id = new_id()
        topic_rows.append(
            {
                "id": topic_id, "course_id": course_id, "category": None,
                "author_id": authors[i % len(authors)]["id"], "title": f"Question {i}",
                "body_markdown": "How do I do this?", "body_html": "<p>How do I do this?</p>",
                "tags": [], "module_id": None, "lesson_id": None, "is_pinned": i < 3,
                "is_locked": False, "status": "visible", "solution_post_id": None,
                "post_count": counts[i], "vote_count": i % 7,
                "last_activity_at": created + timedelta(minutes=counts[i]),
                "edited_at": None, "deleted_at": None, "created_at": created,
                "updated_at": created,
            }
        )  # fmt: skip
        for n in range(counts[i]):
            at = created + timedelta(seconds=n)
            post_rows.append(
                {
                    "id": new_id(), "topic_id": topic_id, "parent_id": None, "depth": 0,
                    "author_id": authors[(i + n) % len(authors)]["id"],
                    "body_markdown": f"Answer {n}", "body_html": f"<p>Answer {n}</p>",
                    "status": "visible", "vote_count": n % 3, "edited_at": None,
                    "deleted_at": None, "created_at": at, "updated_at": at,
                }
            )  # fmt: skip
    await _insert(db, "community_topics", topic_rows)
    await _insert(db, "community_posts", post_rows)
    session_id = new_id()
    await _insert(
        db,
        "user_sessions",
        [
            {
                "id": session_id,
                "user_id": learner["id"],
                "device": "bench",
                "expires_at": now + timedelta(days=1),
            }
        ],
    )
    async with db.engine.begin() as conn:
        await conn.execute(sa.text("ANALYZE"))
    await db.dispose()
    token = issue_access_token(
        settings, user_id=learner["id"], session_id=session_id, token_version=0
    ).token
    print(f"seeded {len(topic_rows)} topics, {len(post_rows)} posts")
    return str(course_id), [str(t["id"]) for t in topic_rows], token, str(learner["id"])


def post_script(topic_ids: list[str], token: str) -> str:
    ids = ", ".join(json.dumps(t) for t in topic_ids[:500])
    return f"""
local topics = {{{ids}}}
local i = 0
request = function()
  i = i + 1
  local path = "/api/v1/forums/topics/" .. topics[(i % #topics) + 1] .. "/posts"
  local body = '{{"body":"Try **this**: ' .. i .. '"}}'
  return wrk.format("POST", path, {{["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer {token}"}}, body)
end
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--posts", type=int, default=200_000)
    args = parser.parse_args()
    info = harness.machine()
    print(f"Community ({info['date']}, {info['cpu']}, {info['cores']} cores)")
    database_url = asyncio.run(harness.create_database())
    try:
        with tempfile.TemporaryDirectory() as tmp:
            env = harness.bench_env(
                database_url,
                Path(tmp),
                # Posting under load is measured, not the filter's hourly limits.
                CAMPUS_COMMUNITY_POSTS_PER_HOUR="100000000",
                CAMPUS_COMMUNITY_NEW_ACCOUNT_POSTS_PER_HOUR="100000000",
            )
            harness.migrate(env)
            course_id, topic_ids, token, _user_id = asyncio.run(
                seed(database_url, Path(tmp), args.topics, args.posts)
            )
            auth = {"Authorization": f"Bearer {token}"}
            bare_env = {**env, "BARE_DATABASE_URL": database_url, "BARE_POOL_SIZE": "20"}
            common = {"connections": args.connections, "duration": args.duration}
            list_paths = [
                f"/api/v1/forums/courses/{course_id}/topics?sort=activity&limit=20&page={n}"
                for n in range(1, 51)
            ]
            topic_paths = [
                f"/api/v1/forums/topics/{t}/posts?limit=50" for t in topic_ids[:LONG_TOPICS]
            ]
            with (
                server(env, "benchmarks.bench_app:create_bench_app", "/readyz", 1) as (campus, _),
                server(bare_env, "benchmarks.bare_app:create_bare_app", "/healthz", 1) as (
                    bare,
                    _,
                ),
            ):
                for path in (list_paths[0], topic_paths[0]):
                    check = httpx.get(f"{campus}{path}", headers=auth, timeout=30)
                    if check.status_code != 200 or not check.json()["items"]:
                        raise RuntimeError(f"{path}: {check.status_code} {check.text[:300]}")
                harness.wrk("warm-up", f"{campus}/bench/reference", connections=8, duration=2)
                harness.wrk("warm-up", f"{campus}{list_paths[0]}", headers=auth, connections=8,
                            duration=2, paths=list_paths)  # fmt: skip
                harness.wrk("warm-up", f"{bare}/page", connections=8, duration=2)
                figures = {}
                for name, url, rotation, headers in (
                    ("bare GET /page (20 rows, count)", f"{bare}/page", None, None),
                    ("reference (SELECT 1)", f"{campus}/bench/reference", None, None),
                    ("GET topics (activity, 20)", f"{campus}{list_paths[0]}", list_paths, auth),
                    ("GET topic posts (50)", f"{campus}{topic_paths[0]}", topic_paths, auth),
                ):
                    harness.settle(campus)
                    figures[name] = harness.wrk(
                        name, url, paths=rotation, headers=headers, **common
                    )
                harness.settle(campus)
                figures["bare POST /upsert (1 row)"] = harness.wrk_script(
                    "bare POST /upsert (1 row)", f"{bare}/upsert", upsert_script(), **common
                )
                harness.settle(campus)
                figures["POST topic post"] = harness.wrk_script(
                    "POST topic post", f"{campus}/api/v1/forums", post_script(topic_ids, token),
                    **common,
                )  # fmt: skip
    finally:
        asyncio.run(harness.drop_database(database_url))
    rows = {name: asdict(fig) for name, fig in figures.items()}
    page = figures["bare GET /page (20 rows, count)"].requests_per_second
    insert = figures["bare POST /upsert (1 row)"].requests_per_second
    print(f"{'scenario':<34}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{'ratio':>8}")
    for name, fig in figures.items():
        base = insert if name.startswith("POST") else page
        rows[name]["ratio_to_bare"] = round(fig.requests_per_second / base, 3)
        print(
            f"{name:<34}{fig.requests_per_second:>10.1f}{fig.p50_ms:>10.2f}"
            f"{fig.p99_ms:>10.2f}{fig.errors:>8}{rows[name]['ratio_to_bare']:>8.3f}"
        )
    with harness.RESULTS.open("a") as handle:
        handle.write(json.dumps({"title": "community", "machine": info, "figures": rows}) + "\n")


if __name__ == "__main__":
    main()
